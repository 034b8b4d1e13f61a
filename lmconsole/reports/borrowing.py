"""`borrowing`: the seats borrowed for offline use that were out in the period, and the
users who, while borrowing one, held a floating seat of the same feature elsewhere too.

A borrowed seat is a session whose OUT line's reason says BORROW (or that polls listed as
borrowed). A row per borrowed session held at some time in the period:
- user, host, feature, server; since: when it was borrowed; until: when it came back
  (none while still out: still_out);
- hours: the hours of the period it was out (clipped to the period; one still out counts up
  to the last moment its server was seen in the period);
- floating_hosts: the other hosts from which the same user held a floating (not borrowed,
  not reserved) seat of the same feature, on any server of the report, at a moment of the
  period the borrowed seat was out: one person taking two seats, the borrowed one and one
  from the pool (0: none).
"""

from __future__ import annotations

from sqlalchemy import and_, false, func, select, true

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from .base import (
    HOUR,
    Question,
    Report,
    gap_rows,
    held_until,
    reaches,
    seconds_in_period,
    server_ids,
    sessions_in_period,
)
from .membership import in_groups

NAME = "borrowing"
COLUMNS = (("user", "USER"), ("host", "HOST"), ("feature", "FEATURE"), ("server", "SERVER"),
           ("since", "SINCE"), ("until", "UNTIL"), ("still_out", "STILL OUT"),
           ("hours", "HOURS"), ("floating_hosts", "FLOATING ELSEWHERE"))


async def borrowing(store: HistoryStore, question: Question) -> Report:
    servers = await server_ids(store, question)
    report = Report(NAME, "Borrowed seats", question, COLUMNS,
                    times=frozenset({"since", "until"}))
    if not servers:
        return report
    reach = await reaches(store, question, servers)
    for row in await store.rows(_borrowed(store.dialect, question, servers, reach)):
        report.rows.append({
            "user": row.user_name, "host": row.host, "feature": row.feature,
            "server": servers[row.server_id], "since": row.start_at, "until": row.end_at,
            "still_out": row.end_at is None, "hours": round(row.seconds / HOUR, 2),
            "floating_hosts": row.floating_hosts})
    report.rules = [
        "borrowed: the OUT line's reason says BORROW, or polls listed the seat as borrowed; "
        "one still out counts up to the last moment its server was seen in the period",
        "floating elsewhere: other hosts from which the same user held a floating seat of "
        "the feature while the borrowed one was out, in the period",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


def _borrowed(dialect: str, question: Question, servers, reach):
    """The borrowed sessions of the period, each with the other hosts its user held a
    floating seat of the feature from meanwhile: a self-join on the overlapping sessions."""
    b, f = schema.sessions.alias("borrowed"), schema.sessions.alias("floating")
    held_b, held_f = held_until(b, question, reach), held_until(f, question, reach)
    # both held at a moment of the period: the latest start before the earliest end, as
    # each start before each end, so that the floating seats' (feature, user, start)
    # index reads only those that began before the borrowed one came back
    together = and_(
        f.c.feature == b.c.feature, f.c.user_name == b.c.user_name, f.c.host != b.c.host,
        ~f.c.borrowed, ~f.c.reserved, f.c.server_id.in_(servers),
        f.c.start_at < held_b, f.c.start_at < question.end, b.c.start_at < held_f,
        held_f > question.start, b.c.start_at < held_b, held_b > question.start,
        b.c.start_at < question.end, true() if question.start < question.end else false())
    query = (select(b.c.server_id, b.c.user_name, b.c.host, b.c.feature, b.c.start_at,
                    b.c.end_at,
                    seconds_in_period(dialect, b, question, reach).label("seconds"),
                    func.count(func.distinct(f.c.host)).label("floating_hosts"))
             .select_from(b.outerjoin(f, together))
             .where(b.c.borrowed, b.c.server_id.in_(servers))
             .group_by(b.c.id)  # its other columns follow from its key
             .order_by(b.c.start_at, b.c.user_name, b.c.id))
    if question.users:
        query = query.where(b.c.user_name.in_(question.users))
    query = query.where(in_groups(question, b.c.user_name, b.c.start_at))
    if question.features:
        # the borrowed seats are few: found by their own index, then the feature checked;
        # feature = ? would send SQLite through every checkout of the feature instead
        query = query.where(func.coalesce(b.c.feature, "").in_(question.features))
    return sessions_in_period(query, b, question, reach)
