"""Checkout sessions from a log's events, in the order they happened. No I/O.

An OUT opens a session; an IN of the same daemon, feature, user and host closes the oldest
open one (preferring one of the same count): FlexLM does not say which of two seats of one
user it returns, and the oldest first gives the same total time as any other choice. An IN
with the reason REMOVED (lmremove) ends it as `removed`. A daemon that starts, is restarted
or shuts down ends every session of it (lmgrd's own: every session) as `server_restart`.
What is open at the end stays `still_open`, and a later import, given these as `carried`,
closes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lmconsole.history.schema import END_IN, END_REMOVED, END_SERVER_RESTART, END_STILL_OPEN
from lmconsole.model import verbose_project

OPENS = "OUT"
CLOSES = "IN"
RESETS = frozenset({"STARTED", "RESTARTED", "SHUTDOWN"})  # a daemon's seats are dropped
LMGRD = "lmgrd"


@dataclass(slots=True)
class Session:
    """One checkout: its key is the OUT line (source_id, byte_offset)."""

    source_id: int
    byte_offset: int
    daemon: str
    feature: str
    user_name: str
    host: str | None
    count: int
    borrowed: bool
    start_at: int
    end_at: int | None = None
    end_kind: str = END_STILL_OPEN
    end_reason: str | None = None
    project: str | None = None  # FlexNet's LM_PROJECT, where the log's verbose data has it

    def as_tuple(self, server_id: int) -> tuple:
        """The row in the order of the store's SESSION_COLUMNS."""
        return (server_id, self.source_id, self.byte_offset, self.feature, self.daemon,
                self.user_name, self.host, self.count, self.borrowed, self.start_at,
                self.end_at, self.end_kind, self.end_reason, self.project)

    def row(self, server_id: int) -> dict:
        return {"server_id": server_id, "source_id": self.source_id,
                "byte_offset": self.byte_offset, "feature": self.feature,
                "daemon": self.daemon, "version": None, "user_name": self.user_name,
                "host": self.host, "display": None, "handle": None, "count": self.count,
                "project": self.project, "borrowed": self.borrowed, "start_at": self.start_at,
                "end_at": self.end_at, "end_kind": self.end_kind,
                "end_reason": self.end_reason}


class SessionTracker:
    """Feed it events in time order (`observe`); it returns the sessions each one ends."""

    def __init__(self, carried: Iterable[Session] = ()) -> None:
        self._open: dict[tuple[str, str, str, str | None], list[Session]] = {}
        # One copy of each name for all the sessions open at once (a log of months may
        # leave hundreds of thousands open whose INs it never wrote): each parsed line
        # brings its own copies of the strings, which would otherwise stay held.
        self._names: dict[str, str] = {}
        # Sessions still open at the end of an earlier import, admitted once the events
        # reach their start (an event before it cannot end them).
        self._carried = sorted(carried, key=lambda s: s.start_at, reverse=True)
        self.unmatched_ins = 0  # INs with no open session: their OUT was not read
        self.opened: Session | None = None  # the session the last event opened, if it did

    def observe(self, kind: str, at: int, daemon: str, feature: str | None,
                user: str | None, host: str | None, count: int, reason: str | None,
                source_id: int, byte_offset: int, extra: str | None = None
                ) -> Sequence[Session]:
        if self._carried and self._carried[-1].start_at <= at:
            self._admit_carried(at)
        self.opened = None
        if kind == OPENS and feature and user is not None:
            self.opened = self._start(at, daemon, feature, user, host, count, reason,
                                      source_id, byte_offset)
            if extra is not None:
                self.opened.project = verbose_project(extra)
        elif kind == CLOSES and feature and user is not None:
            return self._close(self._open.get((daemon, feature, user, host)), at, count,
                               reason)
        elif kind in RESETS:
            return self._reset(daemon, at)
        return ()

    def still_open(self) -> list[Session]:
        """Every session open now, carried ones included, oldest first."""
        sessions = [s for held in self._open.values() for s in held] + self._carried
        return sorted(sessions, key=lambda s: (s.start_at, s.source_id, s.byte_offset))

    def end(self, session: Session, at: int, kind: str) -> bool:
        """End `session`, if it is open here, at `at` (how its end was known: `kind`)."""
        key = (session.daemon, session.feature, session.user_name, session.host)
        for held in (self._open.get(key, []), self._carried):
            index = next((i for i, s in enumerate(held) if s is session), None)
            if index is not None:
                del held[index]
                if not self._open.get(key, True):
                    del self._open[key]
                session.end_at, session.end_kind = at, kind
                return True
        return False

    def _admit_carried(self, at: int) -> None:
        carried = self._carried
        while carried and carried[-1].start_at <= at:
            session = carried.pop()
            key = (session.daemon, session.feature, session.user_name, session.host)
            self._open.setdefault(key, []).append(session)

    def _start(self, at: int, daemon: str, feature: str, user: str, host: str | None,
               count: int, reason: str | None, source_id: int, byte_offset: int) -> Session:
        name = self._names.setdefault
        daemon, feature, user = name(daemon, daemon), name(feature, feature), name(user, user)
        if host is not None:
            host = name(host, host)
        borrowed = reason is not None and "BORROW" in reason.upper()
        session = Session(source_id, byte_offset, daemon, feature, user, host, count,
                          borrowed, at)
        key = (daemon, feature, user, host)
        held = self._open.get(key)
        if held is None:
            self._open[key] = [session]
        else:
            held.append(session)
        return session

    def _close(self, held: list[Session] | None, at: int, count: int,
               reason: str | None) -> Sequence[Session]:
        if not held:
            self.unmatched_ins += 1
            return ()
        session = held[0]
        if session.count == count:
            del held[0]
        else:  # the oldest of the same count, if there is one
            session = next((s for s in held if s.count == count), session)
            held.remove(session)
        session.end_at = at
        removed = reason is not None and "REMOVED" in reason.upper()
        session.end_kind = END_REMOVED if removed else END_IN
        session.end_reason = reason
        return [session]

    def _reset(self, daemon: str, at: int) -> list[Session]:
        ended = []
        for key in [key for key in self._open if daemon in (LMGRD, key[0])]:
            for session in self._open.pop(key):
                session.end_at, session.end_kind = at, END_SERVER_RESTART
                ended.append(session)
        return ended
