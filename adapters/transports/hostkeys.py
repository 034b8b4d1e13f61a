"""The host keys of an SSH server: known_hosts, the unknown-host question, changed keys.

Host keys are checked against known_hosts (asyncssh does the matching, hashed entries and
@cert-authority/@revoked markers included). A key that is not trusted is then classified:
CHANGED when known_hosts holds another key for that host: always refused, with the
fingerprint seen, the known_hosts lines to check and the `ssh-keygen -R` that removes them;
UNKNOWN when it holds none: `ask_unknown_host(host, key_type, fingerprint)` decides (the
key is then appended to known_hosts and the connection made again, which checks it like any
known key); without that callable (headless) the connection is refused, naming the
fingerprint and how to add the key.

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from lmconsole.transport import TransportError

log = logging.getLogger(__name__)

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"

AskUnknownHost = Callable[[str, str, str], bool | Awaitable[bool]]


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
    changed: bool
    lines: list[int]  # the known_hosts lines that name this host (for a changed key)

    @property
    def key_type(self) -> str:
        return self.key.get_algorithm()

    @property
    def fingerprint(self) -> str:
        return self.key.get_fingerprint("sha256")

    @property
    def name(self) -> str:
        return known_hosts_name(self.host, self.port)


def _known_host_lines(path: Path, host: str, addr: str, port: int) -> list[int]:
    """The numbers of the lines of `path` that hold a host key for host/addr/port. (A host
    covered only by a @cert-authority line that offers a plain key is unknown, as for
    OpenSSH.)"""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    for number, line in enumerate(text.splitlines(), 1):
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
    """The host-key check of the connections to one server, `host_alias` (the name the
    messages give it), against the known_hosts file `known_hosts` (default
    ~/.ssh/known_hosts). Connection attempts must not overlap: each starts a new check."""

    def __init__(self, host_alias: str, known_hosts: str | os.PathLike[str] | None = None,
                 ask_unknown_host: AskUnknownHost | None = None) -> None:
        self.host_alias = host_alias
        self.path = Path(os.path.expanduser(os.fspath(known_hosts or DEFAULT_KNOWN_HOSTS)))
        self.ask_unknown_host = ask_unknown_host
        self._untrusted: _UntrustedKey | None = None

    def start_check(self) -> str | asyncssh.SSHKnownHosts:
        """Start the check of a new connection attempt (forgetting what an earlier one saw);
        returns the `known_hosts` argument for its asyncssh.connect."""
        self._untrusted = None
        if self.path.is_file():
            return str(self.path)
        return asyncssh.SSHKnownHosts()  # trusts nothing (never None: that disables checking)

    def validate(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        """The client's validate_host_public_key, which asyncssh calls for a key that
        known_hosts does not trust: notes whether the host is known (then the key CHANGED)
        or not (UNKNOWN), and refuses it either way."""
        lines = _known_host_lines(self.path, host, addr, port)
        self._untrusted = _UntrustedKey(host, addr, port, key, bool(lines), lines)
        return False

    async def settle(self, error: asyncssh.HostKeyNotVerifiable, *, asked: bool) -> None:
        """After asyncssh refused the host key with `error`: raises HostKeyError, unless the
        key was unknown, not `asked` about already in this connection, and accepted by
        ask_unknown_host; then it is in known_hosts and the caller connects once more (with
        `asked` true)."""
        untrusted = self._untrusted
        if untrusted is None:
            raise HostKeyError(f"{self.host_alias}: host key not verifiable: "
                               f"{error.reason}") from None
        if untrusted.changed:
            raise HostKeyError(self._changed_message(untrusted)) from None
        if self.ask_unknown_host is None or asked:
            raise HostKeyError(self._unknown_message(untrusted)) from None
        if not await self._ask(untrusted):
            raise HostKeyError(f"{self.host_alias}: the host key of {untrusted.name} "
                               f"({untrusted.key_type} {untrusted.fingerprint}) was not "
                               f"accepted; not connecting") from None
        self._remember(untrusted)

    async def _ask(self, untrusted: _UntrustedKey) -> bool:
        shown = self.host_alias if self.host_alias == untrusted.name else \
            f"{self.host_alias} ({untrusted.name})"
        assert self.ask_unknown_host is not None
        answer = self.ask_unknown_host(shown, untrusted.key_type, untrusted.fingerprint)
        if inspect.isawaitable(answer):
            answer = await answer
        return answer is True

    def _remember(self, untrusted: _UntrustedKey) -> None:
        """Append the accepted key to known_hosts, as `ssh` would."""
        line = (f"{untrusted.name} {untrusted.key_type} "
                f"{base64.b64encode(untrusted.key.public_data).decode()}\n")
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = self.path.read_bytes() if self.path.exists() else b""
        with self.path.open("a", encoding="utf-8") as file:
            file.write(("\n" if text and not text.endswith(b"\n") else "") + line)
        log.warning("%s: added %s %s to %s", self.host_alias, untrusted.key_type,
                    untrusted.fingerprint, self.path)

    def _changed_message(self, untrusted: _UntrustedKey) -> str:
        where = ", ".join(f"{self.path}:{n}" for n in untrusted.lines)
        option = "" if self.path == Path(DEFAULT_KNOWN_HOSTS).expanduser() else \
            f" -f {shlex.quote(str(self.path))}"
        return (f"{self.host_alias}: the host key for {untrusted.name} has CHANGED: the server "
                f"offered the {untrusted.key_type} key {untrusted.fingerprint}, which does not "
                f"match the key recorded in {where}. This is a possible man-in-the-middle "
                f"attack (someone intercepting the connection), or the server's key was "
                f"replaced. Not connecting. Check the new fingerprint with the server's "
                f"administrator; if the change is expected, remove the old key with "
                f"ssh-keygen -R {shlex.quote(untrusted.name)}{option} and connect again.")

    def _unknown_message(self, untrusted: _UntrustedKey) -> str:
        scan_port = "" if untrusted.port == 22 else f"-p {untrusted.port} "
        return (f"{self.host_alias}: the host {untrusted.name} is unknown: it is not in "
                f"{self.path}; it offered the {untrusted.key_type} key "
                f"{untrusted.fingerprint}. Not connecting. Check that fingerprint with the "
                f"server's administrator, then add the key: connect once with "
                f"`ssh {self.host_alias}` and accept it, or run `ssh-keyscan {scan_port}"
                f"{untrusted.host} >> {self.path}` (and compare `ssh-keygen -lf "
                f"{self.path}`).")
