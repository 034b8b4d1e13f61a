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
def collector_paused() -> Iterator[None]:
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
