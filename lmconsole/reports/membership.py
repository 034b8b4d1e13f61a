"""Reports restricted to directory groups (`--group`): the members of the groups as of each
time, as the directory's syncs dated them (lmconsole.history.directory), nested groups
included (a sync records the users a group holds through its subgroups as members too).

A session counts for a group if its user was a member when it began, a denial if they
were when it happened; before a directory's first sync nobody is a member of its groups.
The occupancy levels count everyone's seats, so a group's use at a level is worked out from
its members' sessions, in SQL: each session's start adds its seats and its end takes them
away, a running sum over those changes gives the seats held between them (steps), and each
step is cut at the level's period boundaries; per period, the peak is the highest step and
the mean the seat-seconds over the period's length, as the occupancy rows have them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)

from lmconsole.directory.model import USER_KINDS
from lmconsole.history import schema
from lmconsole.history.directory import valid_at

from .base import Question, occupancy


def in_groups(question: Question, user, at):
    """SQL: `user` was a member of one of the question's groups at `at` (always true when
    the question names no group). The users who were members at some time of the period
    come first, as a list the database makes once (and can look the rows of up by an index
    on the user): the check of each row's moment is then made only for theirs."""
    if not question.groups:
        return true()
    m = schema.directory_members
    members = m.c.kind.in_(USER_KINDS), m.c.group_name.in_(question.groups)
    if question.directory is not None:
        d = schema.directories
        members += (m.c.directory_id == select(d.c.id).where(d.c.name == question.directory)
                    .scalar_subquery(),)
    in_period = (select(m.c.member)
                 .where(*members, m.c.valid_from < question.end,
                        or_(m.c.valid_to.is_(None), m.c.valid_to > question.start)))
    at_the_time = select(m.c.id).where(*members, m.c.member == user, valid_at(m, at))
    return and_(user.in_(in_period), exists(at_the_time))


def group_header(question: Question) -> str | None:
    """The line a report's header says its group with."""
    if not question.groups:
        return None
    of = f" of directory {question.directory}" if question.directory else ""
    several = len(question.groups) > 1
    return (f"group{'s' if several else ''} {', '.join(question.groups)}{of}: the seats and "
            f"denials of {'their' if several else 'its'} members (nested groups included) as "
            "of each session's start and each denial, as the directory's syncs dated them"
            + ("; a member of several counted once" if several else ""))


def group_occupancy(level_s: int, question: Question):
    """A subquery with an occupancy level's columns (server_id, feature, at, in_use_peak,
    in_use_mean, issued, reserved_idle) for the seats the groups' members held: rows only
    for the periods they held some; issued as the level's own row of that period says."""
    pieces = _pieces(_steps(_held(level_s, question)), level_s)
    seat_seconds = func.sum(pieces.c.level * (pieces.c.piece_end - pieces.c.piece_start))
    used = (select(pieces.c.server_id, pieces.c.feature, pieces.c.at,
                   func.max(pieces.c.level).label("in_use_peak"),
                   (cast(seat_seconds, Float) / level_s).label("in_use_mean"))
            .group_by(pieces.c.server_id, pieces.c.feature, pieces.c.at)
            .subquery("group_used"))
    level = occupancy(level_s)
    same_period = and_(level.c.server_id == used.c.server_id,
                       level.c.feature == used.c.feature, level.c.at == used.c.at)
    return (select(used.c.server_id, used.c.feature, used.c.at, used.c.in_use_peak,
                   used.c.in_use_mean, level.c.issued,
                   cast(null(), Integer).label("reserved_idle"))
            .select_from(used.outerjoin(level, same_period))
            .subquery("group_occupancy"))


def _held(level_s: int, question: Question):
    """The members' floating seats held in the period: (server_id, feature, seats, from,
    to), clipped to it; a session still open is held until its server's last row at the
    level (lmconsole's record of it being seen)."""
    s, level = schema.sessions, occupancy(level_s)
    last_seen = (select(func.max(level.c.at) + level_s)
                 .where(level.c.server_id == s.c.server_id, level.c.at < question.end)
                 .scalar_subquery())
    until = func.coalesce(s.c.end_at, last_seen, question.start)
    start = _larger(s.c.start_at, literal(question.start, BigInteger))
    end = _smaller(until, literal(question.end, BigInteger))
    query = (select(s.c.server_id, s.c.feature, s.c.count.label("seats"),
                    start.label("held_from"), end.label("held_to"))
             .where(~s.c.reserved, s.c.start_at < question.end, until > question.start,
                    until > s.c.start_at, in_groups(question, s.c.user_name, s.c.start_at)))
    if question.features:
        query = query.where(s.c.feature.in_(question.features))
    if question.users:
        query = query.where(s.c.user_name.in_(question.users))
    return query.subquery("group_held")


def _steps(held):
    """(server_id, feature, at, level, next_at): the seats held from `at` to the next
    change."""
    changes = union_all(
        select(held.c.server_id, held.c.feature, held.c.held_from.label("at"),
               held.c.seats.label("change")),
        select(held.c.server_id, held.c.feature, held.c.held_to.label("at"),
               (-held.c.seats).label("change"))).subquery("group_changes")
    per_moment = (select(changes.c.server_id, changes.c.feature, changes.c.at,
                         func.sum(changes.c.change).label("change"))
                  .group_by(changes.c.server_id, changes.c.feature, changes.c.at)
                  .subquery("group_moments"))
    window = {"partition_by": (per_moment.c.server_id, per_moment.c.feature),
              "order_by": per_moment.c.at}
    return select(per_moment.c.server_id, per_moment.c.feature, per_moment.c.at,
                  # PostgreSQL sums integers as numeric: the seats are whole
                  cast(func.sum(per_moment.c.change).over(**window), BigInteger).label("level"),
                  func.lead(per_moment.c.at).over(**window).label("next_at")
                  ).subquery("group_steps")


def _pieces(steps, level_s: int):
    """The steps cut at the level's period boundaries: (server_id, feature, level, at (the
    period), piece_start, piece_end, step_end); a recursive query, one row per piece."""
    period = steps.c.at - steps.c.at % level_s
    first = (select(steps.c.server_id, steps.c.feature, steps.c.level, period.label("at"),
                    steps.c.at.label("piece_start"),
                    _smaller(steps.c.next_at, period + level_s).label("piece_end"),
                    steps.c.next_at.label("step_end"))
             .where(steps.c.level > 0, steps.c.next_at.is_not(None))
             .cte("group_pieces", recursive=True))
    following = first.c.at + level_s
    return first.union_all(
        select(first.c.server_id, first.c.feature, first.c.level, following,
               following, _smaller(first.c.step_end, following + level_s),
               first.c.step_end)
        .where(following < first.c.step_end))


def _larger(a, b):
    return case((a > b, a), else_=b)


def _smaller(a, b):
    return case((a < b, a), else_=b)
