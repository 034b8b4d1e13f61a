"""[[managed_groups]] and [[pools]] in the configuration.

    [[managed_groups]]             # the directory groups a server's options file defines
    server = "lic1"
    groups = ["CAE", "design"]     # GROUP lines of their users (nested groups' too)
    host_groups = ["cae-hosts"]    # HOST_GROUP lines: groups of a directory of computers
    directory = "corp"             # only this directory's groups (default: any synced one)

    [[pools]]                      # seats allocated to a team
    name = "cae_team"              # also its GROUP name in the options file
    server = "lic1"
    group = "CAE"                  # its users: a directory group, or users = ["ann", "bob"]
    seats = { ANSYS = 4, FEM = 1 } # kept for the team (RESERVE) and its most (MAX)
    closed = true                  # only pools' users may use these features (INCLUDE)
    manager = "carol"              # may change its seats (`lmconsole pools set`)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lmconsole.config import _boolean, _integer, _Invalid, _string, _word

_FLEXLM_NAME = re.compile(r'[^\s"#\\:]+')  # a group or feature name an options file can hold


@dataclass(frozen=True)
class ManagedGroups:
    server: str
    groups: tuple[str, ...] = ()
    host_groups: tuple[str, ...] = ()
    directory: str | None = None


@dataclass(frozen=True)
class PoolConfig:
    name: str
    server: str
    seats: tuple[tuple[str, int], ...]  # (feature, seats)
    group: str | None = None  # a directory group: its users, nested ones included
    users: tuple[str, ...] = ()
    directory: str | None = None
    closed: bool = False
    manager: str | None = None

    @property
    def team(self) -> str:
        return f"group {self.group}" if self.group else f"{len(self.users)} user(s)"


def _name(what: str):
    def check(value: Any) -> str:
        text = _string(value).strip()
        if not _FLEXLM_NAME.fullmatch(text):
            raise _Invalid(f"expected {what} an options file can hold: no spaces, quotes, "
                           "#, \\ or :")
        return text
    return check


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid('expected a list of names, such as ["CAE", "design"]')
    return tuple(_name("a name")(v) for v in value)


def _seats(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, dict) or not value:
        raise _Invalid("expected a table of features and seats, such as { ANSYS = 4 }")
    seats = []
    for feature, count in value.items():
        try:
            seats.append((_name("a feature name")(feature), _integer(1, 100_000)(count)))
        except _Invalid as error:
            raise _Invalid(f"{feature}: {error}") from None
    return tuple(seats)


_GROUP_KEYS = {"server": _word("a server name"), "groups": _names, "host_groups": _names,
               "directory": _word("a directory name")}
_POOL_KEYS = {"name": _name("a pool name"), "server": _word("a server name"),
              "seats": _seats, "group": _name("a group name"), "users": _names,
              "directory": _word("a directory name"), "closed": _boolean,
              "manager": _word("a user name")}


def check_managed_groups(check, raw: Any, servers: set[str]) -> tuple[ManagedGroups, ...]:
    found = []
    for n, table in enumerate(_tables(check, raw, "managed_groups")):
        path = ("managed_groups", n)
        valid = check.table(table, path, _GROUP_KEYS)
        if _server_ok(check, path, table, valid, servers):
            found.append(ManagedGroups(**valid))
    return tuple(found)


def check_pools(check, raw: Any, servers: set[str]) -> tuple[PoolConfig, ...]:
    found: list[PoolConfig] = []
    names: set[tuple[str, str]] = set()
    for n, table in enumerate(_tables(check, raw, "pools")):
        path = ("pools", n)
        valid = check.table(table, path, _POOL_KEYS)
        for key in ("name", "seats"):
            if key not in table:
                check.error(path + (key,), "required")
        if ("group" in valid) == ("users" in valid):
            check.error(path, "needs its users: group = a directory group, or users = a list")
            continue
        if not _server_ok(check, path, table, valid, servers) or not {"name", "seats"} <= set(
                valid):
            continue
        key = (valid["server"], valid["name"])
        if key in names:
            check.error(path + ("name",), f'duplicate pool "{valid["name"]}" on '
                                          f'{valid["server"]}')
            continue
        names.add(key)
        found.append(PoolConfig(**valid))
    return tuple(found)


def _tables(check, raw: Any, key: str) -> list[dict]:
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        check.error((key,), f"expected an array of tables: write each as [[{key}]]")
        return []
    return raw


def _server_ok(check, path, table, valid, servers: set[str]) -> bool:
    if "server" not in table:
        check.error(path + ("server",), "required")
        return False
    if "server" in valid and valid["server"] not in servers:
        check.error(path + ("server",), f'no server named "{valid["server"]}" in [[servers]]')
        return False
    return "server" in valid


def rendered_pool(pool: PoolConfig) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": pool.name, "server": pool.server}
    if pool.group:
        entry["group"] = pool.group
    else:
        entry["users"] = list(pool.users)
    entry["seats"] = dict(pool.seats)
    for key in ("directory", "manager"):
        if getattr(pool, key):
            entry[key] = getattr(pool, key)
    if pool.closed:
        entry["closed"] = True
    return entry


def rendered_groups(managed: ManagedGroups) -> dict[str, Any]:
    entry: dict[str, Any] = {"server": managed.server, "groups": list(managed.groups),
                             "host_groups": list(managed.host_groups)}
    if managed.directory:
        entry["directory"] = managed.directory
    return entry

