"""hedgesim: an agent-based simulation of strategic hedging (Belarus between the EU and Russia)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hedgesim")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

from hedgesim.api import HedgingModel, outcomes, simulate, simulate_run

__all__ = ["HedgingModel", "outcomes", "simulate", "simulate_run", "__version__"]
