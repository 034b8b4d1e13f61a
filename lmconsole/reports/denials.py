"""`denials`: the denials of the period by feature, user, host, reason or hour of the day,
the true ones apart.

A denial is false when the user got the feature within the window after it (the same user
checked the same feature out, on any server, within `window_s`: the application retried,
or another server of the pool served it), or when it repeats a denial of the same user and
feature less than `window_s` before it (one wait, told several times). The rest are true:
an engineer who was turned away. The report says how many it took out as false.
"""

from __future__ import annotations

from sqlalchemy import and_, case, exists, func, or_, select

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from .base import HOUR, Question, Report, filtered, gap_rows, local_seconds, server_ids
from .membership import in_groups

NAME = "denials"
WINDOW_S = 10  # the configuration's true_denial.window_s by default
GROUPINGS = ("feature", "user", "host", "reason", "hour")
HEADINGS = {"feature": "FEATURE", "user": "USER", "host": "HOST", "reason": "REASON",
            "hour": "HOUR"}


async def denials(store: HistoryStore, question: Question, *, by: str = "feature",
                  window_s: int = WINDOW_S) -> Report:
    if by not in GROUPINGS:
        raise ValueError(f"denials by {by!r}: one of {', '.join(GROUPINGS)}")
    servers = await server_ids(store, question)
    columns = ((by, HEADINGS[by]), ("denials", "DENIALS"), ("true", "TRUE"),
               ("false", "FALSE"), ("users", "USERS"), ("first", "FIRST"), ("last", "LAST"))
    report = Report(NAME, f"Denials by {by}", question, columns,
                    times=frozenset({"first", "last"}))
    if not servers:
        return report
    d = schema.denials
    key = _grouping(by, question)
    true = ~_retried(window_s) & ~_repeated(window_s)
    query = (select(key.label(by), func.count().label("denials"),
                    func.sum(_as_int(true)).label("true"),
                    func.count(func.distinct(d.c.user_name)).label("users"),
                    func.min(d.c.at).label("first"), func.max(d.c.at).label("last"))
             .where(d.c.server_id.in_(servers), d.c.at >= question.start, d.c.at < question.end)
             .group_by(key)
             .order_by(*([key] if by == "hour" else [func.count().desc(), key])))
    if question.users:
        query = query.where(d.c.user_name.in_(question.users))
    query = query.where(in_groups(question, d.c.user_name, d.c.at))
    for row in await store.rows(filtered(query, d, question)):
        record = row._asdict()
        record["true"] = int(record["true"] or 0)
        record["false"] = record["denials"] - record["true"]
        report.rows.append(record)
    removed = sum(row["false"] for row in report.rows)
    report.rules = [
        f"true denials: {removed} of {sum(r['denials'] for r in report.rows)} taken out as "
        f"false (the user got the feature within {window_s} s on any server, or was denied "
        f"it again within {window_s} s)",
        "DENIED and UNSUPPORTED lines of the debug logs",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


def _grouping(by: str, question: Question):
    d = schema.denials
    if by == "hour":  # of the day, on the report's clock
        local = local_seconds(d.c.at, question.tz, question.start, question.end)
        return (local % (24 * HOUR)) // HOUR
    if by == "reason":  # FlexLM's code and its words: "-4,342 Licensed number of users ..."
        return func.coalesce(d.c.code, "") + " " + func.coalesce(d.c.reason, "")
    return {"feature": d.c.feature, "user": d.c.user_name, "host": d.c.host}[by]


def _retried(window_s: int):
    """The user checked the feature out within the window after the denial."""
    d, s = schema.denials, schema.sessions
    return exists().where(s.c.feature == d.c.feature, s.c.user_name == d.c.user_name,
                          s.c.start_at >= d.c.at, s.c.start_at <= d.c.at + window_s)


def _repeated(window_s: int):
    """The same user was denied the feature within the window before (in the same second:
    an earlier line)."""
    d = schema.denials
    earlier = d.alias("earlier")
    return exists().where(
        earlier.c.feature == d.c.feature, earlier.c.user_name == d.c.user_name,
        earlier.c.at >= d.c.at - window_s, earlier.c.at <= d.c.at,
        or_(earlier.c.at < d.c.at,
            and_(earlier.c.source_id == d.c.source_id, earlier.c.byte_offset < d.c.byte_offset),
            earlier.c.source_id < d.c.source_id))


def _as_int(condition):
    return case((condition, 1), else_=0)
