"""`groups`: usage and denials by directory group (lmconsole directory sync), each session
and denial counted under the groups its user was in on its day, as the history dates them.

Per group chosen (default: every group): the users who held a seat, their sessions, hours
and seat-hours (as in `users`: clipped to the period, reserved seats apart), and their
denials. A user in several of the chosen groups is counted once:
- "split": their figures divided equally among those groups;
- "primary": all of them under the first of those groups in the order chosen.
Only the most specific of a user's groups take part: a group that holds another of the
user's chosen groups (nesting) leaves the count to it. Groups then roll up: a group's row
is its own count and that of every chosen group nested in it, so a parent's figures hold
its children's once. Usage by users in none of the chosen groups is on the row "(none)".
Reserved seats held idle (RESERVE lines as polls saw them, as in `reservations`) count as
idle reserved seat-hours: a GROUP reservation under the group of that name (or, not
chosen, under the most specific chosen groups holding it), a USER one under its user's
groups as above; the rest on "(none)".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import func, select

from lmconsole.directory.model import MEMBER_GROUP
from lmconsole.history import schema
from lmconsole.history.directory import members_as_of, membership_spans
from lmconsole.history.store import HistoryStore

from .base import (
    DAY,
    HOUR,
    Question,
    Report,
    filtered,
    gap_rows,
    greatest,
    reaches,
    seconds_in_period,
    server_ids,
    sessions_in_period,
    total,
)
from .checkouts import checkouts, figures

NAME = "groups"
COUNTS = ("split", "primary")
NO_GROUP = "(none)"
FIGURES = ("sessions", "seconds", "seat_seconds", "denials", "reserved_idle_seat_seconds")
MAX_DEPTH = 100  # nesting followed for the roll-up
MAX_NAMED_USERS = 500  # more users whose groups change: their figures per day read for all


async def groups(store: HistoryStore, question: Question, *, chosen: Sequence[str] = (),
                 count: str = "split", directory: str | None = None) -> Report:
    if count not in COUNTS:
        raise ValueError(f"groups counted {count!r}: one of {', '.join(COUNTS)}")
    columns = (("group", "GROUP"), ("within", "WITHIN"), ("users", "USERS"),
               ("sessions", "SESSIONS"), ("hours", "HOURS"), ("seat_hours", "SEAT-HOURS"),
               ("denials", "DENIALS"), ("reserved_idle_seat_hours", "RESERVED IDLE SEAT-H"))
    report = Report(NAME, f"Usage by directory group ({count})", question, columns)
    spans = await membership_spans(store, question.start, question.end, directory)
    nesting = await members_as_of(store, question.end - 1, directory, kinds=(MEMBER_GROUP,))
    names = list(dict.fromkeys(chosen)) or sorted({group for group, *_ in spans})
    servers = await server_ids(store, question)
    own: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0.0))
    users: dict[str, set[str]] = defaultdict(set)
    if servers:
        counter = Counter(names, spans, nesting, count)
        reach = await reaches(store, question, servers)
        await _credit_per_user(store, question, counter,
                               _usage_per_user(store.dialect, question, servers, reach),
                               _usage, own, users)
        await _credit_per_user(store, question, counter, _denials_per_user(question, servers),
                               lambda row: {"denials": row.denials}, own, users)
        for row in await store.rows(_reserved_per_day(store.dialect, question, servers,
                                                      reach)):
            idle = {"reserved_idle_seat_seconds": row.seat_seconds}
            kind, _, name = row.user_name.partition(" ")
            if kind == "GROUP":
                counter.credit_group(own, name, idle)
            else:
                counter.credit(own, None, name if kind == "USER" else "", row.day, idle)
    within = parents(names, nesting)
    for name in [*names, NO_GROUP]:
        below = [name, *descendants(name, nesting, names)] if name != NO_GROUP else [name]
        if name == NO_GROUP and name not in own:
            continue
        figures = {key: sum(own[g][key] for g in below if g in own) for key in FIGURES}
        report.rows.append({
            "group": name, "within": within.get(name),
            "users": len(set().union(*(users[g] for g in below))),
            "sessions": _number(figures["sessions"]),
            "hours": round(figures["seconds"] / HOUR, 2),
            "seat_hours": round(figures["seat_seconds"] / HOUR, 2),
            "denials": _number(figures["denials"]),
            "reserved_idle_seat_hours": round(figures["reserved_idle_seat_seconds"] / HOUR, 2)})
    report.rules = [
        "each session and denial under the groups its user was in on its day (UTC) as the "
        "directory's syncs dated them; sessions clipped to the period, reserved seats apart",
        "a user in several groups: " + ("split equally among them" if count == "split" else
                                        "under the first of them in the order given"),
        "nested groups roll up: a group's row holds the groups within it",
        "reserved idle: a GROUP reservation under the group of its name, a USER one under "
        "its user's groups",
    ]
    report.gaps = await gap_rows(store, servers, question) if servers else []
    return report


def _number(value: float) -> int | float:
    """A count: whole unless split among groups."""
    return int(value) if value == int(value) else round(value, 2)


class Counter:
    """Credits a user's figures of a day to their groups as the rule says."""

    def __init__(self, names: Sequence[str], spans, nesting: Mapping[str, set[str]],
                 count: str) -> None:
        self.order = {name: n for n, name in enumerate(names)}
        self.count = count
        self.spans: dict[str, list[tuple[str, int, int | None]]] = defaultdict(list)
        for group, member, valid_from, valid_to in spans:
            if group in self.order:
                self.spans[member].append((group, valid_from, valid_to))
        self.below = {name: set(descendants(name, nesting, names)) for name in names}
        every = set(nesting) | {group for inner in nesting.values() for group in inner}
        self.inside = {name: set(descendants(name, nesting, every)) for name in names}

    def groups_of(self, user: str, day: int) -> list[str]:
        moment = day * DAY
        found = {group for group, valid_from, valid_to in self.spans.get(user, ())
                 if valid_from <= moment + DAY - 1 and (valid_to is None or valid_to > moment)}
        specific = [g for g in found if not self.below[g] & found]
        return sorted(specific, key=self.order.__getitem__)

    def changing(self, first_day: int, last_day: int) -> set[str]:
        """The users whose groups are not the same on every day from first_day to last_day
        (day numbers): a membership of theirs begins or ends in between."""
        def begun(valid_from: int, day: int) -> bool:
            return valid_from <= day * DAY + DAY - 1

        def going(valid_to: int | None, day: int) -> bool:
            return valid_to is None or valid_to > day * DAY

        return {user for user, spans in self.spans.items()
                if any(begun(valid_from, first_day) != begun(valid_from, last_day)
                       or going(valid_to, first_day) != going(valid_to, last_day)
                       for _, valid_from, valid_to in spans)}

    def credit_group(self, own, group: str, figures: Mapping[str, float]) -> None:
        """Credit a group's own figures (a GROUP reservation) to it, or else to the most
        specific chosen groups holding it."""
        holding = {name for name in self.order if name == group or group in self.inside[name]}
        specific = sorted((g for g in holding if not self.below[g] & holding),
                          key=self.order.__getitem__)
        self._share(own, None, "", specific or [NO_GROUP], figures)

    def credit(self, own, users, user: str, day: int, figures: Mapping[str, float]) -> None:
        self._share(own, users, user, self.groups_of(user, day) or [NO_GROUP], figures)

    def _share(self, own, users, user: str, groups: list[str],
               figures: Mapping[str, float]) -> None:
        if self.count == "primary":
            groups = groups[:1]
        share = 1 / len(groups)
        for group in groups:
            if users is not None:
                users[group].add(user)
            for key, value in figures.items():
                own[group][key] += (value or 0) * share


def descendants(name: str, nesting: Mapping[str, Iterable[str]],
                among: Iterable[str]) -> list[str]:
    """The groups of `among` nested in `name` at any depth (a cycle followed once)."""
    wanted, seen, level = set(among), {name}, set(nesting.get(name, ()))
    for _ in range(MAX_DEPTH):
        level -= seen
        if not level:
            break
        seen |= level
        level = {deeper for group in level for deeper in nesting.get(group, ())}
    return sorted((seen - {name}) & wanted)


def parents(names: Sequence[str], nesting: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Each chosen group's nearest chosen group holding it directly (for the table)."""
    chosen = set(names)
    return {child: parent for parent in names for child in nesting.get(parent, ())
            if child in chosen and child != parent}


async def _credit_per_user(store: HistoryStore, question: Question, counter: Counter,
                           queries, figures, own, users) -> None:
    """Credit figures to their users' groups: per user for the users whose groups stay the
    same on every day of the period (most: a sum per user needs no sort of the rows by
    day), per user and day for the few whose groups change in it. `queries(per_day, only)`:
    the query of the figures per user (and day), of the users `only` (None: all)."""
    days = question.start // DAY, (question.end - 1) // DAY
    changing = counter.changing(*days)
    for row in await store.rows(queries(False, None)):
        if row.user_name not in changing:
            counter.credit(own, users, row.user_name, days[0], figures(row))
    if not changing:
        return
    only = changing if len(changing) <= MAX_NAMED_USERS else None
    for row in await store.rows(queries(True, only)):
        if row.user_name in changing:
            counter.credit(own, users, row.user_name, row.day, figures(row))


def _usage(row) -> dict[str, float]:
    return {"sessions": row.sessions, "seconds": row.seconds,
            "seat_seconds": row.seat_seconds}


def _of_users(query, user, only: set[str] | None):
    return query if only is None else query.where(user.in_(sorted(only)))


def _usage_per_user(dialect: str, question: Question, servers, reach):
    """SQL, per user (and per_day: the UTC day of the session's start in the period):
    the sessions, their seconds and seat-seconds in the period; per user from the month
    sums where they answer, per day from the sessions."""
    def query(per_day: bool, only: set[str] | None):
        if per_day:
            return _of_users(_usage_per_day(dialect, question, servers, reach),
                             schema.sessions.c.user_name, only)
        f = figures(dialect, question, servers, reach, of_groups=False)
        return _of_users(select(f.c.user_name, total(f.c.sessions).label("sessions"),
                                total(f.c.seconds).label("seconds"),
                                total(f.c.seat_seconds).label("seat_seconds"))
                         .group_by(f.c.user_name), f.c.user_name, only)
    return query


def _usage_per_day(dialect: str, question: Question, servers, reach):
    s = schema.sessions
    seconds = seconds_in_period(dialect, s, question, reach)
    day = (greatest(dialect, s.c.start_at, question.start) // DAY).label("day")
    query = (select(s.c.user_name, day, func.count().label("sessions"),
                    total(seconds).label("seconds"),
                    total(s.c.count * seconds).label("seat_seconds"))
             .group_by(s.c.user_name, day))
    return checkouts(query, question, servers, reach, plain_servers=False, of_groups=False)


def _reserved_per_day(dialect: str, question: Question, servers, reach):
    """The idle reserved seat-seconds per reservation ("GROUP cae", "USER ann") and day:
    the few reserved sessions found by their own index on (server_id, start_at), which the
    condition on the server offers. The features named are asked of an expression (the
    name joined to ''), which no index has: along the features' index SQLite read every
    session of the feature (a tenth of a second for a million)."""
    s = schema.sessions
    seconds = seconds_in_period(dialect, s, question, reach)
    day = (greatest(dialect, s.c.start_at, question.start) // DAY).label("day")
    query = (select(s.c.user_name, day, total(s.c.count * seconds).label("seat_seconds"))
             .where(s.c.reserved, s.c.server_id.in_(servers))
             .group_by(s.c.user_name, day))
    if question.features:
        query = query.where((s.c.feature + "").in_(question.features))
    return sessions_in_period(query, s, question, reach)


def _denials_per_user(question: Question, servers):
    """SQL, per user (and per_day: the UTC day): the denials in the period."""
    d = schema.denials

    def query(per_day: bool, only: set[str] | None):
        keys = ((d.c.at // DAY).label("day"),) if per_day else ()
        found = (select(d.c.user_name, *keys, func.count().label("denials"))
                 .where(d.c.server_id.in_(servers), d.c.at >= question.start,
                        d.c.at < question.end, d.c.user_name.is_not(None))
                 .group_by(d.c.user_name, *keys))
        if question.users:
            found = found.where(d.c.user_name.in_(question.users))
        return _of_users(filtered(found, d, question), d.c.user_name, only)
    return query
