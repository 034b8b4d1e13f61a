"""Reading a directory's users and groups over a bound ldap3 connection (connection.py).

- Users: every entry the user filter selects under user_base, less the disabled ones
  (the directory's disabled_filter, negated in the search itself).
- Groups: every entry the group filter selects under group_base; their members from the
  member attributes (member, uniqueMember) and from the users' memberOf. A member DN that
  is neither a known user nor a known group is looked up: a group outside group_base is
  taken in, level by level, at most nesting_depth levels down.
- Attribute groups: the users a filter on their attributes selects.
- Nested groups: on Active Directory each group's users come from the server itself, by
  the in-chain matching rule (LDAP_MATCHING_RULE_IN_CHAIN); elsewhere by following the
  groups' nesting here (lmconsole.directory.model.nested_users), to a depth limit.
- Every search is paged (RFC 2696), so servers' size limits do not cut it short; AD's
  ranged values (member;range=0-1499) are read to their end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from lmconsole.directory.config import DirectoryConfig
from lmconsole.directory.model import (
    SOURCE_ATTRIBUTE,
    DirectoryGroup,
    DirectoryTree,
    DirectoryUser,
    nested_users,
)

from .connection import DirectoryError

PAGED_RESULTS = "1.2.840.113556.1.4.319"
IN_CHAIN = "1.2.840.113556.1.4.1941"  # AD: LDAP_MATCHING_RULE_IN_CHAIN
MAX_PAGES = 1_000_000  # a bound on any one search's pages
MAX_RANGES = 100_000  # a bound on one attribute's ranges (1,500 values each on AD)
_RANGE = re.compile(r"(?P<name>[^;]+);range=(?P<low>\d+)-(?P<high>\d+|\*)", re.I)


@dataclass
class SearchCounts:
    """What the searches took: a test's evidence that paging and ranges were used."""
    searches: int = 0
    pages: int = 0
    ranges: int = 0
    lookups: int = 0  # member DNs looked up one by one
    per_search_pages: list[int] = field(default_factory=list)


def normal_dn(dn: str) -> str:
    """A DN compared case-insensitively and without the spaces around its separators."""
    try:
        return ",".join(f"{attribute.lower()}={value.lower()}"
                        for attribute, value, _ in parse_dn(dn, escape=False, strip=True))
    except LDAPException:
        return dn.strip().lower()


class DirectoryReader:
    def __init__(self, connection: ldap3.Connection, directory: DirectoryConfig) -> None:
        self.connection = connection
        self.directory = directory
        self.counts = SearchCounts()
        self.diagnostics: list[str] = []

    # ---- searching -----------------------------------------------------------------------

    def search(self, base: str, query: str, attributes: list[str], *,
               scope=ldap3.SUBTREE) -> Iterator[tuple[str, dict[str, list[str]]]]:
        """(dn, attributes) of every entry found, page by page."""
        self.counts.searches += 1
        cookie = None
        pages = 0
        while pages < MAX_PAGES:
            try:
                self.connection.search(base, query, scope, attributes=attributes,
                                       paged_size=self.directory.page_size,
                                       paged_cookie=cookie)
            except LDAPException as error:
                hint = "; lower page_size to the server's limit" \
                    if "adminLimitExceeded" in str(error) else ""
                raise DirectoryError(f"directory {self.directory.name}: search {query} under "
                                     f"{base or 'the root'}: {error}{hint}") from None
            pages += 1
            for entry in self.connection.response or ():
                if entry.get("type") == "searchResEntry":
                    yield entry["dn"], _decoded(entry.get("raw_attributes", {}))
            cookie = self.connection.result.get("controls", {}).get(
                PAGED_RESULTS, {}).get("value", {}).get("cookie")
            if not cookie:
                break
        self.counts.pages += pages
        self.counts.per_search_pages.append(pages)

    def entry(self, dn: str, attributes: list[str],
              query: str = "(objectClass=*)") -> dict[str, list[str]] | None:
        """One entry's attributes (None: not there, or not matching `query`)."""
        try:
            found = self.connection.search(dn, query, ldap3.BASE, attributes=attributes)
        except LDAPException:  # no such object, or outside what we may read
            return None
        if not found:
            return None
        for entry in self.connection.response or ():
            if entry.get("type") == "searchResEntry":
                return _decoded(entry.get("raw_attributes", {}))
        return None

    def values(self, dn: str, attributes: Mapping[str, list[str]], name: str) -> list[str]:
        """All values of `name`, read range by range where AD returned them so."""
        return ranged_values(attributes, name, lambda wanted: self._more(dn, wanted))

    def _more(self, dn: str, wanted: str) -> dict[str, list[str]]:
        self.counts.ranges += 1
        return self.entry(dn, [wanted]) or {}

    # ---- the directory ---------------------------------------------------------------------

    def read(self) -> DirectoryTree:
        d = self.directory
        users, user_dns, member_of = self.read_users()
        groups, group_dns, group_members = self.read_groups()
        self.take_in_outside_groups(groups, group_dns, group_members, user_dns)
        direct_users: dict[str, set[str]] = {name: set() for name in groups}
        subgroups: dict[str, set[str]] = {name: set() for name in groups}
        for name, member_dns in group_members.items():
            for dn in member_dns:
                if dn in user_dns:
                    direct_users[name].add(user_dns[dn])
                elif dn in group_dns and group_dns[dn] != name:
                    subgroups[name].add(group_dns[dn])
        for login, dns in member_of.items():
            for dn in dns:
                if dn in group_dns:
                    direct_users[group_dns[dn]].add(login)
        for name, query in d.attribute_groups:
            if name in groups:
                self.diagnostics.append(f"attribute group {name}: the directory has a group "
                                        "of that name; the attribute group is left out")
                continue
            groups[name] = DirectoryGroup(name, query, SOURCE_ATTRIBUTE)
            direct_users[name] = {login for _, login in self.user_logins(query)} & set(users)
        if d.is_active_directory:
            everyone = self.users_in_chain(groups, direct_users, set(users))
        else:
            everyone, notes = nested_users(direct_users, subgroups, d.nesting_depth)
            self.diagnostics.extend(notes)
        return DirectoryTree(
            users=users, groups=groups,
            direct_users={name: frozenset(v) for name, v in direct_users.items()},
            subgroups={name: frozenset(v) for name, v in subgroups.items()},
            all_users=everyone, diagnostics=tuple(self.diagnostics))

    def enabled_users_filter(self, extra: str = "") -> str:
        d = self.directory
        return f"(&{d.user_filter}(!{d.disabled_filter}){extra})"

    def user_logins(self, extra: str = "") -> Iterator[tuple[str, str]]:
        """(dn, login) of the enabled users that `extra` (a filter) also selects."""
        name = self.directory.user_name_attribute
        for dn, attributes in self.search(self.directory.user_base,
                                          self.enabled_users_filter(extra), [name]):
            login = _first(attributes, name)
            if login:
                yield dn, login

    def read_users(self) -> tuple[dict[str, DirectoryUser], dict[str, str],
                                  dict[str, list[str]]]:
        """The enabled users by login, their logins by normal DN, and the normal DNs of
        the groups each is memberOf."""
        d = self.directory
        wanted = [d.user_name_attribute, "displayName", "cn", "mail"]
        if d.member_of:
            wanted.append("memberOf")
        users: dict[str, DirectoryUser] = {}
        user_dns: dict[str, str] = {}
        member_of: dict[str, list[str]] = {}
        for dn, attributes in self.search(d.user_base, self.enabled_users_filter(), wanted):
            login = _first(attributes, d.user_name_attribute)
            if not login:
                self.diagnostics.append(f"user {dn}: no {d.user_name_attribute}; left out")
                continue
            if login in users:
                self.diagnostics.append(f"user {dn}: {d.user_name_attribute} {login} is "
                                        f"{users[login].dn}'s too; left out")
                continue
            users[login] = DirectoryUser(login, dn, _first(attributes, "displayName")
                                         or _first(attributes, "cn"), _first(attributes, "mail"))
            user_dns[normal_dn(dn)] = login
            if d.member_of:
                member_of[login] = [normal_dn(v) for v in self.values(dn, attributes,
                                                                       "memberOf")]
        return users, user_dns, member_of

    def read_groups(self) -> tuple[dict[str, DirectoryGroup], dict[str, str],
                                   dict[str, list[str]]]:
        """The groups by name, their names by normal DN, and each one's member DNs."""
        d = self.directory
        groups: dict[str, DirectoryGroup] = {}
        group_dns: dict[str, str] = {}
        members: dict[str, list[str]] = {}
        for dn, attributes in self.search(d.group_base, d.group_filter, self.group_attributes()):
            self.add_group(dn, attributes, groups, group_dns, members)
        return groups, group_dns, members

    def group_attributes(self) -> list[str]:
        return [self.directory.group_name_attribute, *self.directory.member_attributes]

    def add_group(self, dn: str, attributes: Mapping[str, list[str]],
                  groups: dict, group_dns: dict, members: dict) -> None:
        d = self.directory
        name = _first(attributes, d.group_name_attribute)
        if not name:
            self.diagnostics.append(f"group {dn}: no {d.group_name_attribute}; left out")
            return
        if name in groups:
            self.diagnostics.append(f"group {dn}: {d.group_name_attribute} {name} is "
                                    f"{groups[name].dn}'s too; left out")
            return
        groups[name] = DirectoryGroup(name, dn)
        group_dns[normal_dn(dn)] = name
        members[name] = [normal_dn(value) for attribute in d.member_attributes
                         for value in self.values(dn, attributes, attribute)]

    def take_in_outside_groups(self, groups: dict, group_dns: dict, members: dict,
                               user_dns: Mapping[str, str]) -> None:
        """Groups named as members but outside group_base: looked up one by one, each
        level's new ones in turn, nesting_depth levels at most."""
        looked_up: set[str] = set()
        for _ in range(self.directory.nesting_depth):
            unknown = {dn for dns in members.values() for dn in dns
                       if dn not in user_dns and dn not in group_dns} - looked_up
            if not unknown:
                return
            for dn in sorted(unknown):
                looked_up.add(dn)
                self.counts.lookups += 1
                attributes = self.entry(dn, self.group_attributes(), self.directory.group_filter)
                if attributes is not None:
                    self.add_group(dn, attributes, groups, group_dns, members)

    def users_in_chain(self, groups: Mapping[str, DirectoryGroup],
                       direct_users: Mapping[str, set[str]],
                       enabled: set[str]) -> dict[str, frozenset[str]]:
        """AD: each group's users through any nesting, as the server resolves it."""
        everyone: dict[str, frozenset[str]] = {}
        for name, group in groups.items():
            if group.source == SOURCE_ATTRIBUTE:
                everyone[name] = frozenset(direct_users[name])
                continue
            chain = {login for _, login in self.user_logins(in_chain_filter(group.dn))}
            everyone[name] = frozenset((chain | direct_users[name]) & enabled)
        return everyone


def in_chain_filter(group_dn: str) -> str:
    """AD: the users in `group_dn` through any depth of nesting."""
    return f"(memberOf:{IN_CHAIN}:={escape_filter_chars(group_dn)})"


def ranged_values(attributes: Mapping[str, list[str]], name: str,
                  fetch: Callable[[str], Mapping[str, list[str]]]) -> list[str]:
    """Every value of attribute `name`. AD returns a large multi-valued attribute in
    ranges: `member;range=0-1499` holds the first 1,500 values, and the next range is
    asked for as `member;range=1500-*` until a range ending in `*` comes back. `fetch(wanted)`
    reads the entry's attribute `wanted` again."""
    plain = _get(attributes, name)
    ranged = _ranged(attributes, name)
    if ranged is None:
        return plain
    values = list(plain)
    for _ in range(MAX_RANGES):
        (high, more) = ranged
        values.extend(more)
        if high == "*":
            return values
        ranged = _ranged(fetch(f"{name};range={int(high) + 1}-*"), name)
        if ranged is None:  # the server stopped answering in ranges: nothing more to read
            return values
    return values


def _ranged(attributes: Mapping[str, list[str]], name: str) -> tuple[str, list[str]] | None:
    """(the range's upper end, its values) of `name;range=low-high`, if present."""
    for key, values in attributes.items():
        match = _RANGE.fullmatch(key)
        if match and match["name"].lower() == name.lower():
            return match["high"], list(values)
    return None


def _get(attributes: Mapping[str, list[str]], name: str) -> list[str]:
    for key, values in attributes.items():
        if key.lower() == name.lower():
            return list(values)
    return []


def _first(attributes: Mapping[str, list[str]], name: str) -> str | None:
    values = _get(attributes, name)
    return values[0] if values else None


def _decoded(raw: Mapping[str, list[bytes]]) -> dict[str, list[str]]:
    return {key: [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                  for v in values] for key, values in raw.items()}


def read_directory(connection: ldap3.Connection,
                   directory: DirectoryConfig) -> tuple[DirectoryTree, SearchCounts]:
    reader = DirectoryReader(connection, directory)
    return reader.read(), reader.counts
