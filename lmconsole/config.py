"""Configuration: the TOML file that names the licence servers and how to reach them.

Discovery order (the first that applies wins):

1. an explicit path (``lmconsole --config PATH``);
2. the environment variable ``LMCONSOLE_CONFIG``;
3. ``$XDG_CONFIG_HOME/lmconsole/config.toml``; XDG_CONFIG_HOME defaults to ``~/.config``
   and, as the XDG spec says, is ignored when it is not an absolute path.

A missing file at the default location (3) is an empty configuration: no servers, defaults
for everything else. A missing file named by (1) or (2) is an error.

The file is read with tomllib into frozen dataclasses (`Config`, `ServerConfig`). Every
problem is collected, not just the first, into one `ConfigError`, one line per problem:

    config.toml:12: servers[2].ssh_port: expected an integer

that is: the file name as given, the 1-based line of the offending key (or of its table
header when the key is missing), the dotted key path with **0-based** list indices (as in
Python and jq: ``servers[0]`` is the first ``[[servers]]`` block), and what was expected.
TOML syntax errors carry tomllib's line and column: ``config.toml:3:7: ...``.

Passwords are refused anywhere in the file: SSH logins use ssh-agent or keys.
Defaults that depend on nothing but the file are filled in when the file is read (a
server's poll interval from the global one; a server's time zone from this machine's
zone), so `render_config` shows the effective configuration. No Textual import here.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import shlex
import stat
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, tzinfo
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tomli_w

from lmconsole.adapters import ADAPTERS, DEFAULT_MANAGER
from lmconsole.keys import BINDING_IDS

ENV_VAR = "LMCONSOLE_CONFIG"
KNOWN_MANAGERS = tuple(ADAPTERS)  # the `manager` names the registry has adapters for
DEFAULT_POLL_INTERVAL_S = 30.0
# how long the history keeps each level, in seconds (None: for ever)
RETENTION_LEVELS = ("events", "minutes", "hours", "days")
DEFAULT_RETENTION = {"events": 365 * 86_400, "minutes": 90 * 86_400,
                     "hours": 3 * 365 * 86_400, "days": None}
DEFAULT_SSH_DEAD_AFTER_S = 30.0


class Transport(StrEnum):
    LOCAL = "local"  # run lmutil and read files on this machine
    SSH = "ssh"  # over SSH (asyncssh, honouring ~/.ssh/config, ssh-agent, known_hosts)
    SIM = "sim"  # the built-in FlexLM simulator


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How to reach one licence server (or one redundant triad)."""

    name: str
    manager: str = DEFAULT_MANAGER
    transport: Transport = Transport.LOCAL
    ssh_host: str | None = None  # a Host alias of ~/.ssh/config, or a host name
    ssh_user: str | None = None
    ssh_port: int | None = None
    # Headless, an unknown host key fails; true accepts it on first contact and records it
    # in known_hosts (OpenSSH's StrictHostKeyChecking=accept-new). A changed key never is.
    ssh_accept_new_host_key: bool | None = None  # None: not set, which means false
    # Absolute paths on this machine; None: OpenSSH's (~/.ssh/config, and the known_hosts
    # files named by UserKnownHostsFile there). Filled in from the global ones.
    ssh_config: str | None = None  # an ssh_config file read instead of ~/.ssh/config
    known_hosts: tuple[str, ...] | None = None  # replace the user's known_hosts files
    # A link that answers nothing (frozen, half-open) for this long is dropped and the
    # server shown stale: SSH keepalives every third of it, the third unanswered ends it.
    ssh_dead_after_s: float | None = None  # None: DEFAULT_SSH_DEAD_AFTER_S
    lmutil: str = "lmutil"  # path of lmutil on the machine the transport reaches
    license: str | None = None  # passed to `-c`: "port@host[,port@host,port@host]" or a file
    license_file: str | None = None  # paths on the machine the transport reaches
    options_file: str | None = None  # the options file of a server with one vendor daemon
    # A server with several vendor daemons: each daemon's options file, (daemon, path) in the
    # order written. None: options_file, else the licence file's VENDOR lines name them.
    options_files: tuple[tuple[str, str], ...] | None = None
    debug_log: str | None = None  # the log followed for OUT/IN/DENIED events
    # A server whose daemons each write a log of their own (RLM's ISV servers, FlexLM's
    # vendor daemons): every one of them, in the order written; None: debug_log alone.
    debug_logs: tuple[str, ...] | None = None
    vendor: str | None = None  # vendor daemon name
    # Restarting: the command that starts the licence server (lmgrd, a service), and the
    # one that stops it; None: the manager's own (FlexLM: lmdown, and lmreread restarts a
    # vendor daemon).
    start_command: tuple[str, ...] | None = None
    stop_command: tuple[str, ...] | None = None
    timezone: str | None = None  # IANA zone of the server; None: this machine's (unnamed) zone
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    sim_scenario: str | None = None  # None: the simulator's default scenario
    sim_seed: int | None = None

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone) if self.timezone else local_tz()


def ssh_keepalive(server: ServerConfig) -> dict[str, float]:
    """SshTransport's keepalive options for the server: a link that answers nothing for
    ssh_dead_after_s is dropped when the third keepalive in that time goes unanswered."""
    dead_after = server.ssh_dead_after_s or DEFAULT_SSH_DEAD_AFTER_S
    return {"keepalive_interval": dead_after / 3, "keepalive_count_max": 2}


@dataclass(frozen=True, slots=True)
class ProjectRule:
    """[[projects]]: names the project of a session or denial whose log line names none:
    the first rule whose patterns match (shell patterns, * and ?; each list given must
    have one that matches)."""

    name: str
    users: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    features: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    servers: tuple[ServerConfig, ...] = ()
    display_timezone: str | None = None  # the zone times are shown in; None: this machine's
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    read_only: bool = False
    audit_log: Path | None = None  # None: the default file in lmconsole's state directory
    database_url: str | None = None  # SQLAlchemy URL; None: SQLite in lmconsole's data dir
    record_history: bool = True  # the console records what it sees into the history
    ssh_config: str | None = None  # the SSH servers' defaults (absolute paths)
    known_hosts: tuple[str, ...] | None = None
    keys: dict[str, str] = field(default_factory=dict, hash=False)  # binding id -> keys
    # how long the history keeps each level: (level, seconds or None for ever)
    retention: tuple[tuple[str, int | None], ...] = tuple(DEFAULT_RETENTION.items())
    # [prices]: a seat of a feature a year, for the forecast's cost; and their currency
    prices: tuple[tuple[str, float], ...] = ()
    currency: str | None = None
    # [true_denial] window_s: a denial followed within this by a checkout of the same user
    # and feature, or repeating one, is not a true denial
    true_denial_window_s: int = 10
    # [[alerts]]: the rules; None when the file has none: the default rules apply
    alerts: tuple[Any, ...] | None = field(default=None, hash=False)
    # [alerting]: the hook and e-mail (lmconsole.alerts.delivery.DeliverySettings)
    alerting: Any = field(default=None, hash=False)
    directories: tuple = ()  # lmconsole.directory.config.DirectoryConfig, [[directories]]
    # [groups] count, primary: how `report groups` counts a user in several groups
    group_count: str = "split"
    primary_groups: tuple[str, ...] = ()
    # [[managed_groups]], [[pools]]: lmconsole.managed.config's ManagedGroups, PoolConfig
    managed_groups: tuple = ()
    pools: tuple = ()
    # [[projects]]: the rules naming a session's project where its log line names none
    projects: tuple[ProjectRule, ...] = ()
    source: Path | None = field(default=None, compare=False)  # the file read, if any

    @property
    def display_tz(self) -> tzinfo:
        return ZoneInfo(self.display_timezone) if self.display_timezone else local_tz()

    def server(self, name: str) -> ServerConfig:
        for server in self.servers:
            if server.name == name:
                return server
        known = ", ".join(s.name for s in self.servers) or "none configured"
        raise LookupError(f"no server named {name!r} in the configuration (known: {known})")


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a configuration file."""

    file: str
    line: int | None
    path: str  # dotted key path such as "servers[2].ssh_port"; "" for the file as a whole
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(Exception):
    """Everything wrong with a configuration; str() gives one problem per line."""

    def __init__(self, errors: Iterable[ConfigIssue]):
        self.errors: list[ConfigIssue] = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def _file_error(path: str | Path, message: str) -> ConfigError:
    return ConfigError([ConfigIssue(str(path), None, "", message)])


# ----------------------------------------------------------------------- time zones


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def local_zone_name(env: Mapping[str, str] = os.environ) -> str | None:
    """The IANA name of this machine's zone ($TZ, else /etc/localtime), or None if unnamed."""
    tz = env.get("TZ", "").removeprefix(":")
    if tz:
        if "/zoneinfo/" in tz:  # TZ=/usr/share/zoneinfo/Europe/Berlin
            tz = tz.rsplit("/zoneinfo/", 1)[1]
        return tz if _zone_ok(tz) else None  # a POSIX rule string libc understands, we don't
    target = os.path.realpath("/etc/localtime")
    if "/zoneinfo/" in target and _zone_ok(name := target.rsplit("/zoneinfo/", 1)[1]):
        return name
    try:
        name = Path("/etc/timezone").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name if name and _zone_ok(name) else None


def local_tz() -> tzinfo:
    """This machine's zone; a fixed offset (no DST rules) only when it cannot be named."""
    name = local_zone_name()
    if name:
        return ZoneInfo(name)
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


# ------------------------------------------------------------------ key positions


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"(?:[^"\\]|\\.)*"')
_LITERAL = re.compile(r"'[^']*'")

Key = tuple[str | int, ...]


def _parse_key(s: str, i: int) -> tuple[list[str], int] | None:
    """A (dotted) TOML key starting at s[i]: its parts and the index after it."""
    parts: list[str] = []
    while True:
        while i < len(s) and s[i] in " \t":
            i += 1
        if s.startswith('"', i):
            m = _BASIC.match(s, i)
            if not m:
                return None
            parts.append(tomllib.loads(f"k = {m.group()}")["k"])
        elif s.startswith("'", i):
            m = _LITERAL.match(s, i)
            if not m:
                return None
            parts.append(m.group()[1:-1])
        else:
            m = _BARE_KEY.match(s, i)
            if not m:
                return None
            parts.append(m.group())
        i = m.end()
        while i < len(s) and s[i] in " \t":
            i += 1
        if not s.startswith(".", i):
            return parts, i
        i += 1


class _ValueScanner:
    """Follows values across lines: open brackets and multi-line strings."""

    def __init__(self) -> None:
        self.depth = 0
        self.ml: str | None = None  # the closing delimiter of an open multi-line string

    @property
    def open(self) -> bool:
        return self.depth > 0 or self.ml is not None

    def feed(self, s: str) -> None:
        i = 0
        while i < len(s):
            if self.ml:
                end = s.find(self.ml, i)
                if end < 0:
                    return
                i, self.ml = end + 3, None
                continue
            c = s[i]
            if c == "#":
                return
            if s.startswith(('"""', "'''"), i):
                self.ml, i = s[i : i + 3], i + 3
                continue
            if c == '"':
                m = _BASIC.match(s, i)
                i = m.end() if m else len(s)
                continue
            if c == "'":
                end = s.find("'", i + 1)
                i = end + 1 if end >= 0 else len(s)
                continue
            if c in "[{":
                self.depth += 1
            elif c in "]}":
                self.depth -= 1
            i += 1


def _key_lines(text: str) -> dict[Key, int]:
    """The 1-based line on which each key path (and each table) of a valid TOML text starts.

    tomllib gives no positions, so this follows [table] and [[array]] headers and `key =`
    lines. Keys inside inline tables are not tracked: they resolve to their parent key.
    """
    lines: dict[Key, int] = {}
    table: Key = ()
    arrays: dict[Key, int] = {}  # array-of-tables path -> index of its latest element
    value = _ValueScanner()

    def resolve(parts: list[str]) -> Key:
        out: Key = ()
        for n, part in enumerate(parts):
            out += (part,)
            if out in arrays and n < len(parts) - 1:
                out += (arrays[out],)
        return out

    for number, line in enumerate(text.splitlines(), 1):
        if value.open:
            value.feed(line)
            continue
        s = line.lstrip()
        if s.startswith("["):
            is_array = s.startswith("[[")
            parsed = _parse_key(s, 2 if is_array else 1)
            if parsed and s.startswith("]]" if is_array else "]", parsed[1]):
                base = resolve(parsed[0])
                if is_array:
                    arrays[base] = arrays.get(base, -1) + 1
                    lines.setdefault(base, number)
                    table = base + (arrays[base],)
                else:
                    table = base
                lines[table] = number
            continue
        parsed = _parse_key(s, 0)
        if parsed and s.startswith("=", parsed[1]):
            path = table + tuple(parsed[0])
            for k in range(len(table) + 1, len(path) + 1):
                lines.setdefault(path[:k], number)
            value.feed(s[parsed[1] + 1 :])
    return lines


def _dotted(path: Key) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else json.dumps(part)
            out += f".{name}" if out else name
    return out


# --------------------------------------------------------------------- validation


class _Invalid(Exception):
    """A value's problem; the message says what was expected."""


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("expected a string")
    if not value.strip():
        raise _Invalid("expected a non-empty string")
    return value


def _word(what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if re.search(r"\s", _string(value)):
            raise _Invalid(f"expected {what} without spaces")
        return value

    return check


def _integer(low: int, high: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid("expected an integer")
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f">= {low}"
            raise _Invalid(f"expected an integer {span}, got {value}")
        return value

    return check


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid("expected a number of seconds")
    if not 0 < value < float("inf"):
        raise _Invalid(f"expected a positive number of seconds, got {value}")
    return float(value)


_DURATION = re.compile(r"(\d{1,6})\s*([dwy])")
_DURATION_UNITS = {"d": 86_400, "w": 7 * 86_400, "y": 365 * 86_400}


def _duration(value: Any) -> int | None:
    """A retention: "90d", "12w", "3y" (seconds), or "forever" (None)."""
    if value == "forever":
        return None
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match.group(1)) == 0:
        raise _Invalid('expected a duration such as "90d", "12w", "3y", or "forever"')
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("expected true or false")
    return value


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def _openssh_hint(key: str, schema: Iterable[str]) -> str:
    """For an ssh_config option written here: the key that does its job."""
    if "known_hosts" not in schema:
        return ""
    if key.casefold() == "userknownhostsfile":
        return '; did you mean "known_hosts"?'
    if key.casefold() == "globalknownhostsfile":
        return ('; GlobalKnownHostsFile is read from ssh_config (name one with "ssh_config"); '
                '"known_hosts" replaces the user\'s known_hosts files')
    return ""


def _choice(choices: Iterable[str], what: str) -> Callable[[Any], str]:
    options = tuple(choices)

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _Invalid("expected a string")
        if value not in options:
            known = ", ".join(f'"{o}"' for o in options)
            raise _Invalid(f'unknown {what} "{value}"; expected one of {known}'
                           + _suggest(value, options))
        return value

    return check


def _zone(value: Any) -> str:
    name = _string(value)
    if not _zone_ok(name):
        raise _Invalid(f'unknown time zone "{name}"; expected an IANA name such as '
                       f'"Europe/Berlin" or "UTC"' + _suggest(name, available_timezones()))
    return name


def _server_name(value: Any) -> str:
    name = _string(value)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise _Invalid(f'"{name}" is not a usable server name; use letters, digits, ".", "_" '
                       "or \"-\", starting with a letter or digit")
    return name


def _ssh_host(value: Any) -> str:
    host = _word("a host name or ~/.ssh/config alias")(value)
    if "@" in host:
        raise _Invalid(f'expected a host name or ~/.ssh/config alias, got "{host}"; '
                       "put the user name in ssh_user")
    return host


_HOST = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
_PORT_AT_HOST = re.compile(rf"(\d*)@({_HOST})")
_LICENSE_HINT = ('expected port@host, a triad "port@host1,port@host2,port@host3", '
                 "or an absolute licence-file path")


def _is_absolute(path: str) -> bool:
    return path.startswith("/") or re.match(r"[A-Za-z]:[\\/]", path) is not None


def _license(value: Any) -> str:
    """`-c` accepts port@host, a comma-joined triad, or a licence file; ':' or ';' separate
    alternatives, as in LM_LICENSE_FILE. How many servers a comma may join is the manager's
    to say (redundant_servers_problems): three for FlexLM, any number for BETA LM."""
    spec = _string(value).strip()
    if "@" not in spec:
        if not _is_absolute(spec):
            raise _Invalid(f'"{spec}": {_LICENSE_HINT}')
        return spec
    for entry in re.split(r"[:;]", spec):
        if _is_absolute(entry):
            continue
        for member in entry.split(","):
            m = _PORT_AT_HOST.fullmatch(member.strip())
            if not m:
                raise _Invalid(f'"{member.strip()}" is not port@host (such as "27000@lic1"); '
                               + _LICENSE_HINT)
            if m.group(1) and not 1 <= int(m.group(1)) <= 65535:
                raise _Invalid(f'"{member.strip()}": port {m.group(1)} is not from 1 to 65535')
    return spec


def _command(value: Any) -> tuple[str, ...]:
    """An argv: a list of strings, or one string split as a POSIX shell would."""
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as error:
            raise _Invalid(f"cannot split this command: {error}") from None
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        argv = list(value)
    else:
        raise _Invalid("expected a command: a string, or a list of strings")
    if not argv or not argv[0].strip():
        raise _Invalid("expected a non-empty command")
    return tuple(argv)


def _vendor(value: Any) -> str:
    name = _string(value)
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise _Invalid(f'"{name}" is not a vendor daemon name (letters, digits and "_")')
    return name


_OPTIONS_FILES_EXAMPLE = ('options_files = { ugslmd = "/opt/flexlm/ugslmd.opt", '
                          'ansyslmd = "/opt/flexlm/ansyslmd.opt" }')


def _options_files(value: Any) -> tuple[tuple[str, str], ...]:
    """Each vendor daemon's options file: a table of daemon name = path."""
    if isinstance(value, str):
        raise _Invalid(f"expected a table of vendor daemon = options file, such as "
                       f"{_OPTIONS_FILES_EXAMPLE}; for a server with one daemon write "
                       f'options_file = "{value}"')
    if not isinstance(value, dict) or not value:
        raise _Invalid(f"expected a table of vendor daemon = options file, such as "
                       f"{_OPTIONS_FILES_EXAMPLE}")
    files = []
    for daemon, path in value.items():
        if not re.fullmatch(r"[A-Za-z0-9_]+", daemon):
            raise _Invalid(f'"{daemon}" is not a vendor daemon name (letters, digits and "_")')
        if not isinstance(path, str) or not path.strip():
            raise _Invalid(f"{daemon}: expected the path of its options file (a non-empty "
                           f"string)")
        files.append((daemon, path))
    return tuple(files)


_DEBUG_LOGS_EXAMPLE = 'debug_logs = ["/var/rlm/foo.rl", "/var/rlm/bar.rl"]'


def _debug_logs(value: Any) -> tuple[str, ...]:
    """Several logs to follow: a list of distinct paths."""
    if isinstance(value, str):
        raise _Invalid(f"expected a list of log paths, such as {_DEBUG_LOGS_EXAMPLE}; for a "
                       f'server with one log write debug_log = "{value}"')
    if not isinstance(value, list) or not value:
        raise _Invalid(f"expected a list of log paths, such as {_DEBUG_LOGS_EXAMPLE}")
    seen: dict[str, int] = {}
    for n, path in enumerate(value):
        if not isinstance(path, str) or not path.strip():
            raise _Invalid(f"[{n}] is {_shown(path)}: expected the path of a log (a "
                           "non-empty string)")
        if path in seen:
            raise _Invalid(f'[{n}] "{path}" is listed already at [{seen[path]}]: name each '
                           "log once")
        seen[path] = n
    return tuple(value)


def _shown(value: Any) -> str:
    """A TOML value as the file wrote it, for a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value)
    return {dict: "a table", list: "a list"}.get(type(value), "a date or time")


def _scenario(value: Any) -> str:
    name = _string(value)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise _Invalid(f'"{name}" is not a scenario name (letters, digits, "_" and "-")')
    return name


def _known_hosts(value: Any) -> tuple[str, ...]:
    """One path, or a list of them (the first is where accepted host keys are added)."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(_string(v) for v in value)
    if isinstance(value, str):
        return (_string(value),)
    raise _Invalid("expected a known_hosts file, or a list of them")


def _database_url(value: Any) -> str:
    url = _word("an SQLAlchemy URL")(value)
    m = re.fullmatch(r"[A-Za-z][A-Za-z0-9+]*://([^/?#]*)(.*)", url)
    if not m:
        raise _Invalid('expected an SQLAlchemy URL such as "postgresql+asyncpg://host/db" or '
                       '"sqlite+aiosqlite:////path/history.sqlite"')
    userinfo = m.group(1).rpartition("@")[0]
    if ":" in userinfo or re.search(r"[?&]password=", m.group(2), re.I):
        raise _Invalid("must not contain a password; keep it out of the config "
                       "(PostgreSQL: ~/.pgpass or PGPASSFILE)")
    return url


_GLOBAL_KEYS: dict[str, Callable[[Any], Any]] = {
    "display_timezone": _zone,
    "poll_interval_s": _seconds,
    "read_only": _boolean,
    "audit_log": _string,  # made a Path relative to the config file's directory below
    "database_url": _database_url,
    "record_history": _boolean,
    "ssh_config": _string,  # made absolute, relative to the config file's directory, below
    "known_hosts": _known_hosts,  # likewise
}
_SERVER_KEYS: dict[str, Callable[[Any], Any]] = {
    "name": _server_name,
    "manager": _choice(KNOWN_MANAGERS, "licence manager"),
    "transport": _choice(tuple(Transport), "transport"),
    "ssh_host": _ssh_host,
    "ssh_user": _word("a user name"),
    "ssh_port": _integer(1, 65535),
    "ssh_accept_new_host_key": _boolean,
    "ssh_config": _string,
    "known_hosts": _known_hosts,
    "ssh_dead_after_s": _seconds,
    "lmutil": _string,
    "license": _license,
    "license_file": _string,
    "options_file": _string,
    "options_files": _options_files,
    "debug_log": _string,
    "debug_logs": _debug_logs,
    "vendor": _vendor,
    "start_command": _command,
    "stop_command": _command,
    "timezone": _zone,
    "poll_interval_s": _seconds,
    "sim_scenario": _scenario,
    "sim_seed": _integer(0),
}
_ONLY_FOR = {"ssh_host": Transport.SSH, "ssh_user": Transport.SSH, "ssh_port": Transport.SSH,
             "ssh_accept_new_host_key": Transport.SSH, "ssh_config": Transport.SSH,
             "known_hosts": Transport.SSH, "ssh_dead_after_s": Transport.SSH,
             "sim_scenario": Transport.SIM, "sim_seed": Transport.SIM}
_PASSWORD_KEY = re.compile(r"pass(word|wd|phrase)|^pass$|^pwd$", re.I)
_PASSWORD_MESSAGE = ("passwords are never read from the configuration; remove this key and "
                     "log in with ssh-agent or an SSH key (IdentityFile in ~/.ssh/config)")
_DIRECTORY_PASSWORD_MESSAGE = ("passwords are never read from the configuration; remove this "
                               "key and name the password's source with bind_secret_env (an "
                               "environment variable) or bind_secret_command (a command)")


class _Checker:
    def __init__(self, filename: str, text: str):
        self.filename = filename
        self.lines = _key_lines(text)
        self.issues: list[ConfigIssue] = []

    def line_of(self, path: Key) -> int | None:
        for k in range(len(path), 0, -1):
            if path[:k] in self.lines:
                return self.lines[path[:k]]
        return None

    def error(self, path: Key, message: str) -> None:
        self.issues.append(ConfigIssue(self.filename, self.line_of(path), _dotted(path), message))

    def passwords(self, value: Any, path: Key = ()) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if _PASSWORD_KEY.search(key):
                    self.error(path + (key,), _DIRECTORY_PASSWORD_MESSAGE
                               if path[:1] == ("directories",) else _PASSWORD_MESSAGE)
                else:
                    self.passwords(item, path + (key,))
        elif isinstance(value, list):
            for n, item in enumerate(value):
                self.passwords(item, path + (n,))

    def table(self, data: dict[str, Any], path: Key,
              schema: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
        """The valid, converted values of a table; problems are recorded."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            if _PASSWORD_KEY.search(key):
                continue  # reported by passwords()
            check = schema.get(key)
            if check is None:
                hint = _openssh_hint(key, schema) or _suggest(key, schema) or \
                    f"; known keys here: {', '.join(schema)}"
                self.error(path + (key,), "unknown key" + hint)
                continue
            try:
                out[key] = check(value)
            except _Invalid as exc:
                self.error(path + (key,), str(exc))
        return out


def parse_config(text: str, filename: str) -> Config:
    """Parse and validate a configuration text; `filename` only names it in messages (and
    anchors a relative audit_log). Raises ConfigError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, text, filename) from None
    check = _Checker(filename, text)
    check.passwords(data)
    schema = {**_GLOBAL_KEYS, "servers": lambda v: v, "keys": lambda v: v,
              "retention": lambda v: v, "prices": lambda v: v, "true_denial": lambda v: v,
              "alerts": lambda v: v, "alerting": lambda v: v,
              "directories": lambda v: v, "groups": lambda v: v,
              "managed_groups": lambda v: v, "pools": lambda v: v, "projects": lambda v: v}
    top = check.table(data, (), schema)
    base = Path(filename).parent
    _check_ssh_files(check, top, (), base)
    interval = top.get("poll_interval_s", DEFAULT_POLL_INTERVAL_S)
    servers: list[ServerConfig] = []
    raw_servers = top.get("servers", [])
    if not isinstance(raw_servers, list):
        check.error(("servers",), "expected an array of tables: write each server as [[servers]]")
        raw_servers = []
    local_zone = local_zone_name()
    first_use: dict[str, int] = {}
    for n, raw in enumerate(raw_servers):
        valid = _check_server(check, raw, ("servers", n))
        if valid is None:
            continue
        folded = valid["name"].casefold()
        if folded in first_use:
            other = first_use[folded]
            first_line = check.line_of(("servers", other, "name"))
            check.error(("servers", n, "name"), f'duplicate server name "{valid["name"]}" '
                        f"(already used by servers[{other}] at line {first_line})")
            continue
        first_use[folded] = n
        valid.setdefault("timezone", local_zone)
        valid.setdefault("poll_interval_s", interval)
        if valid.get("transport") == Transport.SSH:  # else these keys are reported as stray
            _check_ssh_files(check, valid, ("servers", n), base)
            for key in ("ssh_config", "known_hosts"):
                if key in top:
                    valid.setdefault(key, top[key])
        servers.append(ServerConfig(**valid))
    keys = _check_keys(check, top["keys"], ("keys",)) if "keys" in top else {}
    retention = _check_retention(check, top.get("retention", {}))
    prices, currency = _check_prices(check, top.get("prices", {}))
    window_s = _check_true_denial(check, top.get("true_denial", {}))
    alerts = _check_alerts(check, top["alerts"], top.get("display_timezone")) \
        if "alerts" in top else None
    alerting = _check_alerting(check, top["alerting"]) if "alerting" in top else None
    directories = _check_directories(check, top.get("directories", []), base)
    group_count, primary_groups = _check_groups(check, top.get("groups", {}))
    managed_groups, pools = _check_managed(check, top, {s.name for s in servers})
    projects = _check_projects(check, top.get("projects", []))
    if check.issues:
        raise ConfigError(sorted(check.issues, key=lambda i: i.line or 0))
    audit_log = top.get("audit_log")
    return Config(
        servers=tuple(servers),
        display_timezone=top.get("display_timezone"),
        poll_interval_s=interval,
        read_only=top.get("read_only", False),
        audit_log=_local_path(audit_log, Path(filename).parent) if audit_log else None,
        database_url=top.get("database_url"),
        record_history=top.get("record_history", True),
        ssh_config=top.get("ssh_config"),
        known_hosts=top.get("known_hosts"),
        keys=keys,
        retention=retention,
        prices=prices,
        currency=currency,
        true_denial_window_s=window_s,
        alerts=alerts,
        alerting=alerting,
        directories=directories,
        group_count=group_count,
        primary_groups=primary_groups,
        managed_groups=managed_groups,
        pools=pools,
        projects=projects,
        source=Path(filename),
    )


def _check_retention(check: _Checker, raw: Any) -> tuple[tuple[str, int | None], ...]:
    """[retention]: how long the history keeps each level (the defaults filled in)."""
    if not isinstance(raw, dict):
        check.error(("retention",), 'expected a table: [retention] with lines such as '
                                    'minutes = "90d"')
        raw = {}
    given = check.table(raw, ("retention",), dict.fromkeys(RETENTION_LEVELS, _duration))
    return tuple((level, given.get(level, DEFAULT_RETENTION[level]))
                 for level in RETENTION_LEVELS)


def _check_true_denial(check: _Checker, raw: Any) -> int:
    """[true_denial] window_s: seconds, 0 or more (default 10)."""
    if not isinstance(raw, dict):
        check.error(("true_denial",), "expected a table: [true_denial] with window_s = 10")
        return 10
    given = check.table(raw, ("true_denial",), {"window_s": _window_seconds})
    return given.get("window_s", 10)


def _check_alerts(check: _Checker, raw: Any, display_timezone: str | None) -> tuple:
    """[[alerts]]: the rules (lmconsole.alerts.rules); maintenance windows are read in the
    display time zone."""
    from lmconsole.alerts.rules import parse_rules

    zone = ZoneInfo(display_timezone) if display_timezone else local_tz()
    return parse_rules(raw, check.error, zone)


def _check_alerting(check: _Checker, raw: Any):
    """[alerting]: the hook and [alerting.email] (lmconsole.alerts.delivery)."""
    from lmconsole.alerts.delivery import parse_delivery

    return parse_delivery(raw, check.error)


def _window_seconds(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 86_400:
        raise _Invalid("expected whole seconds, 0 to 86400")
    return value


def _check_directories(check: _Checker, raw: Any, base: Path) -> tuple:
    from lmconsole.directory.config import check_directories  # it builds on this module

    return check_directories(check, raw, base)


def _check_managed(check: _Checker, top: dict, servers: set[str]) -> tuple[tuple, tuple]:
    from lmconsole.managed.config import check_managed_groups, check_pools

    return (check_managed_groups(check, top.get("managed_groups", []), servers),
            check_pools(check, top.get("pools", []), servers))


def _check_groups(check: _Checker, raw: Any) -> tuple[str, tuple[str, ...]]:
    """[groups] count ("split" or "primary") and primary (the groups' order)."""
    if not isinstance(raw, dict):
        check.error(("groups",), 'expected a table: [groups] with count = "primary" and '
                                 'primary = ["cae", "design"]')
        return "split", ()
    given = check.table(raw, ("groups",), {"count": _choice(("split", "primary"), "count"),
                                           "primary": _group_names})
    return given.get("count", "split"), given.get("primary", ())


def _check_projects(check: _Checker, raw: Any) -> tuple[ProjectRule, ...]:
    """[[projects]]: name, and users, hosts, features: lists of shell patterns."""
    example = '[[projects]] with name = "bridge" and users = ["ann", "b*"], hosts = [...]'
    if not isinstance(raw, list) or not all(isinstance(rule, dict) for rule in raw):
        check.error(("projects",), f"expected tables: {example}")
        return ()
    rules = []
    for n, rule in enumerate(raw):
        given = check.table(rule, ("projects", n), {
            "name": _string, "users": _patterns, "hosts": _patterns, "features": _patterns})
        if not given.get("name", "").strip():
            check.error(("projects", n), f"a project needs a name: {example}")
        elif not any(key in given for key in ("users", "hosts", "features")):
            check.error(("projects", n), "a project rule needs users, hosts or features")
        else:
            rules.append(ProjectRule(given["name"].strip(), given.get("users", ()),
                                     given.get("hosts", ()), given.get("features", ())))
    return tuple(rules)


def _patterns(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid('expected a list of names or shell patterns, such as ["ann", "b*"]')
    return tuple(v.strip() for v in value)


def _group_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid('expected a list of group names, such as ["cae", "design"]')
    return tuple(v.strip() for v in value)


def _check_prices(check: _Checker, raw: Any
                  ) -> tuple[tuple[tuple[str, float], ...], str | None]:
    """[prices]: feature = the price of a seat a year (a number, 0 or more), and
    `currency` = the unit the report names."""
    if not isinstance(raw, dict):
        check.error(("prices",), 'expected a table: [prices] with lines such as '
                                 'MATLAB = 2400')
        return (), None
    prices, currency = [], None
    for feature, price in raw.items():
        if feature == "currency":
            if isinstance(price, str) and price.strip():
                currency = price.strip()
            else:
                check.error(("prices", feature), 'expected a text such as "EUR"')
        elif isinstance(price, bool) or not isinstance(price, int | float) \
                or not 0 <= price < math.inf:
            check.error(("prices", feature), "expected the price of a seat a year: a number, "
                                             "0 or more")
        else:
            prices.append((feature, float(price)))
    return tuple(prices), currency


def _check_server(check: _Checker, raw: Any, path: Key) -> dict[str, Any] | None:
    """The valid values of one [[servers]] table, or None when it has no usable name."""
    if not isinstance(raw, dict):
        check.error(path, "expected a table: write each server as [[servers]]")
        return None
    valid = check.table(raw, path, _SERVER_KEYS)
    # With an unknown transport (already reported) the checks below would only add noise.
    if "transport" in valid or "transport" not in raw:
        transport = valid["transport"] = Transport(valid.get("transport", Transport.LOCAL))
        for key, wanted in _ONLY_FOR.items():
            if key in raw and transport != wanted:
                check.error(path + (key,), f'only used when transport = "{wanted}" '
                                           f'(this server has transport = "{transport}")')
        if transport == Transport.SSH and "ssh_host" not in raw:
            check.error(path + ("ssh_host",), 'required when transport = "ssh"')
    manager = ADAPTERS.get(valid.get("manager", DEFAULT_MANAGER))
    for key, message in manager.config_problems(raw) if manager else ():
        check.error(path + (key,), message)
    if "options_file" in raw and "options_files" in raw:
        check.error(path + ("options_files",),
                    "options_file is set too: name every vendor daemon's options file here "
                    "and remove options_file (it is for a server with one daemon)")
    if "debug_log" in raw and "debug_logs" in raw:
        check.error(path + ("debug_logs",),
                    "debug_log is set too: list every log to follow here and remove "
                    "debug_log (it is for a server with one log)")
    if "name" not in raw:
        check.error(path + ("name",), "required: a unique name for this server")
    return valid if "name" in valid else None


def _check_ssh_files(check: _Checker, valid: dict[str, Any], path: Key, base: Path) -> None:
    """Make the ssh_config and known_hosts paths of a table (the global one or a server's)
    absolute, relative to `base`; report an ssh_config that is not a file, and a known_hosts
    that is a directory (one that does not exist yet is fine: accepted keys create it)."""
    if "ssh_config" in valid:
        file = _local_path(valid["ssh_config"], base)
        valid["ssh_config"] = str(file)
        if not file.is_file():
            check.error(path + ("ssh_config",), _not_an_ssh_config(file))
    if "known_hosts" in valid:
        files = tuple(_local_path(name, base) for name in valid["known_hosts"])
        valid["known_hosts"] = tuple(str(file) for file in files)
        for file in files:
            if file.is_dir():
                check.error(path + ("known_hosts",),
                            f"{file} is a directory; expected a known_hosts file")


def _not_an_ssh_config(file: Path) -> str:
    if file.is_dir():
        return f"{file} is a directory; expected an ssh_config file"
    try:
        siblings = [entry.name for entry in file.parent.iterdir() if entry.is_file()]
    except OSError:
        siblings = []
    close = difflib.get_close_matches(file.name, siblings, n=1, cutoff=0.6)
    if close:
        return f'no such file: {file}; did you mean "{file.parent / close[0]}"?'
    return (f"no such file: {file}; name an existing ssh_config file (leave the key out to "
            f"use ~/.ssh/config)")


def _check_keys(check: _Checker, raw: Any, path: Key) -> dict[str, str]:
    """The [keys] table: binding id -> keys, as Textual's keymap takes them ("space" or
    "p,space"). A bare dotted key (app.pause = "z") is a nested table in TOML: it is read
    back as the id "app.pause"."""
    if not isinstance(raw, dict):
        check.error(path, 'expected a table: [keys] with lines such as app.pause = "space"')
        return {}
    keymap: dict[str, str] = {}
    for parts, value in _flattened(raw):
        binding = ".".join(parts)
        where = path + parts
        if binding not in BINDING_IDS:
            hint = _suggest(binding, BINDING_IDS) or \
                "; the ids are listed in the example configuration (lmconsole config init)"
            check.error(where, f'unknown key binding "{binding}"{hint}')
        elif not isinstance(value, str) or not value.strip():
            check.error(where, 'expected a string of keys such as "space" or "p,space"')
        else:
            keymap[binding] = ",".join(key.strip() for key in value.split(","))
    return keymap


def _flattened(table: dict[str, Any], prefix: tuple[str, ...] = ()
               ) -> Iterable[tuple[tuple[str, ...], Any]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flattened(value, prefix + (key,))
        else:
            yield prefix + (key,), value


def _local_path(value: str, base: Path) -> Path:
    """A path on this machine: ~ expanded, relative to `base` (the config file's directory),
    made absolute so that the rendered configuration means the same from anywhere."""
    return Path(os.path.abspath(base / Path(value).expanduser()))


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str, filename: str) -> ConfigError:
    message = str(exc)
    line = column = None
    if m := re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message, re.S):
        message, line, column = m.group(1), int(m.group(2)), int(m.group(3))
    elif m := re.fullmatch(r"(.*) \(at end of document\)", message, re.S):
        lines = text.splitlines() or [""]
        message, line, column = m.group(1), len(lines), len(lines[-1]) + 1
    issue = ConfigIssue(filename, line, "", f"invalid TOML: {message}", column)
    return ConfigError([issue])


# ------------------------------------------------------------------- files and paths


def _resolve(explicit: str | Path | None, env: Mapping[str, str]) -> tuple[Path, str | None]:
    """The config path and what named it ("--config", ENV_VAR, or None for the default)."""
    if explicit is not None:
        return Path(explicit).expanduser(), "--config"
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]).expanduser(), ENV_VAR
    xdg = env.get("XDG_CONFIG_HOME", "")
    if xdg and Path(xdg).is_absolute():
        base = Path(xdg)
    else:
        base = (Path(env["HOME"]) if env.get("HOME") else Path.home()) / ".config"
    return base / "lmconsole" / "config.toml", None


def resolve_config_path(explicit: str | Path | None,
                        env: Mapping[str, str] = os.environ) -> tuple[Path, bool]:
    """The configuration file to read, and whether it was explicitly chosen (by --config or
    LMCONSOLE_CONFIG) rather than the default location."""
    path, origin = _resolve(explicit, env)
    return path, origin is not None


def load_config(explicit: str | Path | None = None,
                env: Mapping[str, str] = os.environ) -> Config:
    """Find, read and validate the configuration (see the module docstring for the order)."""
    path, origin = _resolve(explicit, env)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if origin is None:
            return Config()
        raise _file_error(path, f"no such file (named by {origin}); check the path, or create "
                                "one with `lmconsole config init`") from None
    except IsADirectoryError:
        raise _file_error(path, "is a directory; expected a TOML file") from None
    except OSError as exc:
        raise _file_error(path, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = "not valid UTF-8; save the file as UTF-8 (TOML requires it)"
        raise ConfigError([ConfigIssue(str(path), line, "", message)]) from None
    return parse_config(text, str(path))


def retention_text(seconds: int | None) -> str:
    """A retention as the configuration writes it: "90d", "3y", "forever"."""
    if seconds is None:
        return "forever"
    for unit in ("y", "w", "d"):
        if seconds % _DURATION_UNITS[unit] == 0:
            return f"{seconds // _DURATION_UNITS[unit]}{unit}"
    return f"{seconds // 86_400}d"


def render_config(config: Config) -> str:
    """The effective configuration as TOML (defaults filled in), for `lmconsole config show`."""
    data: dict[str, Any] = {}
    if config.display_timezone:
        data["display_timezone"] = config.display_timezone
    data["poll_interval_s"] = config.poll_interval_s
    data["read_only"] = config.read_only
    if config.audit_log:
        data["audit_log"] = str(config.audit_log)
    if config.database_url:
        data["database_url"] = config.database_url
    data["record_history"] = config.record_history
    if config.ssh_config:
        data["ssh_config"] = config.ssh_config
    if config.known_hosts:
        data["known_hosts"] = list(config.known_hosts)
    if config.keys:
        data["keys"] = dict(config.keys)
    data["retention"] = {level: retention_text(seconds) for level, seconds in config.retention}
    if config.true_denial_window_s != 10:
        data["true_denial"] = {"window_s": config.true_denial_window_s}
    if config.alerts is not None:
        from lmconsole.alerts.rules import rule_settings

        data["alerts"] = [rule_settings(rule) for rule in config.alerts]
    if config.alerting is not None:
        from lmconsole.alerts.delivery import delivery_settings

        data["alerting"] = delivery_settings(config.alerting)
    if config.prices or config.currency:
        data["prices"] = {**({"currency": config.currency} if config.currency else {}),
                          **dict(config.prices)}
    servers = []
    for server in config.servers:
        entry = {}
        for f in fields(server):
            value = getattr(server, f.name)
            if f.name == "options_files" and value is not None:
                entry[f.name] = dict(value)
            elif f.name == "debug_logs" and value is not None:
                entry[f.name] = list(value)
            elif value is not None:
                entry[f.name] = str(value) if isinstance(value, Transport) else value
        servers.append(entry)
    if servers:
        data["servers"] = servers
    if config.group_count != "split" or config.primary_groups:
        data["groups"] = {"count": config.group_count, "primary": list(config.primary_groups)}
    if config.projects:
        data["projects"] = [{f.name: list(value) if isinstance(value, tuple) else value
                             for f in fields(rule) if (value := getattr(rule, f.name))}
                            for rule in config.projects]
    if config.directories:
        from lmconsole.directory.config import rendered

        data["directories"] = [rendered(directory) for directory in config.directories]
    if config.managed_groups or config.pools:
        from lmconsole.managed.config import rendered_groups, rendered_pool

        if config.managed_groups:
            data["managed_groups"] = [rendered_groups(m) for m in config.managed_groups]
        if config.pools:
            data["pools"] = [rendered_pool(pool) for pool in config.pools]
    source = f"read from {config.source}" if config.source else "no configuration file"
    return f"# lmconsole: effective configuration ({source}; defaults filled in)\n\n" + \
        tomli_w.dumps(data)


def example_config() -> str:
    """The commented example configuration (config/example.toml, shipped in the wheel)."""
    return resources.files("lmconsole.defaults").joinpath("example.toml").read_text("utf-8")


def write_example_config(path: str | Path, *, force: bool = False) -> Path:
    """Write the example configuration to `path` atomically; refuse to replace an existing
    file unless `force`. Returns the path written."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise _file_error(path, "is a directory; name the file to write, such as "
                                f"{path / 'config.toml'}")
    if path.exists() and not force:
        raise _file_error(path, "already exists; not overwritten (edit it, or use --force "
                                "to replace it with the example)")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(example_config())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise _file_error(path, f"cannot write: {exc.strerror or exc}") from None
    return path
