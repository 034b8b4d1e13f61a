"""[[directories]] in the configuration: the LDAP directories whose users and groups are
synced into the history.

    [[directories]]
    name = "corp"
    kind = "active_directory"            # or "openldap" (the default)
    url = "ldaps://dc1.corp.example:636" # ldap:// speaks StartTLS unless start_tls = false
    bind_dn = "CN=lmconsole,OU=Services,DC=corp,DC=example"
    bind_secret_env = "LMCONSOLE_LDAP_SECRET"   # or bind_secret_command = "pass show ldap"
    user_base = "OU=People,DC=corp,DC=example"
    group_base = "OU=Groups,DC=corp,DC=example"
    [directories.attribute_groups]
    CAE = "(department=CAE)"

The bind password is never read from this file (the configuration refuses any password
key): it comes from an environment variable or from a command's output. Certificates are
checked unless verify_certificate = false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from lmconsole.config import (
    _boolean,
    _choice,
    _command,
    _integer,
    _Invalid,
    _local_path,
    _seconds,
    _string,
    _word,
)

OPENLDAP = "openldap"
ACTIVE_DIRECTORY = "active_directory"
KINDS = (OPENLDAP, ACTIVE_DIRECTORY)

# What each kind of directory calls things, unless the configuration says otherwise.
DEFAULTS: dict[str, dict[str, Any]] = {
    OPENLDAP: {
        "user_filter": "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))",
        "user_name_attribute": "uid",
        # ppolicy's lock; a site without ppolicy names its own (employeeType=disabled ...)
        "disabled_filter": "(pwdAccountLockedTime=*)",
        "group_filter": "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
        "member_attributes": ("member", "uniqueMember"),
    },
    ACTIVE_DIRECTORY: {
        "user_filter": "(&(objectCategory=person)(objectClass=user))",
        "user_name_attribute": "sAMAccountName",
        "disabled_filter": "(userAccountControl:1.2.840.113556.1.4.803:=2)",  # ACCOUNTDISABLE
        "group_filter": "(objectClass=group)",
        "member_attributes": ("member",),
    },
}
DEFAULT_PAGE_SIZE = 500  # Active Directory's MaxPageSize is 1,000
DEFAULT_NESTING_DEPTH = 10
DEFAULT_SYNC_INTERVAL_S = 3600.0
DEFAULT_TIMEOUT_S = 30.0
_URL = re.compile(r"(ldaps?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?/?")


@dataclass(frozen=True)
class DirectoryConfig:
    name: str
    url: str
    kind: str = OPENLDAP
    start_tls: bool = True  # for an ldap:// URL; ldaps:// is TLS from the first byte
    verify_certificate: bool = True
    ca_file: str | None = None  # None: the system's trusted CAs
    bind_dn: str | None = None  # None: an anonymous bind
    bind_secret_env: str | None = None
    bind_secret_command: tuple[str, ...] | None = None
    user_base: str = ""
    user_filter: str = ""  # "": the kind's default (DEFAULTS), filled in when read
    user_name_attribute: str = ""
    disabled_filter: str = ""
    group_base: str = ""
    group_filter: str = ""
    group_name_attribute: str = "cn"
    member_attributes: tuple[str, ...] = ()
    member_of: bool = True  # also read the users' memberOf
    nesting_depth: int = DEFAULT_NESTING_DEPTH
    page_size: int = DEFAULT_PAGE_SIZE
    timeout_s: float = DEFAULT_TIMEOUT_S
    sync_interval_s: float = DEFAULT_SYNC_INTERVAL_S
    attribute_groups: tuple[tuple[str, str], ...] = ()  # group name -> LDAP filter on users

    @property
    def is_active_directory(self) -> bool:
        return self.kind == ACTIVE_DIRECTORY

    @property
    def tls(self) -> str:
        """"ldaps", "start_tls" or "none" (plain LDAP, only when asked for)."""
        if self.url.lower().startswith("ldaps://"):
            return "ldaps"
        return "start_tls" if self.start_tls else "none"

    def host_port(self) -> tuple[str, int]:
        match = _URL.fullmatch(self.url)
        assert match is not None, "checked when the configuration was read"
        scheme, host, port = match.groups()
        return host.strip("[]"), int(port) if port else (636 if scheme == "ldaps" else 389)


def _url(value: Any) -> str:
    url = _string(value).strip()
    match = _URL.fullmatch(url)
    if match is None or (match.group(3) and not 0 < int(match.group(3)) < 65536):
        raise _Invalid('expected "ldaps://host[:port]" or "ldap://host[:port]" (StartTLS)')
    return url


def _filter(value: Any) -> str:
    text = _string(value).strip()
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if not (text.startswith("(") and text.endswith(")")) or depth != 0:
        raise _Invalid('expected an LDAP filter in parentheses, such as "(department=CAE)"')
    return text


def _attribute_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid('expected a list of attribute names, such as ["member", "uniqueMember"]')
    return tuple(v.strip() for v in value)


def _environment_variable(value: Any) -> str:
    name = _string(value)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise _Invalid("expected the name of an environment variable")
    return name


def _attribute_groups(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise _Invalid('expected a table: [directories.attribute_groups] with lines such as '
                       'CAE = "(department=CAE)"')
    groups = []
    for name, query in value.items():
        try:
            groups.append((name, _filter(query)))
        except _Invalid as error:
            raise _Invalid(f"{name}: {error}") from None
    return tuple(groups)


_KEYS = {
    "name": _word("a directory name"),
    "url": _url,
    "kind": _choice(KINDS, "directory kind"),
    "start_tls": _boolean,
    "verify_certificate": _boolean,
    "ca_file": _string,
    "bind_dn": _string,
    "bind_secret_env": _environment_variable,
    "bind_secret_command": _command,
    "user_base": _string,
    "user_filter": _filter,
    "user_name_attribute": _word("an attribute name"),
    "disabled_filter": _filter,
    "group_base": _string,
    "group_filter": _filter,
    "group_name_attribute": _word("an attribute name"),
    "member_attributes": _attribute_names,
    "member_of": _boolean,
    "nesting_depth": _integer(0, 100),
    "page_size": _integer(1, 100_000),
    "timeout_s": _seconds,
    "sync_interval_s": _seconds,
    "attribute_groups": _attribute_groups,
}


def check_directories(check, raw: Any, base: Path) -> tuple[DirectoryConfig, ...]:
    """The [[directories]] tables, checked by `check` (lmconsole.config's checker, which
    records every problem); relative ca_file paths are relative to `base`."""
    if not isinstance(raw, list):
        check.error(("directories",), "expected an array of tables: write each directory as "
                                      "[[directories]]")
        return ()
    found: list[DirectoryConfig] = []
    names: set[str] = set()
    for n, table in enumerate(raw):
        path = ("directories", n)
        if not isinstance(table, dict):
            check.error(path, "expected a table: write each directory as [[directories]]")
            continue
        valid = check.table(table, path, _KEYS)
        for key in ("name", "url"):
            if key not in table:
                check.error(path + (key,), "required")
        if "bind_secret_env" in valid and "bind_secret_command" in valid:
            check.error(path + ("bind_secret_command",),
                        "bind_secret_env is set too: the password comes from one of them")
        if "bind_dn" in valid and not {"bind_secret_env", "bind_secret_command"} & set(valid):
            check.error(path + ("bind_dn",),
                        "needs bind_secret_env (an environment variable holding the password) "
                        "or bind_secret_command (a command printing it)")
        if "start_tls" in valid and valid.get("url", "").lower().startswith("ldaps://"):
            check.error(path + ("start_tls",), "only for ldap:// URLs (ldaps:// is TLS "
                                               "from the start)")
        if "name" not in valid or "url" not in valid:
            continue
        if valid["name"].casefold() in names:
            check.error(path + ("name",), f'duplicate directory name "{valid["name"]}"')
            continue
        names.add(valid["name"].casefold())
        if "ca_file" in valid:
            valid["ca_file"] = str(_local_path(valid["ca_file"], base))
        kind = valid.setdefault("kind", OPENLDAP)
        for key, default in DEFAULTS[kind].items():
            valid.setdefault(key, default)
        found.append(DirectoryConfig(**valid))
    return tuple(found)


def rendered(directory: DirectoryConfig) -> dict[str, Any]:
    """A directory as `config show` writes it back (defaults filled in)."""
    entry: dict[str, Any] = {}
    for f in fields(directory):
        value = getattr(directory, f.name)
        if value is None:
            continue
        if f.name == "attribute_groups":
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        entry[f.name] = value
    return entry
