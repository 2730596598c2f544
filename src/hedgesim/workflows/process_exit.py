"""A command's exit without the interpreter's last garbage collection.

At exit CPython collects once more, walking every object the libraries made (pandas, numba's
compiled functions, Hydra's configurations, matplotlib): about half a second of every command,
an eighth of a small sweep. By then a command has closed what it wrote (files are written to a
temporary name, closed and renamed), so its objects are frozen instead (``gc.freeze``): every
exit handler still runs and the modules are still torn down; only that walk is skipped.
"""

from __future__ import annotations

import atexit
import gc


def skip_final_collection() -> None:
    """Freeze the collector's objects when the process exits (one handler, however often called)."""
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
