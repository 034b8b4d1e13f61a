"""Python's cycle collector paused while a long log is read or imported.

Every event kept is a tuple holding an EventKind, which the collector tracks, and an import
holds batches of rows and open sessions: with the collector running, a fifth of the time
went to collections that could free nothing (reading creates no cycles). What cycles the
event loop makes meanwhile are collected once it runs again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, process_ends: bool = False) -> Iterator[None]:
    """`process_ends`: the process exits after the block (a one-shot command). What it built
    is then frozen, so that neither the collection the next allocation starts nor the one
    at the interpreter's exit walks it all to free nothing."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if process_ends:
            gc.freeze()
        if paused:
            gc.enable()
