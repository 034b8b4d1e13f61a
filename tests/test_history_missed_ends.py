"""Polls end the sessions a debug log left open (MissedEnds): a seat lmstat stops listing is
taken as returned at the first poll that missed it, but only after MISSES polls in a row,
once the log has been read past that poll, and where lmstat's list of the feature is whole."""

from __future__ import annotations

from lmconsole.history.missed_ends import MISSES, SLACK_S, MissedEnds
from lmconsole.history.schema import END_IN, END_SEEN_BY_POLL, END_STILL_OPEN
from lmconsole.history.sessions import Session, SessionTracker
from lmconsole.model import BORROWED, Checkout, Feature, Reservation, ServerStatus, Status

T0 = 1_772_438_400  # 2026-03-02 08:00 UTC
MINUTE = 60


def seat(user: str, host: str = "ws1", count: int = 1) -> Checkout:
    return Checkout(user, host, host, "v1.0", None, None, None, None, None, count)


def status(*features: Feature) -> ServerStatus:
    return ServerStatus("arch", "27000@lic", Status.UP, features=features)


def autocad(*seats: Checkout, in_use: int | None = None, reservations=(),
            error: str | None = None) -> Feature:
    listed = sum(s.count for s in seats) + sum(r.count for r in reservations)
    return Feature("AutoCAD", "adskflex", 10, listed if in_use is None else in_use,
                   error=error, checkouts=seats, reservations=tuple(reservations))


class Log:
    """A log's sessions as the tracker has them, and the polls compared with them."""

    def __init__(self) -> None:
        self.tracker = SessionTracker()
        self.missed = MissedEnds()
        self.offset = 0
        self.read_to: int | None = None

    def line(self, kind: str, at: int, user: str, host: str = "ws1", count: int = 1,
             reason: str | None = None) -> list[Session]:
        self.offset += 100
        self.read_to = at
        ended = self.tracker.observe(kind, at, "adskflex", "AutoCAD", user, host, count,
                                     reason, 1, self.offset)
        return list(ended) or ([self.tracker.opened] if self.tracker.opened else [])

    def polls(self, first_at: int, *features: Feature, times: int = MISSES,
              quiet: bool = False) -> list[Session]:
        """`times` polls a minute apart listing `features`; the sessions then ended."""
        for n in range(times):
            self.missed.polled(self.tracker, status(*features), first_at + n * MINUTE)
        return self.missed.ended(self.tracker, self.read_to, quiet)


def test_a_seat_no_longer_listed_ends_at_the_first_poll_that_missed_it():
    log = Log()
    (lost,) = log.line("OUT", T0, "anna")
    (kept,) = log.line("OUT", T0 + 1, "ben")
    poll_at = T0 + 10 * MINUTE
    log.read_to = poll_at + 5 * MINUTE  # the log has been read past the polls
    assert log.polls(poll_at, autocad(seat("ben"))) == [lost]
    assert (lost.end_at, lost.end_kind) == (poll_at, END_SEEN_BY_POLL)
    assert kept.end_kind == END_STILL_OPEN
    assert [s.user_name for s in log.tracker.still_open()] == ["ben"]
    assert log.line("IN", poll_at + 6 * MINUTE, "anna") == []  # its IN, read late, ends nothing
    assert log.tracker.unmatched_ins == 1


def test_fewer_misses_than_needed_end_nothing_and_a_listing_between_starts_over():
    log = Log()
    (session,) = log.line("OUT", T0, "anna")
    log.read_to = T0 + 60 * MINUTE
    assert log.polls(T0 + 5 * MINUTE, autocad(), times=MISSES - 1) == []
    assert log.polls(T0 + 7 * MINUTE, autocad(seat("anna")), times=1) == []  # listed again
    assert log.polls(T0 + 8 * MINUTE, autocad(), times=MISSES - 1) == []
    assert log.polls(T0 + 10 * MINUTE, autocad(), times=1) == [session]
    assert session.end_at == T0 + 8 * MINUTE  # the first of the misses in a row


def test_until_the_log_is_read_past_the_polls_its_in_may_still_come():
    log = Log()
    (session,) = log.line("OUT", T0, "anna")
    poll_at = T0 + 10 * MINUTE
    assert log.polls(poll_at, autocad()) == []  # the log was read to T0 only
    assert log.line("IN", poll_at - 30, "anna") == [session]
    assert (session.end_at, session.end_kind) == (poll_at - 30, END_IN)
    assert not log.missed.waiting
    assert log.polls(poll_at + 10 * MINUTE, autocad(), quiet=True) == []


def test_a_quiet_log_has_been_read_to_its_end():
    log = Log()
    (session,) = log.line("OUT", T0, "anna")
    assert log.polls(T0 + 10 * MINUTE, autocad()) == []
    assert log.missed.ended(log.tracker, log.read_to, log_quiet=True) == [session]


def test_of_two_seats_of_one_user_one_listed_the_older_ends():
    log = Log()
    (older,) = log.line("OUT", T0, "anna")
    (newer,) = log.line("OUT", T0 + MINUTE, "anna")
    assert log.polls(T0 + 10 * MINUTE, autocad(seat("anna")), quiet=True) == [older]
    assert newer.end_kind == END_STILL_OPEN


def test_a_feature_lmstat_did_not_list_whole_is_not_judged():
    log = Log()
    log.line("OUT", T0, "anna")
    later = T0 + 10 * MINUTE
    assert log.polls(later, autocad(in_use=1), quiet=True) == []  # counted, users not listed
    assert log.polls(later, autocad(error="Cannot get users of AutoCAD"), quiet=True) == []
    assert log.polls(later, Feature("Revit", "adskflex", 3, 0), quiet=True) == []
    assert not log.missed.waiting


def test_a_seat_checked_out_less_than_a_minute_before_the_poll_is_not_judged():
    log = Log()
    log.line("OUT", T0, "anna")
    assert log.polls(T0 + SLACK_S - 1, autocad(), times=1, quiet=True) == []
    assert not log.missed.waiting


def test_a_borrowed_seat_is_listed_under_the_host_it_went_to():
    log = Log()
    (borrowed,) = log.line("OUT", T0, "anna", host="laptop7", reason="BORROW")
    assert borrowed.borrowed
    kept = autocad(reservations=[Reservation(1, BORROWED, "laptop7", None)])
    assert log.polls(T0 + 10 * MINUTE, kept, quiet=True) == []
    assert log.polls(T0 + 20 * MINUTE, autocad(), quiet=True) == [borrowed]


def test_a_session_carried_from_an_earlier_run_is_ended_too():
    carried = Session(1, 100, "adskflex", "AutoCAD", "anna", "ws1", 1, False, T0)
    log = Log()
    log.tracker = SessionTracker([carried])
    assert log.polls(T0 + 10 * MINUTE, autocad(), quiet=True) == [carried]
    assert log.tracker.still_open() == []
