"""The host keys of an SSH server: known_hosts, the unknown-host question, changed keys.

Host keys are checked against the host's known_hosts files, found as OpenSSH finds them
(UserKnownHostsFile and GlobalKnownHostsFile of its ssh_config block, or lmconsole's own
`known_hosts` setting; see known_hosts_files.py), read afresh for every connection attempt.
asyncssh does the matching, hashed entries and @cert-authority/@revoked markers included; a
line it cannot read is skipped, as ssh skips it. A key trusted in any file is trusted. One
that is not is then classified:
CHANGED when a file holds another key for that host: always refused, with the fingerprint
seen, the file:line entries to check and the `ssh-keygen -R` that removes them;
UNKNOWN when none does: `ask_unknown_host(host, key_type, fingerprint)` decides (the key is
then appended to the first user file, as ssh does, and the connection made again, which
checks it like any known key); without that callable (headless), or without a user file to
add it to, the connection is refused, naming the fingerprint, the files checked and how to
add the key.

The SSH transport (ssh.py) holds one HostKeys per server and, for each connection attempt:
passes `start_check()` to asyncssh.connect as its known_hosts, has its client's
validate_host_public_key call `validate`, and on asyncssh.HostKeyNotVerifiable awaits
`settle`, which raises HostKeyError or, when an unknown key was accepted, returns so that
the transport connects once more.
"""

from __future__ import annotations

import base64
import inspect
import logging
import os
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from lmconsole.transport import TransportError

from .known_hosts_files import KnownHostsFiles, SshConfigError, known_hosts_files

log = logging.getLogger(__name__)

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"  # the file `ssh-keygen -R` edits without -f

AskUnknownHost = Callable[[str, str, str], bool | Awaitable[bool]]
PathArg = str | os.PathLike[str]


class HostKeyError(TransportError):
    """The server's host key is not trusted: changed (refused) or unknown (not accepted)."""


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts (and for `ssh-keygen -R`)."""
    return host if port == 22 else f"[{host}]:{port}"


@dataclass
class _UntrustedKey:
    """What validate_host_public_key saw when it refused a key."""

    host: str
    addr: str
    port: int
    key: asyncssh.SSHKey
    lines: list[tuple[Path, int]]  # the known_hosts lines that name this host

    @property
    def changed(self) -> bool:
        return bool(self.lines)

    @property
    def key_type(self) -> str:
        return self.key.get_algorithm()

    @property
    def fingerprint(self) -> str:
        return self.key.get_fingerprint("sha256")

    @property
    def name(self) -> str:
        return known_hosts_name(self.host, self.port)

    def entry(self) -> str:
        """The known_hosts line that trusts this key."""
        return f"{self.name} {self.key_type} {base64.b64encode(self.key.public_data).decode()}"


def _read_lines(path: Path) -> list[str]:
    """The lines of a known_hosts file; none when it is missing or unreadable (as for ssh)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        if not isinstance(error, FileNotFoundError):
            log.info("cannot read %s: %s", path, error.strerror)
        return []


def _trusted(paths: Sequence[Path], extra: Sequence[str]) -> asyncssh.SSHKnownHosts:
    """The entries of the files, and `extra` lines, for asyncssh to match."""
    known = asyncssh.SSHKnownHosts()
    for line in [line for path in paths for line in _read_lines(path)] + list(extra):
        try:
            known.load(line)
        except (ValueError, asyncssh.KeyImportError):
            continue
    return known


def _known_host_lines(path: Path, host: str, addr: str, port: int) -> list[int]:
    """The numbers of the lines of `path` that hold a host key for host/addr/port. (A host
    covered only by a @cert-authority line that offers a plain key is unknown, as for
    OpenSSH.)"""
    found = []
    for number, line in enumerate(_read_lines(path), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            keys, *_ = asyncssh.match_known_hosts(
                asyncssh.import_known_hosts(line), host, addr, port if port != 22 else None)
        except (ValueError, asyncssh.KeyImportError):
            continue
        if keys:
            found.append(number)
    return found


class HostKeys:
    """The host-key check of the connections to one server, `host_alias` (the host given
    to asyncssh, and the name the messages give it), connected as `user` on `port` when
    given, with the ssh_config files `config_paths` instead of ssh's own, and the user
    known_hosts files `known_hosts` (one path or several) instead of ssh_config's.
    Connection attempts must not overlap: each starts a new check."""

    def __init__(self, host_alias: str, *, user: str | None = None, port: int | None = None,
                 config_paths: Sequence[PathArg] | None = None,
                 known_hosts: PathArg | Sequence[PathArg] | None = None,
                 ask_unknown_host: AskUnknownHost | None = None) -> None:
        self.host_alias = host_alias
        self.user = user
        self.port = port
        self.config_paths = None if config_paths is None else list(config_paths)
        if isinstance(known_hosts, str | os.PathLike):
            known_hosts = [known_hosts]
        self.user_files = None if known_hosts is None else list(known_hosts)
        self.ask_unknown_host = ask_unknown_host
        self.files = KnownHostsFiles((), ())  # those of the latest check
        self._accepted: list[str] = []  # entries accepted here (even if not written)
        self._untrusted: _UntrustedKey | None = None

    def find_files(self) -> KnownHostsFiles:
        """The host's known_hosts files as its ssh_config names them now."""
        try:
            return known_hosts_files(self.host_alias, user=self.user, port=self.port,
                                     config_paths=self.config_paths,
                                     user_files=self.user_files)
        except SshConfigError as error:
            raise TransportError(f"{self.host_alias}: cannot check the host key: {error}"
                                 ) from None

    def start_check(self) -> asyncssh.SSHKnownHosts:
        """Start the check of a new connection attempt (forgetting what an earlier one saw);
        returns the `known_hosts` argument for its asyncssh.connect (never None: that would
        disable checking). Raises TransportError when the ssh_config is unusable."""
        self._untrusted = None
        self.files = self.find_files()
        return _trusted(self.files.all, self._accepted)

    def validate(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        """The client's validate_host_public_key, which asyncssh calls for a key that
        known_hosts does not trust: notes whether the host is known (then the key CHANGED)
        or not (UNKNOWN), and refuses it either way."""
        lines = [(path, number) for path in self.files.all
                 for number in _known_host_lines(path, host, addr, port)]
        self._untrusted = _UntrustedKey(host, addr, port, key, lines)
        return False

    async def settle(self, error: asyncssh.HostKeyNotVerifiable, *, asked: bool) -> None:
        """After asyncssh refused the host key with `error`: raises HostKeyError, unless the
        key was unknown, not `asked` about already in this connection, and accepted by
        ask_unknown_host; then it is trusted and the caller connects once more (with
        `asked` true)."""
        untrusted = self._untrusted
        if untrusted is None:
            raise HostKeyError(f"{self.host_alias}: host key not verifiable: "
                               f"{error.reason}") from None
        if untrusted.changed:
            raise HostKeyError(self._changed_message(untrusted)) from None
        if self.ask_unknown_host is None or asked or self.files.writable is None:
            raise HostKeyError(self._unknown_message(untrusted)) from None
        if not await self._ask(untrusted):
            raise HostKeyError(f"{self.host_alias}: the host key of {untrusted.name} "
                               f"({untrusted.key_type} {untrusted.fingerprint}) was not "
                               f"accepted; not connecting") from None
        self._remember(untrusted, self.files.writable)

    async def _ask(self, untrusted: _UntrustedKey) -> bool:
        shown = self.host_alias if self.host_alias == untrusted.name else \
            f"{self.host_alias} ({untrusted.name})"
        assert self.ask_unknown_host is not None
        answer = self.ask_unknown_host(shown, untrusted.key_type, untrusted.fingerprint)
        if inspect.isawaitable(answer):
            answer = await answer
        return answer is True

    def _remember(self, untrusted: _UntrustedKey, path: Path) -> None:
        """Trust the accepted key from now on, and append it to `path`, as `ssh` would (if
        that fails, it is trusted until lmconsole ends, as ssh trusts it for the session)."""
        self._accepted.append(untrusted.entry())
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            text = path.read_bytes() if path.is_file() else b""
            with path.open("a", encoding="utf-8") as file:
                file.write(("\n" if text and not text.endswith(b"\n") else "")
                           + untrusted.entry() + "\n")
        except OSError as error:
            log.warning("%s: accepted %s %s but cannot add it to %s: %s", self.host_alias,
                        untrusted.key_type, untrusted.fingerprint, path, error.strerror)
            return
        log.warning("%s: added %s %s to %s", self.host_alias, untrusted.key_type,
                    untrusted.fingerprint, path)

    def _changed_message(self, untrusted: _UntrustedKey) -> str:
        where = ", ".join(f"{path}:{number}" for path, number in untrusted.lines)
        files = dict.fromkeys(path for path, _ in untrusted.lines)
        removals = " and ".join(
            f"ssh-keygen -R {shlex.quote(untrusted.name)}{_file_option(path)}" for path in files)
        return (f"{self.host_alias}: the host key for {untrusted.name} has CHANGED: the server "
                f"offered the {untrusted.key_type} key {untrusted.fingerprint}, which does not "
                f"match the key recorded in {where}. This is a possible man-in-the-middle "
                f"attack (someone intercepting the connection), or the server's key was "
                f"replaced. Not connecting. Check the new fingerprint with the server's "
                f"administrator; if the change is expected, remove the old key with "
                f"{removals} and connect again.")

    def _unknown_message(self, untrusted: _UntrustedKey) -> str:
        checked = ", ".join(str(path) for path in self.files.all) or \
            "any known_hosts file (ssh_config names none)"
        seen = (f"{self.host_alias}: the host {untrusted.name} is unknown: it is not in "
                f"{checked}; it offered the {untrusted.key_type} key {untrusted.fingerprint}. "
                f"Not connecting. Check that fingerprint with the server's administrator, ")
        target = self.files.writable
        if target is None:
            return seen + ("then add the key to a known_hosts file of yours and name it with "
                           "UserKnownHostsFile in ssh_config or known_hosts in lmconsole's "
                           "configuration (UserKnownHostsFile is none for this host).")
        scan_port = "" if untrusted.port == 22 else f"-p {untrusted.port} "
        file = shlex.quote(str(target))
        scan = (f"run `ssh-keyscan {scan_port}{untrusted.host} >> {file}` (and compare "
                f"`ssh-keygen -lf {file}`)")
        ssh = self._ssh_command()
        if ssh is None:
            return seen + f"then add the key to {target}: {scan}."
        return seen + (f"then add the key to {target}: connect once with `{ssh}` and accept "
                       f"it, or {scan}.")

    def _ssh_command(self) -> str | None:
        """The `ssh` command that connects as this transport does, checking the same files
        (so that accepting the key there adds it where lmconsole looks); None when ssh
        cannot be told (several ssh_config files)."""
        argv = ["ssh"]
        if self.config_paths is not None:
            if len(self.config_paths) != 1:
                return None
            argv += ["-F", os.fspath(self.config_paths[0])]
        if self.user_files is not None:
            files = (f'"{path}"' if " " in str(path) else str(path) for path in self.files.user)
            argv += ["-o", "UserKnownHostsFile=" + " ".join(files)]
        if self.port is not None:
            argv += ["-p", str(self.port)]
        if self.user is not None:
            argv += ["-l", self.user]
        return shlex.join(argv + [self.host_alias])


def _file_option(path: Path) -> str:
    """The -f option `ssh-keygen -R` needs for `path`."""
    return "" if path == Path(DEFAULT_KNOWN_HOSTS).expanduser() else \
        f" -f {shlex.quote(str(path))}"
