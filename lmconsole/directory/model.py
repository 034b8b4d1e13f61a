"""A directory as one sync read it: its enabled users, its groups, who is in which group
directly, and who is in each group at all (through nested groups too).

Groups are known by name (their cn), users by login (the name licence servers log:
uid, sAMAccountName). Pure data and pure functions: the LDAP reading is in
lmconsole.adapters.ldap, the dated storage in lmconsole.history.directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# How a group was made: from the directory's own group entries, or from a filter on users'
# attributes ([directories.attribute_groups] CAE = "(department=CAE)").
SOURCE_LDAP = "ldap"
SOURCE_ATTRIBUTE = "attribute"

# The kinds of membership rows: a user named in the group, a group named in it (nesting),
# a user in it through nested groups only.
MEMBER_USER = "user"
MEMBER_GROUP = "group"
MEMBER_NESTED = "nested"
USER_KINDS = (MEMBER_USER, MEMBER_NESTED)


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    login: str
    dn: str
    display_name: str | None = None
    mail: str | None = None


@dataclass(frozen=True, slots=True)
class DirectoryGroup:
    name: str
    dn: str
    source: str = SOURCE_LDAP


@dataclass(frozen=True)
class DirectoryTree:
    users: Mapping[str, DirectoryUser]  # login -> user
    groups: Mapping[str, DirectoryGroup]  # name -> group
    direct_users: Mapping[str, frozenset[str]]  # group -> the logins named in it
    subgroups: Mapping[str, frozenset[str]]  # group -> the groups named in it
    all_users: Mapping[str, frozenset[str]]  # group -> every login in it, nested too
    diagnostics: tuple[str, ...] = field(default=())

    def membership_rows(self) -> set[tuple[str, str, str]]:
        """(group, kind, member) for every membership: MEMBER_USER, MEMBER_GROUP, and
        MEMBER_NESTED for a user in a group only through its subgroups."""
        rows: set[tuple[str, str, str]] = set()
        for group in self.groups:
            direct = self.direct_users.get(group, frozenset())
            rows.update((group, MEMBER_USER, login) for login in direct)
            rows.update((group, MEMBER_GROUP, sub) for sub in self.subgroups.get(group, ()))
            rows.update((group, MEMBER_NESTED, login)
                        for login in self.all_users.get(group, frozenset()) - direct)
        return rows


def nested_users(direct_users: Mapping[str, Iterable[str]],
                 subgroups: Mapping[str, Iterable[str]],
                 depth_limit: int) -> tuple[dict[str, frozenset[str]], list[str]]:
    """Every group's users, its subgroups' down to `depth_limit` levels below it included
    (a cycle of groups is followed once round). A group with members deeper than the limit
    is named in a diagnostic: those are left out."""
    everyone: dict[str, frozenset[str]] = {}
    diagnostics: list[str] = []
    for group in sorted(set(direct_users) | set(subgroups)):
        users = set(direct_users.get(group, ()))
        seen = {group}
        level = set(subgroups.get(group, ())) - seen
        depth = 0
        while level and depth < depth_limit:
            depth += 1
            seen |= level
            for sub in level:
                users.update(direct_users.get(sub, ()))
            level = {deeper for sub in level for deeper in subgroups.get(sub, ())} - seen
        if level:
            diagnostics.append(f"group {group}: groups nested more than {depth_limit} levels "
                               f"below it ({', '.join(sorted(level))}); their members are "
                               f"left out (raise nesting_depth to include them)")
        everyone[group] = frozenset(users)
    return everyone, diagnostics
