"""hedgesim: an agent-based simulation of strategic hedging (Belarus between the EU and Russia)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hedgesim")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["HedgingModel", "outcomes", "simulate", "simulate_run", "__version__"]


def __getattr__(name: str) -> object:
    """The API on first use (``hedgesim.simulate``, ``from hedgesim import outcomes``): importing
    a part of hedgesim, as a sweep's driver process does, does not load the model and Mesa."""
    if name in __all__:
        from hedgesim import api

        return getattr(api, name)
    raise AttributeError(f"module 'hedgesim' has no attribute {name!r}")
