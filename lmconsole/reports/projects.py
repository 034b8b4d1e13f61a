"""`projects`: usage and denials by project.

A checkout's project is the one its debug-log line names (FlexNet's verbose data carries
the client's LM_PROJECT; lmconsole.model.verbose_project); else the first [[projects]]
rule of the configuration whose patterns match its user, host and feature; else "(none)".
A denial's project comes from the rules alone (the history keeps no project for denials).
The rules become one SQL CASE of LIKE patterns, so the figures are aggregates in the
database. Per project: the users who held a seat, the sessions, hours and seat-hours (as
in `users`: clipped to the period, reserved seats apart), how many of the sessions the log
named the project of, and the denials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import String, and_, case, func, literal, or_, select

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from .base import (
    HOUR,
    Question,
    Report,
    filtered,
    gap_rows,
    reaches,
    server_ids,
    total,
)
from .checkouts import figures
from .membership import in_groups

if TYPE_CHECKING:  # the configuration reads the adapters, which the screens must not import
    from lmconsole.config import ProjectRule

NAME = "projects"
NO_PROJECT = "(none)"
COLUMNS = (("project", "PROJECT"), ("users", "USERS"), ("sessions", "SESSIONS"),
           ("from_log", "FROM LOG"), ("hours", "HOURS"), ("seat_hours", "SEAT-HOURS"),
           ("denials", "DENIALS"))


async def projects(store: HistoryStore, question: Question, *,
                   rules: Sequence[ProjectRule] = ()) -> Report:
    report = Report(NAME, "Usage and denials by project", question, COLUMNS)
    servers = await server_ids(store, question)
    if not servers:
        return report
    reach = await reaches(store, question, servers)
    found: dict[str, dict] = {}
    for row in await store.rows(_usage(store.dialect, question, servers, reach, rules)):
        found[row.project] = {"project": row.project, "users": row.users,
                              "sessions": row.sessions, "from_log": int(row.from_log or 0),
                              "hours": round((row.seconds or 0) / HOUR, 2),
                              "seat_hours": round((row.seat_seconds or 0) / HOUR, 2),
                              "denials": 0}
    for row in await store.rows(_denials(question, servers, rules)):
        found.setdefault(row.project, {
            "project": row.project, "users": 0, "sessions": 0, "from_log": 0, "hours": 0.0,
            "seat_hours": 0.0, "denials": 0})["denials"] = row.denials
    report.rows = sorted(found.values(),
                         key=lambda r: (r["project"] == NO_PROJECT, -r["seat_hours"],
                                        r["project"]))
    report.rules = [
        "a checkout's project: the one its log line names (FlexNet's verbose LM_PROJECT), "
        f"else the first of the {len(rules)} [[projects]] rules matching its user, host and "
        f"feature, else {NO_PROJECT}; a denial's: the rules' only",
        "checkouts clipped to the period, reserved seats apart; one still open counts up to "
        "the last moment its server was seen in the period",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


def project_by_rules(rules: Sequence[ProjectRule], user, host, feature):
    """SQL: the name of the first rule matching, else NO_PROJECT."""
    whens = [(_matches(rule, user, host, feature), literal(rule.name, String))
             for rule in rules]
    return case(*whens, else_=literal(NO_PROJECT, String)) if whens else \
        literal(NO_PROJECT, String)


def _matches(rule: ProjectRule, user, host, feature):
    conditions = [or_(*[func.coalesce(column, "").like(like_pattern(p), escape="\\")
                        for p in patterns])
                  for column, patterns in ((user, rule.users), (host, rule.hosts),
                                           (feature, rule.features)) if patterns]
    return and_(*conditions)


def like_pattern(glob: str) -> str:
    """A shell pattern (* any text, ? one character) as a LIKE pattern escaped by \\."""
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _usage(dialect: str, question: Question, servers, reach, rules):
    """SQL, per project: the users, sessions (how many of them from the log), seconds and
    seat-seconds. The checkouts summed per user, logged project and what the rules look at
    (feature, host) first, so that the rules are worked out once per sum; of every feature
    SQLite groups the sessions along the index of the users' sessions (no sort of ten
    million sessions), and a year's whole months come summed (reports.checkouts)."""
    f = figures(dialect, question, servers, reach)
    keys = [f.c.user_name, f.c.project]  # the users' index's order
    keys += [f.c.feature] if any(rule.features for rule in rules) else []
    keys += [f.c.host] if any(rule.hosts for rule in rules) else []
    u = (select(*keys, total(f.c.sessions).label("sessions"),
                total(f.c.seconds).label("seconds"),
                total(f.c.seat_seconds).label("seat_seconds"))
         .group_by(*keys).subquery())
    return _per_project(u.c, rules, u.c.sessions, u.c.seconds, u.c.seat_seconds)


def _per_project(sessions, rules, count, seconds, seat_seconds):
    """SQL: the figures per project of sessions or of sums of them (`count` sessions each;
    the host and feature only where a rule looks at them)."""
    project = func.coalesce(sessions.project, project_by_rules(
        rules, sessions.user_name, sessions.get("host"), sessions.get("feature"))
    ).label("project")
    return (select(project, func.count(func.distinct(sessions.user_name)).label("users"),
                   total(count).label("sessions"),
                   total(case((sessions.project.is_not(None), count), else_=0))
                   .label("from_log"),
                   total(seconds).label("seconds"), total(seat_seconds).label("seat_seconds"))
            .group_by(project))


def _denials(question: Question, servers, rules):
    d = schema.denials
    project = project_by_rules(rules, d.c.user_name, d.c.host, d.c.feature).label("project")
    query = (select(project, func.count().label("denials"))
             .where(d.c.server_id.in_(servers), d.c.at >= question.start,
                    d.c.at < question.end, in_groups(question, d.c.user_name, d.c.at))
             .group_by(project))
    if question.users:
        query = query.where(d.c.user_name.in_(question.users))
    return filtered(query, d, question)
