"""`reservations`: per reservation, the seats it held idle in the period, and the people
turned away from the feature meanwhile.

A reservation is a RESERVE line of an options file as polls saw it: the reserved sessions
(`reserved`), each a spell in which lmstat listed its seats as reserved and idle, known by
the feature and "KIND name" ("GROUP engineers", "USER anna"). The figures, per (server,
feature, reservation):
- seats: the most seats one of its spells held idle;
- spells: its idle spells held at some time in the period;
- idle_hours: the hours of the period it held seats idle (each spell clipped to the period;
  a spell still open counts up to the last moment its server was seen in the period);
- idle_seat_hours: the same, each spell's hours times its seats;
- denials_while_idle: the denials (DENIED and UNSUPPORTED lines, whatever their reason) of
  the same feature on the same server whose time falls inside one of its idle spells, in
  the period, except those of the reservation's own user or host (a USER or HOST
  reservation) or of its group's members (a GROUP reservation whose group the directory
  has under the same name, its members as of the denial);
- denied_users: the distinct users of those denials.
Asked about directory groups (`--group`), the reservations of those groups and of the
groups nested in them (GROUP lines naming them), and of their members (USER lines naming a
member when the spell began).
"""

from __future__ import annotations

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select

from lmconsole.directory.model import MEMBER_GROUP, USER_KINDS
from lmconsole.history import schema
from lmconsole.history.directory import members_as_of, valid_at
from lmconsole.history.store import HistoryStore

from .base import (
    HOUR,
    Question,
    Report,
    filtered,
    gap_rows,
    greatest,
    held_until,
    least,
    reaches,
    seconds_in_period,
    server_ids,
    sessions_in_period,
    total,
)
from .groups import descendants
from .membership import in_groups

NAME = "reservations"
COLUMNS = (("server", "SERVER"), ("feature", "FEATURE"), ("reservation", "RESERVATION"),
           ("seats", "SEATS"), ("spells", "SPELLS"), ("idle_hours", "HOURS IDLE"),
           ("idle_seat_hours", "SEAT-HOURS IDLE"), ("denials_while_idle", "DENIALS MEANWHILE"),
           ("denied_users", "USERS DENIED"))


async def reservations(store: HistoryStore, question: Question) -> Report:
    servers = await server_ids(store, question)
    report = Report(NAME, "Reservations: seats held idle, and who was denied meanwhile",
                    question, COLUMNS)
    if not servers:
        return report
    reach = await reaches(store, question, servers)
    held_for = await _held_for_groups(store, question)
    idle = await _idle(store, question, servers, reach, held_for)
    denied = await _denied_while_idle(store, question, servers, reach, held_for)
    for key in sorted(idle, key=lambda k: (servers[k[0]], k[1], k[2])):
        figures, denials = idle[key], denied.get(key, {})
        report.rows.append({
            "server": servers[key[0]], "feature": key[1], "reservation": key[2],
            "seats": figures["seats"], "spells": figures["spells"],
            "idle_hours": round(figures["idle_s"] / HOUR, 2),
            "idle_seat_hours": round(figures["idle_seat_s"] / HOUR, 2),
            "denials_while_idle": denials.get("denials", 0),
            "denied_users": denials.get("users", 0)})
    report.rules = [
        "reservations as polls saw them idle (lmstat's RESERVATIONs); a spell still open "
        "counts up to the last moment its server was seen in the period",
        "denials meanwhile: of the feature on the same server while the reservation held "
        "seats idle, of every reason, the reservation's own USER or HOST left out, and for "
        "a GROUP the members of the directory group of that name",
    ]
    if question.groups:
        report.rules.append("the reservations of the groups: GROUP lines naming them or "
                            "groups nested in them, USER lines naming their members")
    if question.users:
        report.rules.append("denials of the users asked for only")
    report.gaps = await gap_rows(store, servers, question)
    return report


async def _held_for_groups(store, question: Question) -> tuple[str, ...]:
    """The GROUP reservations' names that are of the question's groups: the groups and
    those nested in them at the end of the period (a small graph, not rows of usage)."""
    if not question.groups:
        return ()
    nesting = await members_as_of(store, question.end - 1, question.directory,
                                  kinds=(MEMBER_GROUP,))
    groups = set(question.groups)
    for name in question.groups:
        groups.update(descendants(name, nesting, nesting.keys() | _nested(nesting)))
    return tuple(sorted(groups))


def _nested(nesting) -> set[str]:
    return {group for inner in nesting.values() for group in inner}


def _reserved_sessions(query, sessions, question: Question, servers, reach,
                       held_for: tuple[str, ...] = ()):
    query = query.where(sessions.c.reserved, sessions.c.server_id.in_(servers))
    if question.groups:
        user = func.substr(sessions.c.user_name, 6)  # after "USER "
        query = query.where(or_(
            sessions.c.user_name.in_([f"GROUP {name}" for name in held_for]),
            sessions.c.user_name.like("USER %")
            & in_groups(question, user, sessions.c.start_at)))
    return filtered(sessions_in_period(query, sessions, question, reach), sessions, question)


def _of_reserved_group(sessions, denials):
    """SQL: the denied user is a member, at the denial, of the directory group a GROUP
    reservation names."""
    m = schema.directory_members
    return sessions.c.user_name.like("GROUP %") & exists(
        select(m.c.id).where(m.c.group_name == func.substr(sessions.c.user_name, 7),
                             m.c.member == denials.c.user_name, m.c.kind.in_(USER_KINDS),
                             valid_at(m, denials.c.at)))


async def _idle(store, question, servers, reach, held_for
                ) -> dict[tuple[int, str, str], dict]:
    s = schema.sessions
    seconds = seconds_in_period(store.dialect, s, question, reach)
    query = (select(s.c.server_id, s.c.feature, s.c.user_name,
                    func.max(s.c.count).label("seats"), func.count().label("spells"),
                    total(seconds).label("idle_s"),
                    total(s.c.count * seconds).label("idle_seat_s"))
             .group_by(s.c.server_id, s.c.feature, s.c.user_name))
    query = _reserved_sessions(query, s, question, servers, reach, held_for)
    return {(row.server_id, row.feature, row.user_name): row._asdict()
            for row in await store.rows(query)}


async def _denied_while_idle(store, question, servers, reach, held_for
                             ) -> dict[tuple[int, str, str], dict]:
    s, d = schema.sessions, schema.denials
    # a denial is one log line: counted once per reservation even should two of its spells
    # overlap (two collectors polling one server)
    line = cast(d.c.source_id, String) + ":" + cast(d.c.byte_offset, String)
    while_idle = and_(
        d.c.server_id == s.c.server_id, d.c.feature == s.c.feature,
        d.c.at >= greatest(store.dialect, s.c.start_at, question.start),
        d.c.at < least(store.dialect, held_until(s, question, reach), question.end),
        s.c.user_name != literal("USER ") + func.coalesce(d.c.user_name, ""),
        s.c.user_name != literal("HOST ") + func.coalesce(d.c.host, ""),
        ~_of_reserved_group(s, d))
    query = (select(s.c.server_id, s.c.feature, s.c.user_name,
                    func.count(func.distinct(line)).label("denials"),
                    func.count(func.distinct(d.c.user_name)).label("users"))
             .select_from(s.join(d, while_idle))
             .group_by(s.c.server_id, s.c.feature, s.c.user_name))
    if question.users:
        query = query.where(d.c.user_name.in_(question.users))
    query = _reserved_sessions(query, s, question, servers, reach, held_for)
    return {(row.server_id, row.feature, row.user_name): row._asdict()
            for row in await store.rows(query)}
