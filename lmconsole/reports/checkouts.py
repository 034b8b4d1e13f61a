"""The checkouts reports users, groups and projects count, as rows of figures: per session
of the period, or per sum of the sessions of a whole UTC month of it (session_month_sums,
kept by triggers on the sessions: migration 0011).

A sum holds the checkouts (reserved seats apart) that began and ended in one month: those
of a month wholly in the period are wholly in it too, so each counts its whole length and
needs no clipping. Every other session held in the period is read from the sessions
table: those of the period's part months, those still open (held up to the last moment
their server was seen) and those across a month's end. Both kinds of rows have the same
columns (server_id, feature, user_name, host, project, sessions, seconds, seat_seconds,
long, first_at, last_at), which the reports sum as they summed sessions.

The sums answer only where they are exact: not for directory groups (a session counts by
its user's membership when it began) nor for `long` of another threshold than the one
summed; there every row is a session's. Nor where no feature is named: of every feature a
year has nearly as many sums as sessions (6 million for 10 million: a user's sessions of
a feature in a month are few), which must be sorted with the sessions left to be grouped,
where the sessions alone are grouped along the users' index without a sort (generated
year, CPU: users 4.3 -> 7.3 s, groups 2.6 -> 5.4, projects 2.4 -> 5.8 with the sums).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, case, literal, null, or_, select, union_all

from lmconsole.history import schema

from .base import (
    Question,
    filtered,
    held_until,
    of_sessions_servers,
    seconds_in_period,
    sessions_in_period,
)
from .membership import in_groups

SUMMED_LONG_S = schema.MONTH_SUMS_LONG_S


def whole_months(question: Question) -> list[int]:
    """The first seconds of the UTC months wholly in the period, and the end of the last
    ([] when it holds no whole month)."""
    day = datetime.fromtimestamp(question.start, UTC)
    month = (day.year, day.month)
    if (day.day, day.hour, day.minute, day.second) != (1, 0, 0, 0):
        month = _following(month)
    bounds = []
    while (at := _epoch(month)) <= question.end:
        bounds.append(at)
        month = _following(month)
    return bounds if len(bounds) > 1 else []


def _following(month: tuple[int, int]) -> tuple[int, int]:
    year, number = month
    return (year + 1, 1) if number == 12 else (year, number + 1)


def _epoch(month: tuple[int, int]) -> int:
    return int(datetime(*month, 1, tzinfo=UTC).timestamp())


def checkouts(query, question: Question, servers, reach, *, plain_servers: bool = True,
              of_groups: bool = True):
    """`query` of the checkout sessions (reserved seats apart) of the report's servers,
    features, users and groups held in the period. `plain_servers`: the server asked of
    every session (else only where servers are named: see of_sessions_servers);
    `of_groups`: only those of the question's directory groups (report groups sorts the
    sessions into groups itself)."""
    s = schema.sessions
    of_servers = (s.c.server_id.in_(servers) if plain_servers
                  else of_sessions_servers(s, question, servers))
    query = query.where(~s.c.reserved, of_servers)
    if of_groups:
        query = query.where(in_groups(question, s.c.user_name, s.c.start_at))
    if question.users:
        query = query.where(s.c.user_name.in_(question.users))
    return filtered(sessions_in_period(query, s, question, reach), s, question)


def figures(dialect: str, question: Question, servers, reach, long_s: int | None = None, *,
            of_groups: bool = True):
    """A subquery of the period's checkouts as rows of figures (see the module's words);
    `long`: those held longer than `long_s` in all, borrowed ones apart (None: not asked,
    0 in every row); `of_groups` as for `checkouts`."""
    exact = not (of_groups and question.groups) and long_s in (None, SUMMED_LONG_S)
    bounds = whole_months(question) if exact and question.features else []
    sessions = _per_session(dialect, question, servers, reach, long_s, of_groups)
    if not bounds:
        return sessions.subquery("checkouts")
    s = schema.sessions
    unsummed = or_(s.c.start_at < bounds[0], s.c.start_at >= bounds[-1], s.c.end_at.is_(None),
                   s.c.end_at > _month_end(s.c.start_at, bounds))
    return union_all(sessions.where(unsummed),
                     _sums(question, servers, bounds, long_s)).subquery("checkouts")


def _per_session(dialect: str, question: Question, servers, reach, long_s: int | None,
                 of_groups: bool):
    s = schema.sessions
    seconds = seconds_in_period(dialect, s, question, reach)
    held = held_until(s, question, reach)
    long = (case((~s.c.borrowed & (held - s.c.start_at > long_s), 1), else_=0)
            if long_s is not None else literal(0, BigInteger))
    query = select(s.c.server_id, s.c.feature, s.c.user_name, s.c.host, s.c.project,
                   literal(1, BigInteger).label("sessions"), seconds.label("seconds"),
                   (s.c.count * seconds).label("seat_seconds"), long.label("long"),
                   s.c.start_at.label("first_at"), held.label("last_at"))
    return checkouts(query, question, servers, reach, plain_servers=False,
                     of_groups=of_groups)


def _sums(question: Question, servers, bounds: list[int], long_s: int | None):
    m = schema.session_month_sums
    query = select(m.c.server_id, m.c.feature, m.c.user_name,
                   case((m.c.no_host, null()), else_=m.c.host).label("host"),
                   case((m.c.no_project, null()), else_=m.c.project).label("project"),
                   m.c.sessions, m.c.seconds, m.c.seat_seconds,
                   (m.c.long_sessions if long_s is not None else literal(0, BigInteger)),
                   m.c.first_start, m.c.last_end
                   ).where(m.c.month >= bounds[0], m.c.month < bounds[-1])
    if question.servers:
        query = query.where(m.c.server_id.in_(servers))
    if question.users:
        query = query.where(m.c.user_name.in_(question.users))
    return filtered(query, m, question)


def _month_end(start_at, bounds: list[int]):
    """SQL: the end of the month (of `bounds`) `start_at` falls in, for one in the whole
    months: a CASE halving the months at each step (a dozen comparisons would be made per
    session in order)."""
    if len(bounds) == 2:
        return literal(bounds[1], BigInteger)
    middle = len(bounds) // 2
    return case((start_at < bounds[middle], _month_end(start_at, bounds[:middle + 1])),
                else_=_month_end(start_at, bounds[middle:]))
