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

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from weakref import WeakValueDictionary

from lmconsole.history.schema import END_IN, END_REMOVED, END_SERVER_RESTART, END_STILL_OPEN
from lmconsole.model import verbose_project

OPENS = "OUT"
CLOSES = "IN"
RESETS = frozenset({"STARTED", "RESTARTED", "SHUTDOWN"})  # a daemon's seats are dropped
LMGRD = "lmgrd"


@dataclass(slots=True, weakref_slot=True)
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


# An open session is held as FIELDS int64 in its key's array, not as a Session (a long log
# may leave hundreds of thousands open whose INs it never wrote; a Session and its own ints
# took 250 bytes each, these 40): its OUT line, when, and how many seats.
FIELDS = 5
SOURCE, OFFSET, START, COUNT, BORROWED = range(FIELDS)

Key = tuple[str, str, str, str | None]  # daemon, feature, user, host
Line = tuple[int, int]  # a session's OUT line: source_id, byte_offset


class SessionTracker:
    """Feed it events in time order (`observe`); it returns the sessions each one ends."""

    def __init__(self, carried: Iterable[Session] = ()) -> None:
        self._open: dict[Key, array] = {}
        # One copy of each name for all the keys: each parsed line (and each row read
        # back from the store) brings its own copies of the strings.
        self._names: dict[str, str] = {}
        self.unmatched_ins = 0  # INs with no open session: their OUT was not read
        self._opened: tuple[Key, tuple] | None = None
        # The open sessions handed out as Sessions and still held by whoever asked: the
        # same object is the one that ends (MissedEnds keeps those the polls missed).
        self._handed_out: WeakValueDictionary[Line, Session] = WeakValueDictionary()
        # Sessions still open at the end of an earlier import, latest start first (an
        # earlier run may have left as many open as a log's length), admitted once the
        # events reach their start (an event before it cannot end them).
        self._carried = array("q")
        self._carried_keys: list[Key] = []
        # The projects of the open sessions that have one (FlexNet's verbose log): few
        self._projects: dict[Line, str] = {}
        self.carry(carried)

    def carry(self, sessions: Iterable[Session]) -> None:
        """Take on `sessions`, left open by an earlier run, before the first event. Each
        stays the Session handed out while its giver holds it. Quickest latest start first
        (as the store gives them)."""
        carried, keys, one_copy = self._carried, self._carried_keys, {}
        in_order = True
        for s in sessions:
            if keys and s.start_at > carried[START - FIELDS]:
                in_order = False
            carried.extend((s.source_id, s.byte_offset, s.start_at, s.count, s.borrowed))
            key = self._key(s.daemon, s.feature, s.user_name, s.host)
            keys.append(one_copy.setdefault(key, key))
            self._handed_out[(s.source_id, s.byte_offset)] = s
            if s.project is not None:
                self._projects[(s.source_id, s.byte_offset)] = s.project
        if not in_order:
            latest_first = sorted(range(len(keys)), reverse=True,
                                  key=lambda n: carried[n * FIELDS + START])
            self._carried = array("q")
            for n in latest_first:
                self._carried.extend(carried[n * FIELDS:(n + 1) * FIELDS])
            self._carried_keys = [keys[n] for n in latest_first]

    @property
    def opened(self) -> Session | None:
        """The session the last event opened, if it did."""
        if self._opened is None:
            return None
        key, fields = self._opened
        return self._hand_out(key, fields)

    @property
    def opened_seats(self) -> tuple[str, int, int] | None:
        """(feature, seats, of them borrowed) of the session the last event opened, if it
        did: what the occupancy counts of it, without making a Session."""
        if self._opened is None:
            return None
        key, fields = self._opened
        return key[1], fields[COUNT], fields[COUNT] if fields[BORROWED] else 0

    def observe(self, kind: str, at: int, daemon: str, feature: str | None,
                user: str | None, host: str | None, count: int, reason: str | None,
                source_id: int, byte_offset: int, extra: str | None = None
                ) -> Sequence[Session]:
        if self._carried_keys and self._carried[START - FIELDS] <= at:
            self._admit_carried(at)
        self._opened = None
        if kind == OPENS and feature and user is not None:
            self._start(at, daemon, feature, user, host, count, reason, source_id,
                        byte_offset)
            if extra is not None and (project := verbose_project(extra)):
                self._projects[(source_id, byte_offset)] = project
        elif kind == CLOSES and feature and user is not None:
            key = (daemon, feature, user, host)
            return self._close(key, self._open.get(key), at, count, reason)
        elif kind in RESETS:
            return self._reset(daemon, at)
        return ()

    def drain_still_open(self) -> Iterator[Session]:
        """Every session open now, carried ones included, in no particular order; each is
        forgotten as it is handed out, so that they are never all held as Sessions."""
        while self._open:
            key, held = self._open.popitem()
            for start in range(0, len(held), FIELDS):
                yield self._leaving(key, held[start:start + FIELDS])
        carried, keys = self._carried, self._carried_keys
        while keys:
            yield self._leaving(keys.pop(), carried[-FIELDS:])
            del carried[-FIELDS:]

    def still_open(self) -> list[Session]:
        """Every session open now, carried ones included, oldest first."""
        sessions = [self._hand_out(key, held[start:start + FIELDS])
                    for key, held in self._open.items()
                    for start in range(0, len(held), FIELDS)]
        sessions += (self._hand_out(key, self._carried[n * FIELDS:(n + 1) * FIELDS])
                     for n, key in enumerate(self._carried_keys))
        return sorted(sessions, key=lambda s: (s.start_at, s.source_id, s.byte_offset))

    def end(self, session: Session, at: int, kind: str) -> bool:
        """End `session`, if it is open here, at `at` (how its end was known: `kind`)."""
        key = (session.daemon, session.feature, session.user_name, session.host)
        held = self._open.get(key)
        start = None if held is None else _find(held, session.source_id, session.byte_offset)
        if start is not None:
            del held[start:start + FIELDS]
            if not held:
                del self._open[key]
        elif (start := _find(self._carried, session.source_id, session.byte_offset)) \
                is not None:
            del self._carried[start:start + FIELDS]
            del self._carried_keys[start // FIELDS]
        else:
            return False
        self._handed_out.pop((session.source_id, session.byte_offset), None)
        self._projects.pop((session.source_id, session.byte_offset), None)
        session.end_at, session.end_kind = at, kind
        return True

    def forget_source(self, source_id: int, from_offset: int = 0) -> None:
        """Forget the sessions open of that log file, carried or not, whose OUT lines lie
        at `from_offset` or after: the file is being read again from there, which opens
        them again."""
        def forgotten(line: Line) -> bool:
            return line[0] == source_id and line[1] >= from_offset

        for key, held in list(self._open.items()):
            self._open[key] = kept = _without(held, forgotten)
            if not kept:
                del self._open[key]
        carried = self._carried
        self._carried_keys = [
            key for n, key in enumerate(self._carried_keys)
            if not forgotten((carried[n * FIELDS + SOURCE], carried[n * FIELDS + OFFSET]))]
        self._carried = _without(carried, forgotten)
        for line in [line for line in self._handed_out if forgotten(line)]:
            self._handed_out.pop(line, None)
        for line in [line for line in self._projects if forgotten(line)]:
            del self._projects[line]

    def _admit_carried(self, at: int) -> None:
        carried, keys = self._carried, self._carried_keys
        while keys and carried[START - FIELDS] <= at:
            self._held(keys.pop()).extend(carried[-FIELDS:])
            del carried[-FIELDS:]

    def _key(self, daemon: str, feature: str, user: str, host: str | None) -> Key:
        """The key, its names the copies held already."""
        name = self._names.setdefault
        return (name(daemon, daemon), name(feature, feature), name(user, user),
                None if host is None else name(host, host))

    def _held(self, key: Key) -> array:
        held = self._open.get(key)
        if held is None:
            held = self._open[key] = array("q")
        return held

    def _start(self, at: int, daemon: str, feature: str, user: str, host: str | None,
               count: int, reason: str | None, source_id: int, byte_offset: int) -> None:
        borrowed = reason is not None and "BORROW" in reason.upper()
        key = self._key(daemon, feature, user, host)
        fields = (source_id, byte_offset, at, count, borrowed)
        self._held(key).extend(fields)
        self._opened = key, fields

    def _close(self, key: Key, held: array | None, at: int, count: int,
               reason: str | None) -> Sequence[Session]:
        if not held:
            self.unmatched_ins += 1
            return ()
        start = _oldest(held, count)
        session = self._leaving(key, held[start:start + FIELDS])
        del held[start:start + FIELDS]
        session.end_at = at
        removed = reason is not None and "REMOVED" in reason.upper()
        session.end_kind = END_REMOVED if removed else END_IN
        session.end_reason = reason
        return [session]

    def _reset(self, daemon: str, at: int) -> list[Session]:
        ended = []
        for key in [key for key in self._open if daemon in (LMGRD, key[0])]:
            held = self._open.pop(key)
            for start in range(0, len(held), FIELDS):
                session = self._leaving(key, held[start:start + FIELDS])
                session.end_at, session.end_kind = at, END_SERVER_RESTART
                ended.append(session)
        return ended

    def _hand_out(self, key: Key, fields: Sequence[int]) -> Session:
        """The open session `fields` as a Session, the one already handed out if it is."""
        line = (fields[SOURCE], fields[OFFSET])
        session = self._handed_out.get(line)
        if session is None:
            session = self._handed_out[line] = _session(key, fields, self._projects.get(line))
        return session

    def _leaving(self, key: Key, fields: Sequence[int]) -> Session:
        """The open session `fields`, which is forgotten here now, as a Session: the one
        handed out if it is still held (an import hands out none)."""
        line = (fields[SOURCE], fields[OFFSET])
        project = self._projects.pop(line, None) if self._projects else None
        if self._handed_out:
            session = self._handed_out.pop(line, None)
            if session is not None:
                return session
        return _session(key, fields, project)


def _without(held: array, forgotten: Callable[[Line], bool]) -> array:
    """`held` without the sessions whose OUT lines are `forgotten`."""
    kept = array("q")
    for start in range(0, len(held), FIELDS):
        if not forgotten((held[start + SOURCE], held[start + OFFSET])):
            kept.extend(held[start:start + FIELDS])
    return kept


def _find(held: array, source_id: int, byte_offset: int) -> int | None:
    """Where in `held` the session of that OUT line starts, if it is there."""
    for start in range(0, len(held), FIELDS):
        if held[start + OFFSET] == byte_offset and held[start + SOURCE] == source_id:
            return start
    return None


def _oldest(held: array, count: int) -> int:
    """Where in `held` the session an IN of `count` seats ends starts: the oldest of the
    same count, if there is one, else the oldest."""
    if held[COUNT] == count:
        return 0
    try:
        return held[COUNT::FIELDS].index(count) * FIELDS
    except ValueError:
        return 0


def _session(key: Key, fields: Sequence[int], project: str | None = None) -> Session:
    daemon, feature, user, host = key
    return Session(fields[SOURCE], fields[OFFSET], daemon, feature, user, host,
                   fields[COUNT], bool(fields[BORROWED]), fields[START], project=project)
