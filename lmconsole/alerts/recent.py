"""What one look (`watch --once`) cannot see in a status: the denials of the last period, the
checkouts that make a denial false, and whether each debug log is being read, taken from the
history that `collect` keeps. No Textual here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import or_, select

from lmconsole.history import schema
from lmconsole.model import Event, EventKind


class Gap(NamedTuple):
    server: str
    since: datetime
    until: datetime | None  # None: not read since
    reason: str


async def recent_events(store, servers: list[str], since: datetime) -> list[Event]:
    """The denials, and the checkouts, of `servers` since `since`, in time order."""
    d, s, names = schema.denials, schema.sessions, schema.servers
    start = int(since.timestamp())
    denied = await store.rows(
        select(names.c.name, d.c.at, d.c.kind, d.c.daemon, d.c.feature, d.c.user_name,
               d.c.host, d.c.count, d.c.reason, d.c.code)
        .join(names, names.c.id == d.c.server_id)
        .where(names.c.name.in_(servers), d.c.at >= start))
    out = await store.rows(
        select(names.c.name, s.c.start_at, s.c.daemon, s.c.feature, s.c.user_name, s.c.host,
               s.c.count)
        .join(names, names.c.id == s.c.server_id)
        .where(names.c.name.in_(servers), s.c.start_at >= start))
    events = [Event(_time(r.at), EventKind(r.kind), r.daemon, r.feature, r.user_name, r.host,
                    r.count, r.reason, r.code, r.name) for r in denied]
    events += [Event(_time(r.start_at), EventKind.OUT, r.daemon or "", r.feature, r.user_name,
                     r.host, r.count, server=r.name) for r in out]
    return sorted(events, key=lambda e: e.at)


async def recent_gaps(store, servers: list[str], since: datetime) -> list[Gap]:
    """The periods since `since` in which a server's debug log was not read; one still open
    (not read since) ends None."""
    g, names = schema.gaps, schema.servers
    rows = await store.rows(
        select(names.c.name, g.c.start_at, g.c.end_at, g.c.reason)
        .join(names, names.c.id == g.c.server_id)
        .where(names.c.name.in_(servers), g.c.kind == "log",
               or_(g.c.end_at.is_(None), g.c.end_at >= int(since.timestamp()))))
    return [Gap(r.name, _time(r.start_at), _time(r.end_at) if r.end_at else None,
                r.reason or "lines lost") for r in rows]


def _time(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
