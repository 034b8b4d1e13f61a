"""Python's cycle collector paused while a long log is read or imported.

Every event kept is a tuple holding an EventKind, which the collector tracks, and an import
holds batches of rows and open sessions: with the collector running, a fifth of the time
went to collections that could free nothing (reading creates no cycles). What cycles the
event loop makes meanwhile are collected once it runs again."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    resume = pause_collector()
    try:
        yield
    finally:
        resume()


def pause_collector() -> Callable[[], None]:
    """Pause the collector; call what is returned to let it run again (it then does what
    collections were put off, in one go). A pause inside a pause leaves that to the outer."""
    paused = gc.isenabled()
    gc.disable()
    return gc.enable if paused else _nothing


def _nothing() -> None:
    pass
