"""Memory helpers for long batch work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold Python's cycle collector off while the block runs.

    A batch of tickets allocates hundreds of thousands of short-lived objects; the collector,
    started every few hundred allocations, walks the process's long-lived objects over and
    over (a third of a recompute's CPU). Almost all of them are freed by their reference
    counts anyway, and the collector's next pass after the block frees the few cycles left.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
