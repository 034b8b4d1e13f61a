"""Python's cycle collector paused while a long log is read or imported.

Every event kept is a tuple holding an EventKind, which the collector tracks, and an import
holds batches of rows and open sessions: with the collector running, a fifth of the time
went to collections that could free nothing (reading creates no cycles). What cycles the
event loop makes meanwhile are collected once it runs again."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import NoReturn

# More objects than this made while paused are moved on to the oldest generation: a large
# parse makes hundreds of thousands, a small one too few to be worth it.
MOVED_ON_FROM = 20_000

# What one-shot commands built, kept for the process's end (see leave_to_exit); None until
# such a command runs in a process that ends after it.
_left_to_exit: list[object] | None = None


@contextmanager
def collector_paused(*, process_ends: bool = False) -> Iterator[None]:
    """`process_ends`: the process exits after the block (a one-shot command). What it built
    is then frozen, so that neither the collection the next allocation starts nor the one
    at the interpreter's exit walks it all to free nothing; and what it leaves to the exit
    (leave_to_exit) is not freed at all."""
    global _left_to_exit
    paused = gc.isenabled()
    gc.disable()
    if process_ends and _left_to_exit is None:
        _left_to_exit = []
    try:
        yield
    finally:
        if process_ends:
            gc.freeze()
        elif paused and gc.get_count()[0] > MOVED_ON_FROM:
            # What the block made goes to the oldest generation at once: else the first
            # allocation after it starts a collection of the youngest that walks all of it
            # (a tenth of a large parse's time) only to move it on. A cycle among it is
            # collected by the next full collection.
            gc.freeze()
            gc.unfreeze()
        if paused:
            gc.enable()


def leave_to_exit(value: object) -> None:
    """Keep `value` until the process ends, if it ends after this command (see
    collector_paused), and `finish` then ends it without freeing `value` object by object
    (5-8 ms for a snapshot of 50,000 seats); else nothing is kept."""
    if _left_to_exit is not None:
        _left_to_exit.append(value)


def finish(code: int) -> NoReturn:
    """End the process with exit status `code`: at once, once the standard streams are
    flushed, after a one-shot command in a process that ends after it (whatever it left to
    the exit: none, if its reader left first); else as sys.exit."""
    if _left_to_exit is not None:
        for stream in (sys.stdout, sys.stderr):
            with suppress(BrokenPipeError, ValueError):  # a reader gone, a stream closed
                stream.flush()
        os._exit(code)
    sys.exit(code)
