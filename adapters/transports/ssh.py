"""Reach a licence server over SSH (asyncssh): commands, followed logs, and files over SFTP.

One SSH connection per server carries everything: commands and follows each use a channel
of it, file reads and saves one SFTP channel. The connection honours the user's OpenSSH
set-up: ~/.ssh/config (Host aliases, HostName, User, Port, IdentityFile, ProxyJump),
ssh-agent and the default keys. Host keys are checked against the known_hosts files ssh
would check for that host, and an unknown host is asked about through `ask_unknown_host`:
see hostkeys.py.

The link is kept alive (keepalive every `keepalive_interval` s, dropped after
`keepalive_count_max` unanswered) and made again when it drops, with a growing delay
between attempts (0.5 s doubling up to `max_backoff`). A command is never re-run after the
link dropped under it (it may have changed something); the next one reconnects. A command
whose timeout passes is abandoned (its channel closed): the remote process runs to its end
unseen (sshd honours signal requests only under privilege separation, not for root).
Commands go through the remote login shell as `env LANG=C LC_ALL=C argv...` quoted with
shlex.join, so that shell must be a POSIX one (sh, bash, ksh, zsh).

`follow(path, start)` runs FOLLOW_SCRIPT: it opens the log at its end, or where `start`
says (the inode and the bytes read), reads what is left of a rotated file when it is still
beside the log (found by its inode), says so when it is not or the log was truncated, then
runs `tail -F` under a small wrapper that kills the tail when its stdin reaches end of file,
which happens when the channel is closed, the iteration is closed, or the connection (or the
sshd serving it) dies; so no tail is left running on the server. The script marks where it
starts reading with lines carrying a random marker, which a log line cannot forge, and tail's
own notices (a file replaced or truncated under it) come in order with the lines; so the
follow always knows how far it has read. When the link drops, it reconnects and goes on from
there: no line is lost or read twice (a line received only in part is read again whole).
After `resume_timeout` seconds without a connection it gives up with TransportError; a
follow started again from its last position loses nothing either.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import posixpath
import secrets
import shlex
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import asyncssh

from lmconsole.transport import (
    LINE_BYTES_MAX,
    CommandResult,
    FileStat,
    FollowItem,
    LineSplitter,
    LogLine,
    LogMissingError,
    LogOpened,
    LogPosition,
    LogVanished,
    TransportError,
    decode_output,
)

from .hostkeys import AskUnknownHost, HostKeyError, HostKeys, PathArg
from .local import check_unchanged, decode_line

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 0.5
FILE_TIMEOUT_S = 60.0
READ_CHUNK = 1 << 16
# $1 the log, $2 the marker, $3 the identity read last ("" from the end, "?" unknown), $4
# the bytes read of it. A log's identity is its inode and, once its first line is complete,
# that line's checksum (a new log given a deleted one's inode is not taken for it). The start
# is announced as "MARKER open IDENTITY OFFSET [truncated|rotated]", before the rest of a
# rotated log (renamed, or copied before a truncation) if it is still beside the log.
# tail writes to the channel; the shell then lets go of the channel's stdout (so its end of
# file means tail ended) and waits for its own stdin to end.
FOLLOW_SCRIPT = r"""f=$1 m=$2 id=$3 off=$4 lost=
ident() {
  set -- "$1" $(ls -Lid -- "$1" 2>/dev/null); [ -n "$2" ] || return 1; i=$2
  [ "$(head -n 1 -- "$1" | wc -l)" -gt 0 ] && set -- $(head -n 1 -- "$1" | cksum) && i=$i-$1
  echo "$i"
}
same() {
  case $1 in *-*) [ "$1" = "$2" ]; return;; esac
  [ "${1%%-*}" = "${2%%-*}" ]
}
rotated() {
  d=$(dirname -- "$f"); b=$(basename -- "$f"); copy=
  for g in "$d"/*; do
    { [ "$g" = "$d/$b" ] || [ ! -f "$g" ]; } && continue
    set -- $(ls -Lid -- "$g"); gi=
    [ "$1" = "${id%%-*}" ] && gi=$(ident "$g") && same "$id" "$gi" && { echo "$g"; return; }
    case $g$id in "$d/$b"?*-*) [ -z "$copy" ] && gi=$(ident "$g") &&
      [ "${gi#*-}" = "${id#*-}" ] && copy=$g;; esac
  done
  [ -n "$copy" ] && echo "$copy"
}
[ -e "$f" ] || { echo "$f: No such file or directory" >&2; exit 3; }
[ -r "$f" ] || { echo "$f: Permission denied" >&2; exit 4; }
cur=$(ident "$f"); size=$(($(wc -c <"$f")))
if [ -z "$id" ]; then off=$size
elif { [ "$id" = "?" ] || same "$id" "$cur"; } && [ "$size" -ge "$off" ]; then :
else
  old=; [ "$id" = "?" ] || old=$(rotated)
  if [ -n "$old" ]; then echo "$m open $id $off"; tail -c +$((off + 1)) -- "$old"
  elif [ "$id" = "?" ] || [ "${id%%-*}" = "${cur%%-*}" ]; then lost=truncated
  else lost=rotated; fi
  off=0
fi
echo "$m open $cur $off $lost"
tail -c +$((off + 1)) -F -- "$f" 2>&1 & t=$!
exec >/dev/null; cat >/dev/null; kill "$t" 2>/dev/null; wait "$t"
"""
LOST_WORDS = {"truncated": "the log was truncated", "rotated": "the log was rotated and its "
              "old file is gone"}

_T = TypeVar("_T")


class AuthenticationError(TransportError):
    """The server refused every key (and method) we offered."""


def shell_command(argv: Sequence[str]) -> str:
    """argv as one command line for the remote shell, in the C locale."""
    return shlex.join(["env", "LANG=C", "LC_ALL=C", *argv])


class _Client(asyncssh.SSHClient):
    """The transport's asyncssh client: host keys that known_hosts does not trust go to its
    HostKeys; lost connections are logged."""

    def __init__(self, transport: SshTransport) -> None:
        super().__init__()
        self.transport = transport
        self.established = False  # logged in: its loss is a link lost, not a failed attempt

    def auth_completed(self) -> None:
        self.established = True

    def validate_host_public_key(self, host: str, addr: str, port: int,
                                 key: asyncssh.SSHKey) -> bool:
        return self.transport.host_keys.validate(host, addr, port, key)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            log.info("%s: connection lost: %s", self.transport.host_alias, exc)
            if self.established:
                self.transport.tell_link_lost(_reason(exc))


# ---- the transport -----------------------------------------------------------------------------

class SshTransport:
    def __init__(self, host_alias: str, *, user: str | None = None, port: int | None = None,
                 known_hosts: PathArg | Sequence[PathArg] | None = None,
                 config_paths: Sequence[PathArg] | None = None,
                 keepalive_interval: float = 15, keepalive_count_max: int = 3,
                 connect_timeout: float = 10, ask_unknown_host: AskUnknownHost | None = None,
                 max_backoff: float = 30.0, resume_timeout: float = 60.0,
                 max_channels: int = 10, file_timeout: float = FILE_TIMEOUT_S) -> None:
        """`config_paths`: the ssh_config files to read instead of ~/.ssh/config (and, for
        the host keys, /etc/ssh/ssh_config); `known_hosts`: the user's known_hosts files
        instead of those ssh_config names (see hostkeys.py). `max_channels` is the server's
        MaxSessions (OpenSSH's default: 10): commands and follows share all but one
        channel, the SFTP session has the last one."""
        if keepalive_interval <= 0:
            raise ValueError("keepalive_interval must be positive: without keepalive a dead "
                             "link hangs every read")
        self.host_alias = host_alias
        self.user = user
        self.port = port
        self.config_paths = None if config_paths is None else [os.fspath(p) for p in config_paths]
        self.host_keys = HostKeys(host_alias, user=user, port=port,
                                  config_paths=self.config_paths, known_hosts=known_hosts,
                                  ask_unknown_host=ask_unknown_host)
        self.keepalive_interval = keepalive_interval
        self.keepalive_count_max = keepalive_count_max
        self.connect_timeout = connect_timeout
        self.max_backoff = max_backoff
        self.resume_timeout = resume_timeout
        self.file_timeout = file_timeout
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: tuple[asyncssh.SSHClientConnection, asyncssh.SFTPClient] | None = None
        self._lock = asyncio.Lock()
        self._sftp_lock = asyncio.Lock()
        self._channels = asyncio.Semaphore(max(1, max_channels - 1))
        self._failures = 0
        self._next_attempt = 0.0
        self._wake = asyncio.Event()  # set by reconnect_now: waits for the backoff end
        self._last_error = ""
        self._closed = False
        self.connects = 0  # connections made, for tests and status displays
        self._link_listeners: list[Callable[[str], None]] = []

    def __repr__(self) -> str:
        return f"SshTransport({self.host_alias!r})"

    @property
    def known_hosts(self) -> Path | None:
        """The known_hosts file an accepted host key is added to (None: UserKnownHostsFile
        is none)."""
        return self.host_keys.find_files().writable

    @property
    def ask_unknown_host(self) -> AskUnknownHost | None:
        return self.host_keys.ask_unknown_host

    async def __aenter__(self) -> SshTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection; the follows end, and the transport is not used again."""
        self._closed = True
        conn, self._conn, self._sftp = self._conn, None, None
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.wait_closed(), 5)

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def connect(self, timeout: float | None = None) -> None:
        """Connect now, if not connected. Any operation connects by itself, within its own
        timeout; calling this first keeps a slow connection (or a person answering
        `ask_unknown_host`, which `timeout` does not cut short) out of a command's timeout."""
        timeout = self.connect_timeout if timeout is None else timeout
        await self._connection(asyncio.get_running_loop().time() + timeout)

    # ---- connecting ----------------------------------------------------------------------------

    async def _connection(self, deadline: float) -> asyncssh.SSHClientConnection:
        """The live connection, made (again) if needed; connection attempts are spaced by the
        backoff and tried until `deadline` (loop time). The lock is not held while waiting
        out the backoff, so a caller with a nearer deadline (a poll) fails at once instead of
        queueing behind one with a far deadline (a follow)."""
        loop = asyncio.get_running_loop()
        while True:
            async with self._lock:
                if self._closed:
                    raise TransportError(f"{self.host_alias}: the connection was closed")
                if self._conn is not None and not self._conn.is_closed():
                    return self._conn
                self._conn = self._sftp = None
                wait = self._next_attempt - loop.time()
                if wait <= 0:
                    conn = await self._attempt(deadline)
                    if conn is not None:
                        return conn
                    wait = self._next_attempt - loop.time()
            if loop.time() + wait > deadline:
                raise TransportError(f"{self.host_alias}: not connected ("
                                     f"{self._last_error}); next attempt in {wait:.1f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def add_link_listener(self, listener: Callable[[str], None]) -> None:
        """`listener(reason)` is called when a connection drops under us (the server
        closed it, a keepalive went unanswered), not when we close it."""
        self._link_listeners.append(listener)

    def tell_link_lost(self, reason: str) -> None:
        if not self._closed:
            for listener in self._link_listeners:
                listener(reason)

    def reconnect_now(self) -> None:
        """The next use (and those waiting for the backoff) connects at once: the admin
        asked (ctrl+r, a save, an admin action)."""
        if not self.connected:
            self._next_attempt = 0.0
            self._wake.set()
            self._wake = asyncio.Event()

    def retry_in(self) -> float:
        """Seconds until the next connection attempt; 0 when connected or due."""
        if self.connected:
            return 0.0
        return max(0.0, self._next_attempt - asyncio.get_running_loop().time())

    async def _attempt(self, deadline: float) -> asyncssh.SSHClientConnection | None:
        """One connection attempt (lock held): the connection, or None with the next attempt
        scheduled; raises when it must not be retried (host key, authentication) or the
        next attempt would come after `deadline`."""
        loop = asyncio.get_running_loop()
        try:
            timeout = max(0.1, min(self.connect_timeout, deadline - loop.time()))
            self._conn = await self._connect(timeout)
        except TransportError as error:
            self._failures += 1
            delay = min(self.max_backoff, FIRST_BACKOFF_S * 2 ** (self._failures - 1))
            self._next_attempt = loop.time() + delay
            self._last_error = str(error).removeprefix(f"{self.host_alias}: ")
            if isinstance(error, HostKeyError | AuthenticationError) or \
                    loop.time() + delay > deadline:
                raise
            log.info("%s; retrying in %.1f s", error, delay)
            return None
        self._failures, self._next_attempt, self._last_error = 0, 0.0, ""
        self.connects += 1
        return self._conn

    async def _connect(self, timeout: float, *, asked: bool = False
                       ) -> asyncssh.SSHClientConnection:
        options: dict = {}
        if self.user is not None:
            options["username"] = self.user
        if self.port is not None:
            options["port"] = self.port
        if self.config_paths is not None:
            options["config"] = self.config_paths
        try:
            return await asyncssh.connect(
                self.host_alias, known_hosts=self.host_keys.start_check(),
                client_factory=lambda: _Client(self),
                keepalive_interval=self.keepalive_interval,
                keepalive_count_max=self.keepalive_count_max,
                connect_timeout=timeout, **options)
        except asyncssh.HostKeyNotVerifiable as error:
            await self.host_keys.settle(error, asked=asked)  # HostKeyError unless accepted
            return await self._connect(timeout, asked=True)
        except asyncssh.PermissionDenied as error:
            raise AuthenticationError(
                f"{self.host_alias}: authentication refused ({error.reason}); check the User "
                f"and IdentityFile in your ssh config, your ssh-agent, and the server's "
                f"authorized_keys") from None
        except TimeoutError:
            raise TransportError(f"{self.host_alias}: cannot connect: no answer within "
                                 f"{timeout:g} s") from None
        except asyncssh.Error as error:
            raise TransportError(f"{self.host_alias}: cannot connect: {error.reason}") from None
        except (OSError, ValueError) as error:  # refused, unresolvable; a bad config value
            reason = getattr(error, "strerror", None) or str(error)
            raise TransportError(f"{self.host_alias}: cannot connect: {reason}") from None

    def _forget(self, conn: asyncssh.SSHClientConnection) -> None:
        """The link under `conn` dropped: the next use connects again."""
        if self._conn is conn:
            self._conn = self._sftp = None
        conn.abort()

    # ---- commands ------------------------------------------------------------------------------

    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        if not argv:
            raise ValueError("run: empty command")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            async with asyncio.timeout(timeout):
                completed = await self._run(shell_command(argv), argv[0], deadline)
        except TimeoutError:
            raise TransportError(f"{self.host_alias}: {argv[0]} did not answer within "
                                 f"{timeout:g} s") from None
        stdout, stderr = completed.stdout or b"", completed.stderr or b""
        if completed.returncode is None:
            raise TransportError(f"{self.host_alias}: {argv[0]} ended without an exit status")
        if completed.returncode in (126, 127) and stderr.startswith(b"env: "):
            raise TransportError(f"{self.host_alias}: cannot run {argv[0]}: "
                                 f"{decode_output(stderr).strip().removeprefix('env: ')}")
        return CommandResult(completed.returncode, decode_output(stdout), decode_output(stderr))

    async def _run(self, command: str, name: str, deadline: float
                   ) -> asyncssh.SSHCompletedProcess:
        for attempt in (1, 2):
            conn = await self._connection(deadline)
            async with self._channels:
                try:
                    process = await conn.create_process(command, encoding=None,
                                                        stdin=asyncssh.DEVNULL)
                except (asyncssh.Error, OSError) as error:
                    if conn.is_closed() and attempt == 1:
                        # The link had dropped unnoticed; the command never started.
                        self._forget(conn)
                        continue
                    raise TransportError(f"{self.host_alias}: cannot run {name}: "
                                         f"{_reason(error)}") from None
                try:
                    completed = await process.wait()
                except (asyncssh.Error, OSError) as error:
                    lost: str | None = _reason(error)
                else:
                    lost = "connection closed" if completed.returncode is None and \
                        conn.is_closed() else None
                finally:
                    process.close()
                if lost is not None:
                    self._forget(conn)
                    raise TransportError(f"{self.host_alias}: the connection was lost while "
                                         f"running {name} ({lost}); it is not run again")
                return completed
        raise AssertionError("unreachable")

    # ---- follow --------------------------------------------------------------------------------

    async def follow(self, path: str, start: LogPosition | None = None
                     ) -> AsyncIterator[FollowItem]:
        loop = asyncio.get_running_loop()
        position = start
        while True:
            try:
                conn = await self._connection(loop.time() + self.resume_timeout)
            except TransportError:
                if self._closed:
                    return
                raise
            output = _FollowOutput(position)
            command = shell_command(["sh", "-c", FOLLOW_SCRIPT, "lmconsole-follow", path,
                                     output.marker, *output.start_arguments()])
            messages: list[str] = []
            try:
                async with self._channels:
                    process = await conn.create_process(command, encoding=None)
                    reader = asyncio.create_task(_collect_lines(process.stderr, messages))
                    try:
                        while chunk := await process.stdout.read(READ_CHUNK):
                            for item in output.feed(chunk):
                                yield item
                        if not conn.is_closed():  # the script ended: say why
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(process.wait_closed(), 2)
                            await asyncio.sleep(0.05)
                    finally:
                        with contextlib.suppress(Exception):
                            process.stdin.write_eof()
                        process.close()
                        reader.cancel()
            except (asyncssh.Error, OSError) as error:
                if not conn.is_closed():
                    raise TransportError(f"{self.host_alias}: cannot follow {path}: "
                                         f"{_reason(error)}") from None
                error_text = _reason(error)
            else:
                if not conn.is_closed() and not self._closed:
                    raise _follow_ended(self.host_alias, path, process.exit_status, messages)
                error_text = "connection closed"
            position = output.position or position
            if self._closed:
                return
            self._forget(conn)
            log.warning("%s: following %s: link lost (%s); reconnecting, to go on from byte "
                        "%s", self.host_alias, path, error_text,
                        position.offset if position else "?")

    # ---- files (SFTP) --------------------------------------------------------------------------

    async def _sftp_client(self, deadline: float
                           ) -> tuple[asyncssh.SSHClientConnection, asyncssh.SFTPClient]:
        async with self._sftp_lock:
            conn = await self._connection(deadline)
            if self._sftp is not None and self._sftp[0] is conn:
                return self._sftp
            try:
                client = await conn.start_sftp_client()
            except (asyncssh.Error, OSError) as error:
                if conn.is_closed():
                    self._forget(conn)
                raise TransportError(f"{self.host_alias}: cannot start SFTP: "
                                     f"{_reason(error)}") from None
            self._sftp = (conn, client)
            return self._sftp

    async def read(self, path: str) -> tuple[bytes, FileStat]:
        return await self._look(path, "read", "reading", lambda sftp: _read(sftp, path))

    async def stat(self, path: str) -> FileStat:
        """One SFTP stat: nothing of the file is transferred."""
        return await self._look(path, "stat", "the stat of", lambda sftp: _stat(sftp, path))

    async def _look(self, path: str, verb: str, doing: str,
                    operation: Callable[[asyncssh.SFTPClient], Awaitable[_T]]) -> _T:
        """`operation`, which changes nothing, on the SFTP session within file_timeout: once
        more on a new connection if the link had dropped unnoticed; its errors as
        TransportError("cannot {verb} {path}: ...")."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.file_timeout):
                for attempt in (1, 2):
                    conn, sftp = await self._sftp_client(loop.time() + self.file_timeout)
                    try:
                        return await operation(sftp)
                    except (asyncssh.Error, OSError):
                        if not (conn.is_closed() and attempt == 1):
                            raise
                        self._forget(conn)  # the link had dropped unnoticed: once more
        except TimeoutError:
            raise TransportError(f"{self.host_alias}: {doing} {path} took more than "
                                 f"{self.file_timeout:g} s") from None
        except (asyncssh.Error, OSError) as error:
            raise TransportError(f"{self.host_alias}: cannot {verb} {path}: "
                                 f"{_reason(error)}") from None
        raise AssertionError("unreachable")

    async def list_dir(self, path: str) -> list[str]:
        """The names in directory `path` (without . and ..), sorted."""
        names = await self._look(path, "list", "listing", lambda sftp: sftp.listdir(path))
        return sorted(str(n) for n in names if n not in (".", ".."))

    async def write_atomic(self, path: str, data: bytes, expected: FileStat | None, *,
                           like: str | None = None) -> FileStat:
        """Temp file in the same directory, fsync (fsync@openssh.com, when offered), the old
        mode (and owner, when the server lets us; a new file: those of `like`, if given), a
        re-check, then posix-rename. SFTP v3
        gives whole-second times: a change of the same size within the second of the read
        is not seen."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.file_timeout):
                for attempt in (1, 2):
                    conn, sftp = await self._sftp_client(loop.time() + self.file_timeout)
                    try:
                        old = await _stat_or_none(sftp, path)
                        model = old or (await _stat_or_none(sftp, like) if like else None)
                    except (asyncssh.Error, OSError):
                        if not (conn.is_closed() and attempt == 1):
                            raise
                        self._forget(conn)  # nothing written yet: safe to try once more
                        continue
                    return await self._write_atomic(sftp, path, data, expected, old, model)
        except TimeoutError:
            raise TransportError(f"{self.host_alias}: saving {path} took more than "
                                 f"{self.file_timeout:g} s") from None
        except asyncssh.SFTPOpUnsupported as error:
            raise TransportError(f"{self.host_alias}: cannot save {path} atomically: the SFTP "
                                 f"server lacks {_reason(error)}") from None
        except (asyncssh.Error, OSError) as error:
            raise TransportError(f"{self.host_alias}: cannot save {path}: "
                                 f"{_reason(error)}") from None

    async def _write_atomic(self, sftp: asyncssh.SFTPClient, path: str, data: bytes,
                            expected: FileStat | None, old: asyncssh.SFTPAttrs | None,
                            model: asyncssh.SFTPAttrs | None) -> FileStat:
        """`model`: the file whose mode and owner the written one takes."""
        directory, name = posixpath.split(path)
        temporary = posixpath.join(directory, f".{name}.{secrets.token_hex(8)}.lmconsole")
        where = f"{self.host_alias}:{path}"
        check_unchanged(where, _file_stat(old) if old else None, expected)
        try:
            async with sftp.open(temporary, "x", asyncssh.SFTPAttrs(permissions=0o600),
                                 encoding=None) as file:
                await file.write(data)
                with contextlib.suppress(asyncssh.SFTPOpUnsupported):
                    await file.fsync()
            await sftp.chmod(temporary, stat.S_IMODE(model.permissions) if model else 0o644)
            if model is not None and model.uid is not None and model.gid is not None:
                with contextlib.suppress(asyncssh.SFTPError):  # only root may give files away
                    await sftp.chown(temporary, model.uid, model.gid)
            latest = await _stat_or_none(sftp, path)
            check_unchanged(where, _file_stat(latest) if latest else None, expected)
            await sftp.posix_rename(temporary, path)
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(sftp.remove(temporary)), 5)
            raise
        return _file_stat(await sftp.stat(path))


# ---- helpers -----------------------------------------------------------------------------------

async def _read(sftp: asyncssh.SFTPClient, path: str) -> tuple[bytes, FileStat]:
    """The bytes of `path` and the stat of exactly that version (read again if it changed
    while being read)."""
    for _ in range(5):
        async with sftp.open(path, "r", encoding=None) as file:
            before = await file.stat()
            data = await file.read()
            after = await file.stat()
        if _file_stat(before) == _file_stat(after):
            return data, _file_stat(after)
    raise asyncssh.SFTPFailure("it keeps changing while being read")


async def _stat(sftp: asyncssh.SFTPClient, path: str) -> FileStat:
    """What _read would return as the stat of `path`, without opening it."""
    attrs = await sftp.stat(path)
    if stat.S_ISDIR(attrs.permissions or 0):  # _read fails on one too
        raise asyncssh.SFTPFailure(os.strerror(errno.EISDIR))
    return _file_stat(attrs)


def _file_stat(attrs: asyncssh.SFTPAttrs) -> FileStat:
    mtime_ns = (attrs.mtime or 0) * 1_000_000_000 + (attrs.mtime_ns or 0)
    return FileStat(attrs.size or 0, mtime_ns, attrs.permissions or 0)


async def _stat_or_none(sftp: asyncssh.SFTPClient, path: str) -> asyncssh.SFTPAttrs | None:
    try:
        return await sftp.stat(path)
    except asyncssh.SFTPNoSuchFile:
        return None


async def _collect_lines(stream: asyncssh.SSHReader, into: list[str], keep: int = 5) -> None:
    """Read a stream to its end (so that it never stalls the channel), keeping its last
    lines in `into`."""
    async for raw in stream:
        text = decode_line(raw.rstrip(b"\n")).strip()
        if text:
            log.debug("remote: %s", text)
            into.append(text)
            del into[:-keep]


class _FollowOutput:
    """Reads FOLLOW_SCRIPT's output: its marker lines say which file it reads from where,
    tail's notices that it starts again on a replaced or truncated file; every other
    complete line is a log line, whose end it counts."""

    def __init__(self, start: LogPosition | None) -> None:
        self.start = start
        self.marker = f"lmconsole-{secrets.token_hex(8)}"
        self._marker = self.marker.encode()
        self.position: LogPosition | None = None  # after the last line handed over
        self.splitter = LineSplitter()

    def start_arguments(self) -> tuple[str, str]:
        if self.start is None:
            return "", "0"
        return self.start.file_id or "?", str(self.start.offset)

    def feed(self, chunk: bytes) -> list[FollowItem]:
        items: list[FollowItem] = []
        for raw, size in self.splitter.lines(chunk):
            at = raw.find(self._marker)
            if at >= 0:  # what stands before it is the unfinished end of a rotated file
                items.append(self._opened(raw[at:].decode("ascii", "replace").split()))
            elif raw.startswith(b"tail: "):
                if (notice := self._tail_notice(raw)) is not None:
                    items.append(notice)
            elif self.position is not None:
                file_id, offset = self.position
                self.position = LogPosition(file_id, offset + size)
                items.append(LogLine(decode_line(raw[:LINE_BYTES_MAX]), self.position))
        return items

    def _opened(self, words: list[str]) -> LogOpened:
        file_id, offset = words[2], int(words[3])
        self.position = LogPosition(file_id, offset)
        lost = LOST_WORDS.get(words[4]) if len(words) > 4 else None
        return LogOpened(self.position, lost)

    def _tail_notice(self, raw: bytes) -> LogOpened | LogVanished | None:
        """tail -F tells (on the merged stream) when the file goes and when it starts again
        from a file's start (GNU tail's words)."""
        log.info("remote: %s", decode_line(raw))
        if self.position is None:
            return None
        if raw.endswith(b"file truncated"):
            self.position = LogPosition(self.position.file_id, 0)
        elif raw.endswith(b"following new file"):  # replaced, or appeared again
            self.position = LogPosition(None, 0)
            return LogOpened(self.position)
        elif b"has become inaccessible" in raw:
            return LogVanished(self.position)
        return None


def _follow_ended(host: str, path: str, exit_status: int | None,
                  messages: list[str]) -> TransportError:
    said = f": {' '.join(messages)}" if messages else ""
    if exit_status == 3:
        return LogMissingError(f"{host}: cannot follow {path}: No such file or directory")
    if exit_status == 4:
        return TransportError(f"{host}: cannot follow {path}: Permission denied")
    return TransportError(f"{host}: tail -F {path} ended{said}")


def _reason(error: BaseException) -> str:
    return getattr(error, "reason", None) or getattr(error, "strerror", None) or str(error) \
        or type(error).__name__
