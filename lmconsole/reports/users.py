"""`users`: who held seats in the period, how much and how lately; or how many different
people used the licences each day or month.

From the checkout sessions (reserved seats apart; borrowed ones included: they held a
seat), each clipped to the period; a session still open counts up to the last moment its
server was seen in the period. Per user (`per="host"`: per user and host):
- sessions: the sessions held at some time in the period;
- hours: the hours of the period they were held (two at once count twice);
- seat_hours: the same, each session's hours times its seats (a checkout of 2 counts 2);
- features: the distinct features used;
- first and last: when the first of them began and the last ended (both clipped to the
  period); days_since_last: whole days from the last to the period's end;
- long: the sessions held longer than `long_s` in all (not only in the period; one still
  open up to the last moment its server was seen in the period), borrowed ones apart:
  seats left checked out overnight.

With `distinct` ("day" or "month", on the reader's clock): a row per day or month of the
period with the distinct users who held a seat at some moment of it (a user counts on every
day a session of theirs spans).
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time, timedelta

from sqlalchemy import BigInteger, func, literal, select, union_all

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from .base import (
    DAY,
    HOUR,
    Question,
    Report,
    gap_rows,
    greatest,
    held_until,
    least,
    reaches,
    server_ids,
    total,
)
from .checkouts import SUMMED_LONG_S, checkouts, figures

NAME = "users"
LONG_S = SUMMED_LONG_S  # 8 h: the month sums count the sessions held longer
PER = ("user", "host")
DISTINCT = ("day", "month")
PERIODS_PER_QUERY = 500  # SQLite's limit on the SELECTs of one UNION ALL


async def users(store: HistoryStore, question: Question, *, per: str = "user",
                long_s: int = LONG_S, distinct: str | None = None) -> Report:
    if per not in PER:
        raise ValueError(f"users per {per!r}: one of {', '.join(PER)}")
    if distinct is not None:
        return await distinct_users(store, question, distinct)
    keys = (("user", "USER"),) + ((("host", "HOST"),) if per == "host" else ())
    columns = keys + (("sessions", "SESSIONS"), ("hours", "HOURS"),
                      ("seat_hours", "SEAT-HOURS"), ("features", "FEATURES"),
                      ("first", "FIRST"), ("last", "LAST"), ("days_since_last", "DAYS SINCE"),
                      ("long", f"OVER {long_s / HOUR:g} H"))
    report = Report(NAME, f"Users per {per}", question, columns,
                    times=frozenset({"first", "last"}))
    servers = await server_ids(store, question)
    if not servers:
        return report
    reach = await reaches(store, question, servers)
    for row in await store.rows(_per_user(store.dialect, question, servers, reach, per,
                                          long_s)):
        record = row._asdict()
        record["user"] = record.pop("user_name")
        record["hours"] = round(record.pop("seconds") / HOUR, 2)
        record["seat_hours"] = round(record.pop("seat_seconds") / HOUR, 2)
        report.rows.append(record)
    report.rules = [
        "checkouts clipped to the period, reserved seats apart; one still open counts up to "
        "the last moment its server was seen in the period",
        f"over {long_s / HOUR:g} h: sessions held longer than that in all, borrowed ones "
        "apart",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


def _per_user(dialect: str, question: Question, servers, reach, per: str, long_s: int):
    f = figures(dialect, question, servers, reach, long_s)
    # clipped to the period after the min() and max(), not before: once, not per session
    first = greatest(dialect, func.min(f.c.first_at), question.start)
    last = least(dialect, func.max(f.c.last_at), question.end)
    keys = [f.c.user_name] + ([f.c.host] if per == "host" else [])
    return (select(*keys, total(f.c.sessions).label("sessions"),
                   total(f.c.seconds).label("seconds"),
                   total(f.c.seat_seconds).label("seat_seconds"),
                   _features(question, f).label("features"),
                   first.label("first"), last.label("last"),
                   ((question.end - last) // DAY).label("days_since_last"),
                   total(f.c.long).label("long"))
            .group_by(*keys).order_by(*keys))


def _features(question: Question, checkouts):
    """SQL: the distinct features of a user's checkouts; 1 when one feature is asked, whose
    checkouts are all the user has (no count of distinct values per row then)."""
    if len(question.features) == 1:
        return literal(1, BigInteger)
    return func.count(func.distinct(checkouts.c.feature))


async def distinct_users(store: HistoryStore, question: Question, distinct: str) -> Report:
    if distinct not in DISTINCT:
        raise ValueError(f"distinct users per {distinct!r}: one of {', '.join(DISTINCT)}")
    report = Report(NAME, f"Distinct users per {distinct}", question,
                    ((distinct, distinct.upper()), ("users", "USERS")))
    servers = await server_ids(store, question)
    if not servers:
        return report
    reach = await reaches(store, question, servers)
    periods = calendar_periods(question, distinct)
    counted = {}
    for first in range(0, len(periods), PERIODS_PER_QUERY):
        batch = periods[first:first + PERIODS_PER_QUERY]
        counted.update((row.start, row.users) for row in await store.rows(
            _distinct_per_period(question, servers, reach, batch)))
    report.rows = [{distinct: name, "users": counted.get(start, 0)}
                   for name, start, _ in periods]
    report.rules = [
        f"users who held a seat at some moment of the {distinct} ({_zone_name(question)}), "
        "reserved seats apart; a session still open counts up to the last moment its "
        "server was seen in the period",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


def _distinct_per_period(question: Question, servers, reach, periods):
    """The distinct users per calendar period: the periods as a derived table (a SELECT of
    literals each), joined to the sessions that overlap them."""
    rows = [select(literal(start, BigInteger).label("start"),
                   literal(end, BigInteger).label("end")) for _, start, end in periods]
    calendar = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("calendar")
    s = schema.sessions
    held = s.c.start_at < calendar.c.end
    held &= (s.c.start_at >= calendar.c.start) | \
        (held_until(s, question, reach) > calendar.c.start)
    query = (select(calendar.c.start, func.count(func.distinct(s.c.user_name)).label("users"))
             .select_from(calendar.join(s, held))
             .group_by(calendar.c.start))
    return checkouts(query, question, servers, reach)


def calendar_periods(question: Question, distinct: str) -> list[tuple[str, int, int]]:
    """The days or months of the period on the reader's clock: [(its name, start, end)],
    start and end in epoch seconds, the first and last clipped to the period."""
    tz = question.tz
    day = datetime.fromtimestamp(question.start, tz).date()
    if distinct == "month":
        day = day.replace(day=1)
    periods = []
    while (start := _midnight(day, tz)) < question.end:
        name = day.isoformat()[:7] if distinct == "month" else day.isoformat()
        day = (day + timedelta(days=monthrange(day.year, day.month)[1])
               if distinct == "month" else day + timedelta(days=1))
        periods.append((name, max(start, question.start), min(_midnight(day, tz), question.end)))
    return periods


def _midnight(day: date, tz) -> int:
    return int(datetime.combine(day, time(), tz).timestamp())


def _zone_name(question: Question) -> str:
    return getattr(question.tz, "key", None) or str(question.tz)
