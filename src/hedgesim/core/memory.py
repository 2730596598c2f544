"""Large arrays whose pages are all mapped when they are made.

A large array filled for the first time takes one page fault per 4 KiB it touches; on a machine
where a fault is dear that costs more than the filling itself (about a quarter of a 10,000-replicate
run once went to faulting in its record and tables). An anonymous mapping asked to be populated
gets all its pages in one call instead (Linux's MAP_POPULATE); elsewhere, and for small arrays,
numpy's own allocator serves.
"""

from __future__ import annotations

import mmap

import numpy as np

_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
"""Linux's flag to map every page of an anonymous mapping at once (0 where there is none)."""
POPULATE_FROM = 1 << 20
"""Arrays from this many bytes are mapped populated; smaller ones come from numpy's allocator."""


def fresh_array(shape: int | tuple[int, ...], dtype: np.dtype | type | str) -> np.ndarray:
    """An uninitialised, writable array, its pages already mapped if it is large."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    if size < POPULATE_FROM or not _POPULATE:
        return np.empty(shape, dtype=dtype)
    mapping = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _POPULATE)
    return np.frombuffer(mapping, dtype=dtype).reshape(shape)


def fresh_copy(values: np.ndarray) -> np.ndarray:
    """A copy of ``values`` in a :func:`fresh_array`."""
    copied = fresh_array(values.shape, values.dtype)
    np.copyto(copied, values)
    return copied


def tiled(values: np.ndarray, times: int) -> np.ndarray:
    """``np.tile(values, times)`` for a 1-D array, in a :func:`fresh_array`."""
    out = fresh_array((times, values.size), values.dtype)
    out[:] = values[None, :]
    return out.reshape(-1)


def repeated(values: np.ndarray, times: int) -> np.ndarray:
    """``np.repeat(values, times)`` for a 1-D array, in a :func:`fresh_array`."""
    out = fresh_array((values.size, times), values.dtype)
    out[:] = values[:, None]
    return out.reshape(-1)
