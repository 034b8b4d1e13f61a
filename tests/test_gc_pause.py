"""The collector paused around a large read: what the read made is moved on to the oldest
generation when the block ends, not walked by the next young collection; cycles among it are
still collected; a small block and a block inside a pause leave the collector as it was."""

from __future__ import annotations

import gc
import weakref

import pytest

from lmconsole.gc_pause import MOVED_ON_FROM, collector_paused


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_what_a_large_block_made_is_moved_on_and_its_cycles_still_collected():
    with collector_paused():
        kept = [(n, [n]) for n in range(MOVED_ON_FROM)]
        cycle = weakref.ref(Node())
        assert gc.get_count()[0] > MOVED_ON_FROM
    assert gc.isenabled()
    assert gc.get_count()[0] < 100  # the young generation is empty: nothing left to walk
    assert gc.get_freeze_count() == 0  # moved on, not frozen
    assert cycle() is not None
    gc.collect()
    assert cycle() is None and len(kept) == MOVED_ON_FROM


def test_a_small_block_leaves_the_young_generation_as_it_was():
    gc.collect()
    with collector_paused():
        kept = [[n] for n in range(100)]
    assert gc.get_count()[0] >= len(kept)
    assert gc.isenabled()


def test_a_block_inside_a_pause_leaves_the_collector_paused():
    gc.disable()
    with collector_paused():
        kept = [[n] for n in range(MOVED_ON_FROM + 1)]
    assert not gc.isenabled()
    assert gc.get_count()[0] > len(kept)
    gc.enable()
