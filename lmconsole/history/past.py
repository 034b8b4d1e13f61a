"""The servers as they were at a past minute, rebuilt from the history: for the console's
"as of" view (`T`), the post-mortem of a denial storm.

A server's status at `at`: every session open then (started at or before it, not ended by
it) as a seat held, with its start; the idle reservations the polls saw then; per feature
the issued count of that minute where the history has one (polls; a log alone does not say
it). And the events of the hour before, newest last: who was denied, who checked out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore
from lmconsole.model import Checkout, Event, EventKind, Feature, Reservation, ServerStatus, Status

EVENTS_BEFORE_S = 3600  # the events shown with a past minute: those of the hour before it
EVENTS_KEPT = 2000


@dataclass(frozen=True, slots=True)
class PastServer:
    name: str
    status: ServerStatus
    events: tuple[Event, ...]  # of the hour before, oldest first


async def server_at(store: HistoryStore, name: str, at: int) -> PastServer | None:
    """`name` as its history has it at `at` (epoch seconds); None if it has no history."""
    sv = schema.servers
    rows = await store.rows(select(sv.c.id).where(sv.c.name == name))
    if not rows:
        return None
    server_id = rows[0][0]
    seats, reservations = await _open_at(store, server_id, at)
    issued = await _issued_at(store, server_id, at)
    features = [_feature(feature, issued.get(feature), seats.get(feature, []),
                         reservations.get(feature, []))
                for feature in sorted(seats.keys() | reservations.keys() | issued.keys())]
    status = ServerStatus(name, None, Status.UP, features=tuple(features),
                          reported_at=datetime.fromtimestamp(at, UTC))
    return PastServer(name, status, tuple(await _events_before(store, server_id, name, at)))


async def _open_at(store: HistoryStore, server_id: int, at: int):
    s = schema.sessions
    query = (select(s.c.feature, s.c.daemon, s.c.user_name, s.c.host, s.c.display, s.c.handle,
                    s.c.version, s.c.count, s.c.borrowed, s.c.reserved, s.c.start_at)
             .where(s.c.server_id == server_id, s.c.start_at <= at,
                    or_(s.c.end_at.is_(None), s.c.end_at > at))
             .order_by(s.c.feature, s.c.start_at))
    seats: dict[str, list[tuple[str | None, Checkout]]] = defaultdict(list)
    reservations: dict[str, list[Reservation]] = defaultdict(list)
    for row in await store.rows(query):
        if row.reserved:  # "GROUP engineers": its kind and name
            kind, _, reserved_for = row.user_name.partition(" ")
            reservations[row.feature].append(Reservation(row.count, kind, reserved_for, None))
            continue
        start = datetime.fromtimestamp(row.start_at, UTC)
        seats[row.feature].append((row.daemon, Checkout(
            row.user_name, row.host, row.display, row.version, None, None, None, row.handle,
            start, row.count, bool(row.borrowed))))
    return seats, reservations


async def _issued_at(store: HistoryStore, server_id: int, at: int) -> dict[str, int]:
    m = schema.occupancy_minute
    minute = at - at % 60
    rows = await store.rows(select(m.c.feature, m.c.issued)
                            .where(m.c.server_id == server_id, m.c.at == minute,
                                   m.c.issued.is_not(None)))
    return {feature: issued for feature, issued in rows}


def _feature(name: str, issued: int | None, seats: list[tuple[str | None, Checkout]],
             reservations: list[Reservation]) -> Feature:
    vendor = next((daemon for daemon, _ in seats if daemon), None)
    checkouts = tuple(checkout for _, checkout in seats)
    in_use = sum(c.count for c in checkouts) + sum(r.count for r in reservations)
    return Feature(name, vendor, issued, in_use, checkouts=checkouts,
                   reservations=tuple(reservations))


async def _events_before(store: HistoryStore, server_id: int, name: str, at: int
                         ) -> list[Event]:
    e = schema.events
    query = (select(e.c.at, e.c.kind, e.c.daemon, e.c.feature, e.c.user_name, e.c.host,
                    e.c.count, e.c.reason, e.c.code, e.c.extra)
             .where(e.c.server_id == server_id, e.c.at > at - EVENTS_BEFORE_S, e.c.at <= at)
             .order_by(e.c.at.desc(), e.c.source_id.desc(), e.c.byte_offset.desc())
             .limit(EVENTS_KEPT))
    events = []
    for row in reversed(await store.rows(query)):
        try:
            kind = EventKind(row.kind)
        except ValueError:  # a kind this version does not know: not shown
            continue
        events.append(Event(datetime.fromtimestamp(row.at, UTC), kind, row.daemon, row.feature,
                            row.user_name, row.host, row.count, row.reason, row.code, name,
                            extra=row.extra))
    return events
