"""Checkout sessions from events (SessionTracker): which OUT an IN ends, a session handed out
is the one that ends, and what is left open handed out once."""

from __future__ import annotations

from lmconsole.history.schema import END_IN, END_SEEN_BY_POLL, END_SERVER_RESTART, END_STILL_OPEN
from lmconsole.history.sessions import Session, SessionTracker


def out(tracker: SessionTracker, at: int, offset: int, count: int = 1,
        reason: str | None = None) -> Session:
    tracker.observe("OUT", at, "adskflex", "AutoCAD", "ann", "pc1", count, reason, 1, offset)
    return tracker.opened


def test_an_in_ends_the_oldest_open_session_of_its_count_else_the_oldest():
    tracker = SessionTracker()
    out(tracker, 10, 100, count=2)
    opened = out(tracker, 20, 200, count=1, reason="BORROW")
    out(tracker, 30, 300, count=1)
    assert (opened.byte_offset, opened.start_at, opened.borrowed) == (200, 20, True)
    (ended,) = tracker.observe("IN", 40, "adskflex", "AutoCAD", "ann", "pc1", 1, None, 1, 400)
    assert (ended.byte_offset, ended.start_at, ended.count, ended.borrowed,
            ended.end_at, ended.end_kind) == (200, 20, 1, True, 40, END_IN)
    (ended,) = tracker.observe("IN", 50, "adskflex", "AutoCAD", "ann", "pc1", 3, None, 1, 500)
    assert (ended.byte_offset, ended.count) == (100, 2)


def test_a_session_handed_out_is_the_one_an_in_or_a_restart_ends():
    tracker = SessionTracker()
    first, second = out(tracker, 10, 100), out(tracker, 20, 200)
    assert [id(s) for s in tracker.still_open()] == [id(first), id(second)]
    (ended,) = tracker.observe("IN", 30, "adskflex", "AutoCAD", "ann", "pc1", 1, None, 1, 300)
    assert ended is first and (first.end_at, first.end_kind) == (30, END_IN)
    (ended,) = tracker.observe("RESTARTED", 40, "adskflex", None, None, None, 0, None, 1, 400)
    assert ended is second and (second.end_at, second.end_kind) == (40, END_SERVER_RESTART)


def test_end_ends_an_open_session_once_carried_ones_before_and_after_their_start():
    waiting = Session(7, 5, "adskflex", "Revit", "bob", None, 1, False, 50)
    admitted = Session(7, 6, "adskflex", "Revit", "bob", None, 1, False, 5)
    tracker = SessionTracker([waiting, admitted])
    session = out(tracker, 10, 100)
    for s in (session, waiting, admitted):
        assert tracker.end(s, 60, END_SEEN_BY_POLL)
        assert (s.end_at, s.end_kind) == (60, END_SEEN_BY_POLL)
        assert not tracker.end(s, 70, END_SEEN_BY_POLL)
    assert tracker.still_open() == []


def test_what_is_left_open_carried_ones_included_is_handed_out_once():
    carried = Session(7, 5, "adskflex", "Revit", "bob", None, 1, False, 5)
    tracker = SessionTracker([carried])
    out(tracker, 10, 100)
    out(tracker, 20, 200, count=2)
    left = sorted(tracker.drain_still_open(), key=lambda s: s.start_at)
    assert [(s.source_id, s.byte_offset, s.feature, s.count, s.end_kind) for s in left] == [
        (7, 5, "Revit", 1, END_STILL_OPEN), (1, 100, "AutoCAD", 1, END_STILL_OPEN),
        (1, 200, "AutoCAD", 2, END_STILL_OPEN)]
    assert list(tracker.drain_still_open()) == []


def test_a_sessions_project_goes_with_it_while_open_carried_and_when_it_ends():
    """The project a verbose OUT line names stays with its session however long it is open:
    handed out, left open at the end of an import, carried into the next one, ended."""
    trailer = "^^^ 1.0 ann 10.0.0.1 4242 0x1A2B 1 5 bridge-2027 11 19 3/2/2026 9:00:00 0 ^^^"
    tracker = SessionTracker()
    tracker.observe("OUT", 10, "adskflex", "AutoCAD", "ann", "pc1", 1, None, 1, 100, trailer)
    assert tracker.opened.project == "bridge-2027"
    out(tracker, 20, 200)  # no verbose data: no project
    left_open = list(tracker.drain_still_open())
    assert sorted((s.byte_offset, s.project) for s in left_open) == \
        [(100, "bridge-2027"), (200, None)]
    next_import = SessionTracker(sorted(left_open, key=lambda s: -s.start_at))
    ended = next_import.observe("IN", 30, "adskflex", "AutoCAD", "ann", "pc1", 1, None, 2, 0)
    ended += next_import.observe("IN", 40, "adskflex", "AutoCAD", "ann", "pc1", 1, None, 2, 50)
    assert [(s.byte_offset, s.project, s.end_at) for s in ended] == \
        [(100, "bridge-2027", 30), (200, None, 40)]


def test_a_file_read_again_from_its_start_forgets_its_open_sessions_and_no_other():
    # carried from an import: two of file 7 (one admitted, one still waiting), one of file 8
    kept = Session(8, 9, "adskflex", "Revit", "bob", None, 1, False, 5)
    tracker = SessionTracker([Session(7, 5, "adskflex", "Revit", "bob", None, 1, False, 50),
                              Session(7, 6, "adskflex", "Revit", "bob", None, 1, False, 6),
                              kept])
    opened = out(tracker, 10, 100)  # file 1's: admits the two that started before 10
    tracker.forget_source(7)
    assert [(s.source_id, s.byte_offset) for s in tracker.still_open()] == [(8, 9), (1, 100)]
    # file 7 read again: its OUT opens the session once; two INs end bob's two seats
    tracker.observe("OUT", 6, "adskflex", "Revit", "bob", None, 1, None, 7, 6)
    (ended,) = tracker.observe("IN", 60, "adskflex", "Revit", "bob", None, 1, None, 7, 70)
    assert ended is kept  # the oldest
    (ended,) = tracker.observe("IN", 61, "adskflex", "Revit", "bob", None, 1, None, 7, 71)
    assert (ended.source_id, ended.byte_offset, ended.end_kind) == (7, 6, END_IN)
    assert tracker.still_open() == [opened]


def test_a_file_read_again_from_a_line_on_forgets_the_sessions_opened_from_there():
    tracker = SessionTracker([Session(7, 50, "adskflex", "Revit", "bob", None, 1, False, 5),
                              Session(7, 90, "adskflex", "Revit", "ann", None, 1, False, 9)])
    tracker.observe("OUT", 10, "adskflex", "Revit", "cy", None, 1, None, 7, 100)  # admits both
    tracker.forget_source(7, from_offset=90)  # read again from byte 90: ann's, and cy's
    assert [(s.user_name, s.byte_offset) for s in tracker.still_open()] == [("bob", 50)]
