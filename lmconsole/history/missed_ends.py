"""Sessions a debug log left open that the polls no longer list: an IN the log lost (lines
rotated away unread, a gap) or a restart it did not record. No I/O.

lmstat's list is compared with the sessions the log holds open. A seat is judged only where
that list is whole (a feature's checkouts and reservations add up to its in-use count, and
lmstat printed no error for it), and only when it began at least SLACK_S before the poll
(lmstat prints its time to the minute). A session left unlisted by MISSES polls in a row is
ended at the first of them as `seen_by_poll`, once the log has been read past that poll
(or has been quiet long enough to be read to its end): until then its IN may be still
unread. An IN read after that finds nothing open (the tracker counts it unmatched).
Borrowed seats are listed by lmstat under the host they were borrowed to, not the user.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from lmconsole.history.schema import END_SEEN_BY_POLL
from lmconsole.history.sessions import Session, SessionTracker
from lmconsole.model import BORROWED, Feature, ServerStatus

MISSES = 3  # successive polls that do not list a seat before it is taken as returned
SLACK_S = 60  # a poll's time is its minute: a seat is judged by polls a minute after its OUT


@dataclass(slots=True)
class _Missed:
    session: Session
    first_at: int  # the first poll that did not list it
    misses: int = 1


class MissedEnds:
    """Feed it each poll (`polled`) after the log's events up to then; `ended` returns the
    sessions found returned."""

    def __init__(self) -> None:
        self._missed: dict[tuple[int, int], _Missed] = {}  # by the session's OUT line

    @property
    def waiting(self) -> bool:
        """Sessions missed by a poll wait to be judged (and have not ended since)."""
        return any(missed.session.end_at is None for missed in self._missed.values())

    def polled(self, tracker: SessionTracker, status: ServerStatus, at: int) -> None:
        listed = {feature.name: _Seats(feature) for feature in status.features
                  if _is_whole(feature)}
        missed: dict[tuple[int, int], _Missed] = {}
        for session in reversed(tracker.still_open()):  # the newest hold the seats listed
            key = (session.source_id, session.byte_offset)
            seats = listed.get(session.feature)
            if seats is None or session.start_at > at - SLACK_S:
                if key in self._missed:  # not judged by this poll: as it was
                    missed[key] = self._missed[key]
            elif not seats.take(session):
                earlier = self._missed.get(key)
                missed[key] = _Missed(session, at) if earlier is None else \
                    _Missed(session, earlier.first_at, earlier.misses + 1)
        self._missed = missed  # sessions since ended by their IN drop out here

    def ended(self, tracker: SessionTracker, log_read_to: int | None,
              log_quiet: bool) -> list[Session]:
        """End the sessions missed by MISSES polls in a row whose IN, if the log has it,
        would have been read by now: the log was read past the first of those polls, or
        it has been quiet (read to its end)."""
        ended = []
        for key, missed in list(self._missed.items()):
            if missed.session.end_at is not None:  # its IN came
                del self._missed[key]
                continue
            read_past = log_read_to is not None and log_read_to >= missed.first_at + SLACK_S
            if missed.misses >= MISSES and (read_past or log_quiet):
                del self._missed[key]
                if tracker.end(missed.session, missed.first_at, END_SEEN_BY_POLL):
                    ended.append(missed.session)
        return ended


def _is_whole(feature: Feature) -> bool:
    """lmstat listed every seat of `feature` in use (it was not asked only for counts, nor
    did the daemon fail to say)."""
    if feature.error is not None or feature.in_use is None:
        return False
    listed = sum(c.count for c in feature.checkouts) + sum(r.count for r in feature.reservations)
    return listed >= feature.in_use


class _Seats:
    """The seats of one feature a poll listed, taken one session at a time."""

    def __init__(self, feature: Feature) -> None:
        self.by_user: Counter[tuple[str, str | None]] = Counter()
        for checkout in feature.checkouts:
            self.by_user[(checkout.user, checkout.host)] += checkout.count
        self.borrowed_by_host: Counter[str] = Counter()
        for reservation in feature.reservations:
            if reservation.kind == BORROWED:
                self.borrowed_by_host[reservation.name] += reservation.count

    def take(self, session: Session) -> bool:
        """Whether a seat listed is this session's (and then it is taken)."""
        user = (session.user_name, session.host)
        if self.by_user[user] >= session.count:
            self.by_user[user] -= session.count
            return True
        host = session.host or ""
        if session.borrowed and self.borrowed_by_host[host] >= session.count:
            self.borrowed_by_host[host] -= session.count
            return True
        return False

