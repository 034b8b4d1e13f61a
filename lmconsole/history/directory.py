"""Directories in the history: each sync's users, groups and memberships written as dated
rows (schema.directory_*), and read back as of any moment.

A sync at time t closes (valid_to = t) every open row it no longer sees, or sees changed,
and opens (valid_from = t) a row for everything new or changed; what did not change is left
alone, so syncing the same directory twice writes nothing the second time. Times are whole
seconds since the epoch, UTC, like every `*_at` of the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, true, update

from lmconsole.directory.model import USER_KINDS, DirectoryGroup, DirectoryTree, DirectoryUser
from lmconsole.history import schema

CHUNK = 500  # ids a statement closes at once (SQLite's variable limit is far above)


@dataclass(frozen=True, slots=True)
class Changes:
    """What one sync changed, per kind of row: (opened, closed)."""
    users: tuple[int, int]
    groups: tuple[int, int]
    members: tuple[int, int]

    @property
    def none(self) -> bool:
        return not any(self.users + self.groups + self.members)


# Each table's key columns and the columns whose change makes a new row.
_USERS = (schema.directory_users, ("login",), ("dn", "display_name", "mail"))
_GROUPS = (schema.directory_groups, ("name",), ("dn", "source"))
_MEMBERS = (schema.directory_members, ("group_name", "kind", "member"), ())


async def record_directory(store, name: str, tree: DirectoryTree, at: int) -> Changes:
    """Write what a sync of directory `name` read at `at`, in one transaction."""
    users = {(u.login,): (u.dn, u.display_name, u.mail) for u in tree.users.values()}
    groups = {(g.name,): (g.dn, g.source) for g in tree.groups.values()}
    members = {row: () for row in tree.membership_rows()}
    async with store.engine.begin() as connection:
        directory_id, last_at = await _directory(store, connection, name)
        at = max(at, last_at or 0)  # a clock set back must not date rows before the last sync
        changes = Changes(
            users=await _replace(connection, _USERS, directory_id, users, at),
            groups=await _replace(connection, _GROUPS, directory_id, groups, at),
            members=await _replace(connection, _MEMBERS, directory_id, members, at))
        await connection.execute(update(schema.directories)
                                 .where(schema.directories.c.id == directory_id)
                                 .values(synced_at=at))
    return changes


async def _directory(store, connection, name: str) -> tuple[int, int | None]:
    d = schema.directories
    await connection.execute(store._insert(d).on_conflict_do_nothing(index_elements=["name"]),
                             {"name": name})
    row = (await connection.execute(select(d.c.id, d.c.synced_at).where(d.c.name == name))).one()
    return row.id, row.synced_at


async def _replace(connection, spec, directory_id: int, wanted: Mapping[tuple, tuple],
                   at: int) -> tuple[int, int]:
    """Close the open rows not in `wanted` (key -> values) or changed; open the new ones."""
    table, keys, values = spec
    columns = [table.c[name] for name in (*keys, *values)]
    open_rows = await connection.execute(
        select(table.c.id, table.c.valid_from, *columns)
        .where(table.c.directory_id == directory_id, table.c.valid_to.is_(None)))
    current: dict[tuple, tuple] = {}
    closing: list[int] = []
    dropping: list[int] = []  # opened in this same second: never valid, and its key is wanted
    for row in open_rows:
        key, row_values = tuple(row[2:2 + len(keys)]), tuple(row[2 + len(keys):])
        if wanted.get(key) == row_values and key not in current:
            current[key] = row_values
        else:
            (dropping if row.valid_from == at else closing).append(row.id)
    for start in range(0, len(closing), CHUNK):
        await connection.execute(update(table).where(table.c.id.in_(closing[start:start + CHUNK]))
                                 .values(valid_to=at))
    for start in range(0, len(dropping), CHUNK):
        await connection.execute(delete(table).where(
            table.c.id.in_(dropping[start:start + CHUNK])))
    opening = [{"directory_id": directory_id, "valid_from": at,
                **dict(zip(keys, key, strict=True)), **dict(zip(values, row, strict=True))}
               for key, row in wanted.items() if key not in current]
    if opening:
        await connection.execute(table.insert(), opening)
    return len(opening), len(closing) + len(dropping)


# ---- as of a moment -------------------------------------------------------------------------

def valid_at(table, at: int):
    return and_(table.c.valid_from <= at, or_(table.c.valid_to.is_(None), table.c.valid_to > at))


async def directory_names(store) -> list[tuple[str, int | None]]:
    """(name, last synced at) of every directory in the history."""
    d = schema.directories
    return [tuple(row) for row in await store.rows(select(d.c.name, d.c.synced_at)
                                                   .order_by(d.c.name))]


def _of_directory(table, directory: str | None):
    if directory is None:
        return true()
    d = schema.directories
    return table.c.directory_id == select(d.c.id).where(d.c.name == directory).scalar_subquery()


async def users_as_of(store, at: int, directory: str | None = None) -> dict[str, DirectoryUser]:
    u = schema.directory_users
    rows = await store.rows(select(u.c.login, u.c.dn, u.c.display_name, u.c.mail)
                            .where(valid_at(u, at), _of_directory(u, directory)))
    return {row.login: DirectoryUser(*row) for row in rows}


async def groups_as_of(store, at: int, directory: str | None = None
                       ) -> dict[str, DirectoryGroup]:
    g = schema.directory_groups
    rows = await store.rows(select(g.c.name, g.c.dn, g.c.source)
                            .where(valid_at(g, at), _of_directory(g, directory)))
    return {row.name: DirectoryGroup(*row) for row in rows}


async def members_as_of(store, at: int, directory: str | None = None,
                        kinds: Sequence[str] = USER_KINDS) -> dict[str, set[str]]:
    """Each group's members of `kinds` (default: its users, nested ones included)."""
    m = schema.directory_members
    rows = await store.rows(select(m.c.group_name, m.c.member)
                            .where(valid_at(m, at), _of_directory(m, directory),
                                   m.c.kind.in_(kinds)))
    found: dict[str, set[str]] = {}
    for group, member in rows:
        found.setdefault(group, set()).add(member)
    return found


async def groups_of_users(store, at: int, directory: str | None = None) -> dict[str, set[str]]:
    """Each user's groups as of `at` (those it is in through nesting too)."""
    found: dict[str, set[str]] = {}
    for group, users in (await members_as_of(store, at, directory)).items():
        for user in users:
            found.setdefault(user, set()).add(group)
    return found


async def membership_spans(store, start: int, end: int, directory: str | None = None,
                           kinds: Sequence[str] = USER_KINDS
                           ) -> list[tuple[str, str, int, int | None]]:
    """(group, member, valid_from, valid_to) of the memberships of `kinds` valid at some
    moment of [start, end)."""
    m = schema.directory_members
    rows = await store.rows(
        select(m.c.group_name, m.c.member, m.c.valid_from, m.c.valid_to)
        .where(m.c.valid_from < end, or_(m.c.valid_to.is_(None), m.c.valid_to > start),
               _of_directory(m, directory), m.c.kind.in_(kinds)))
    return [tuple(row) for row in rows]
