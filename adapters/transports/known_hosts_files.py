"""Which known_hosts files a connection to a host checks, decided as OpenSSH's `ssh` does.

The files come from the ssh_config block that matches the host: UserKnownHostsFile (the
user's files, default ~/.ssh/known_hosts and ~/.ssh/known_hosts2) and GlobalKnownHostsFile
(the system's, default /etc/ssh/ssh_known_hosts and /etc/ssh/ssh_known_hosts2). A key
trusted in any of them is trusted; an accepted new key is added to the first user file.

The ssh_config files read are those `ssh` reads, ~/.ssh/config then /etc/ssh/ssh_config, or
instead the ones given (as with `ssh -F FILE`); the first value obtained for an option wins.
asyncssh's own parser (asyncssh.config.SSHClientConfig, the one asyncssh.connect uses)
applies Host and Match blocks and Include; the paths are then expanded as ssh expands them:
`~`, `${VAR}` and the tokens %d %h %i %k %L %l %n %p %r %u %%. `user_files`, when given,
replaces the user's files (lmconsole's `known_hosts` setting).
"""

from __future__ import annotations

import getpass
import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncssh
from asyncssh.config import SSHClientConfig

USER_SSH_CONFIG = "~/.ssh/config"
SYSTEM_SSH_CONFIG = "/etc/ssh/ssh_config"
DEFAULT_USER_FILES = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
DEFAULT_GLOBAL_FILES = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")

_EXPANSION = re.compile(r"%(.)|\$\{([^}]*)\}")


class SshConfigError(Exception):
    """An ssh_config file cannot be read, or a path in it cannot be expanded."""


@dataclass(frozen=True, slots=True)
class KnownHostsFiles:
    """The known_hosts files of one host: the user's, then the system's ("global")."""

    user: tuple[Path, ...]
    system: tuple[Path, ...]

    @property
    def all(self) -> tuple[Path, ...]:
        return self.user + self.system

    @property
    def writable(self) -> Path | None:
        """Where an accepted key is added: the first user file (None when there is none)."""
        return self.user[0] if self.user else None


def ssh_config_files(config_paths: Sequence[str | os.PathLike[str]] | None) -> list[Path]:
    """The ssh_config files read: `config_paths` if given, else those of ~/.ssh/config and
    /etc/ssh/ssh_config that exist."""
    if config_paths is not None:
        return [Path(os.path.expanduser(os.fspath(p))) for p in config_paths]
    found = (Path(USER_SSH_CONFIG).expanduser(), Path(SYSTEM_SSH_CONFIG))
    return [path for path in found if os.access(path, os.R_OK) and path.is_file()]


def known_hosts_files(host: str, *, user: str | None = None, port: int | None = None,
                      config_paths: Sequence[str | os.PathLike[str]] | None = None,
                      user_files: Sequence[str | os.PathLike[str]] | None = None
                      ) -> KnownHostsFiles:
    """The known_hosts files for `host` (a Host alias or a host name, as given to ssh) with
    the `user` and `port` given on the command line, if any. Raises SshConfigError."""
    try:
        local_user = getpass.getuser()
    except (KeyError, OSError):
        raise SshConfigError("cannot tell the local user name: set LOGNAME or USER") from None
    paths = ssh_config_files(config_paths)
    config = _client_config(host, user, port, local_user, paths)
    tokens = _tokens(host, local_user, config)
    where = f"ssh_config ({', '.join(str(path) for path in paths)})"
    if user_files is None:
        user_paths = _option_paths(config, "UserKnownHostsFile", DEFAULT_USER_FILES, tokens,
                                   where)
    else:
        user_paths = tuple(Path(os.path.expanduser(os.fspath(p))) for p in user_files)
    system_paths = _option_paths(config, "GlobalKnownHostsFile", DEFAULT_GLOBAL_FILES, tokens,
                                 where)
    return KnownHostsFiles(user_paths, system_paths)


def _client_config(host: str, user: str | None, port: int | None, local_user: str,
                   paths: list[Path]) -> SSHClientConfig:
    try:
        return SSHClientConfig.load(None, paths, False, False, False, local_user,
                                    () if user is None else user,
                                    host, () if port is None else port)
    except OSError as error:
        raise SshConfigError(f"cannot read the ssh_config file {error.filename}: "
                             f"{error.strerror}") from None
    except (ValueError, asyncssh.Error) as error:  # ConfigParseError: "PATH line N: ..."
        raise SshConfigError(f"ssh_config: {error}") from None


def _tokens(host: str, local_user: str, config: SSHClientConfig) -> dict[str, str]:
    """The %-tokens of ssh_config(5) that make sense in a known_hosts path."""
    local_host = socket.gethostname()
    hostname = str(config.get("Hostname") or host)
    tokens = {"%": "%", "h": hostname, "n": host, "p": str(config.get("Port") or 22),
              "k": str(config.get("HostKeyAlias") or host), "l": local_host,
              "L": local_host.split(".", 1)[0], "u": local_user, "i": str(os.getuid())}
    tokens["r"] = str(config.get("User") or tokens["u"])
    home = os.path.expanduser("~")
    if home != "~":
        tokens["d"] = home
    return tokens


def _option_paths(config: SSHClientConfig, option: str, default: tuple[str, ...],
                  tokens: dict[str, str], where: str) -> tuple[Path, ...]:
    """The expanded paths an option names (`none`: no file), or the defaults."""
    values = config.get(option)
    if values is None:
        values = default
    return tuple(Path(_expanded(f"{where}: {option} {value}", str(value), tokens))
                 for value in values)


def _expanded(what: str, value: str, tokens: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        token, variable = match.groups()
        if token is not None:
            if token not in tokens:
                raise SshConfigError(f"{what}: %{token} is not a token known_hosts paths "
                                     f"may use")
            return tokens[token]
        if variable not in os.environ:
            raise SshConfigError(f"{what}: the environment variable {variable} is not set")
        return os.environ[variable]

    return _EXPANSION.sub(substitute, os.path.expanduser(value))
