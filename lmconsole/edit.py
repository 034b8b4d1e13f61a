"""Changing a server's options or licence file safely: open, validate, back up, save, re-read,
roll back.

Every step follows DESIGN.md's safety rules: refused in read-only mode (ReadOnlyError), a file
with errors is not saved unless forced, a timestamped backup is written beside the file
(`adskflex.opt.YYYYmmddTHHMMSSZ.bak`) before it is replaced atomically, the save is refused
when the file changed on the server since it was opened, and each attempt is recorded in the
audit log with its unified diff. What a valid file is, and which changes no save may make (a licence
file's signed fields), is the adapter's FileLanguage. Confirmation dialogs belong to the UI; no
Textual here.
"""

from __future__ import annotations

import asyncio
import difflib
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lmconsole.adapter import DaemonOptionsFile, FileLanguage, Finding, LiveUse, read_events
from lmconsole.audit import AuditLog
from lmconsole.model import Event, EventKind
from lmconsole.monitor import followed_logs
from lmconsole.transport import (
    FileChangedError,
    FileStat,
    Transport,
    TransportError,
    reconnect_now,
)

REREAD_TIMEOUT_S = 60.0
# The end of the debug log a what-if replays: days of checkouts and denials on most servers
# (a busy one writes a few MB a day), read with `tail -c`, not the whole file.
WHAT_IF_LOG_BYTES = 16 * 1024 * 1024
_BACKUP = re.compile(r"\.(\d{8}T\d{6}Z)(?:-(\d+))?\.bak$")
# Debug-log lines that tell a re-read went wrong: the daemon's complaints about its options
# file, and licence-file errors printed while re-reading.
_LOG_ERROR = re.compile(r"options file:|\berror\b|\binvalid\b|\bunknown (keyword|option)\b|"
                        r"\bcannot\b|\bcan't\b|\bbad\b", re.IGNORECASE)
_CHECKOUT_LINE = re.compile(r"\b(OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED):")  # users' words


class ReadOnlyError(Exception):
    """The console runs with --read-only: nothing on a server is changed."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A file as opened: its text and the version (stat) it came from."""

    path: str
    text: str
    stat: FileStat
    encoding: str = "utf-8"


@dataclass(frozen=True, slots=True)
class SaveResult:
    outcome: str  # "saved", "invalid" (errors, not forced), "forbidden" (a change no save
    #               may make), "conflict", "failed"
    message: str
    diff: str = ""
    backup: str | None = None
    stat: FileStat | None = None  # the saved version: the next save's expected stat
    findings: tuple[Finding, ...] = ()

    @property
    def saved(self) -> bool:
        return self.outcome == "saved"


@dataclass(frozen=True, slots=True)
class Backup:
    path: str
    taken: datetime


@dataclass(frozen=True, slots=True)
class RereadResult:
    argv: tuple[str, ...]
    exit_code: int | None  # None: the command could not be run
    output: str
    # each debug log's size before the command, to read what followed (none: no log, or
    # none could be read)
    log_sizes: tuple[tuple[str, int], ...]

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True, slots=True)
class RereadCheck:
    """What the debug log says about a re-read."""

    confirmed: bool
    daemons: tuple[str, ...]  # the daemons that logged `...Finished rereading`
    errors: tuple[str, ...]  # error lines logged since the command

    @property
    def message(self) -> str:
        if self.errors:
            return f"re-read with errors: {self.errors[0]}"
        if self.confirmed:
            return f"the debug log confirms the re-read ({', '.join(self.daemons)})"
        return "the debug log does not (yet) show the re-read"


# ---- text ----------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding to write it back in (a BOM is kept; Latin-1 files stay)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def errors_in(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def unified_diff(old: str, new: str, path: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        f"{path} (on the server)", f"{path} (edited)"))


def backup_name(path: str, now: datetime, taken: Sequence[str] = ()) -> str:
    """`NAME.YYYYmmddTHHMMSSZ.bak` beside the file (adskflex.opt.20260309T101530Z.bak); `-2`,
    `-3` ... when that second's name is taken already."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{path}.{stamp}.bak"
    number = 2
    names = {posixpath.basename(t) for t in taken}
    while posixpath.basename(name) in names:
        name = f"{path}.{stamp}-{number}.bak"
        number += 1
    return name


# ---- which options file ------------------------------------------------------------------------

def configured_options_files(config) -> list[DaemonOptionsFile]:
    """The options files a server's configuration names: one per vendor daemon
    (options_files), or the one of its `vendor` (options_file)."""
    several = getattr(config, "options_files", None)
    if several:
        return [DaemonOptionsFile(vendor, path, "options_files in the configuration")
                for vendor, path in several]
    single = getattr(config, "options_file", None)
    if single:
        return [DaemonOptionsFile(getattr(config, "vendor", None), single,
                                  "options_file in the configuration")]
    return []


async def options_files(transport: Transport, config, adapter) -> list[DaemonOptionsFile]:
    """Each vendor daemon's options file: as configured, else as the VENDOR lines of the
    server's licence file name them ([] without a license_file). TransportError: the
    licence file could not be read."""
    configured = configured_options_files(config)
    license_path = getattr(config, "license_file", None)
    if configured or not license_path:
        return configured
    data, _ = await transport.read(license_path)
    return adapter.daemon_options_files(decode(data)[0], license_path)


# ---- open, save, roll back ---------------------------------------------------------------------

async def open_file(transport: Transport, path: str) -> Draft:
    data, stat = await transport.read(path)
    text, encoding = decode(data)
    return Draft(path, text, stat, encoding)


async def save_file(transport: Transport, path: str, new_text: str, expected_stat: FileStat,
                    *, server: str, audit: AuditLog, now: datetime,
                    language: FileLanguage | None = None, live: LiveUse | None = None,
                    force: bool = False, read_only: bool = False, encoding: str = "utf-8",
                    action: str | None = None) -> SaveResult:
    """Validate (with `language`), back up what is on the server, write `new_text` in its
    place. Nothing is written when the file is no longer the version opened
    (`expected_stat`), nor when the language refuses the change, forced or not."""
    action = action or f"save-{language.kind if language else 'file'}"
    if read_only:
        raise ReadOnlyError(f"read-only mode: {path} on {server} is not saved")
    audit.check()  # OSError: an action that could not be recorded is not taken
    command = [action, path]
    findings = tuple(language.check(new_text, live or LiveUse())) if language else ()
    errors = errors_in(findings)
    if errors and not force:
        first = errors[0]
        message = (f"not saved: {len(errors)} error(s), the first at line {first.line}: "
                   f"{first.message} ({first.code})")
        audit.record(server=server, command=command, outcome="refused", output=message,
                     action=action)
        return SaveResult("invalid", message, findings=findings)
    reconnect_now(transport)
    try:
        data, current = await transport.read(path)
    except TransportError as error:
        return _failed(audit, server, command, action, f"not saved: {error}", findings)
    old_text, _ = decode(data)
    diff = unified_diff(old_text, new_text, path)
    if current != expected_stat:
        return _conflict(audit, server, command, action, path, diff, findings)
    refused = language.refusals(old_text, new_text) if language else []
    if refused:
        return _forbidden(audit, server, command, action, refused, diff, findings)
    try:
        backup = backup_name(path, now, await _siblings(transport, path))
        await transport.write_atomic(backup, data, None, like=path)
        stat = await transport.write_atomic(path, new_text.encode(encoding), expected_stat)
    except FileChangedError:
        return _conflict(audit, server, command, action, path, diff, findings)
    except TransportError as error:
        return _failed(audit, server, command, action, f"not saved: {error}", findings, diff)
    message = f"saved {path} on {server}; the previous version is in {backup}"
    audit.record(server=server, command=command, outcome="ok", output=message, action=action,
                 diff=diff)
    return SaveResult("saved", message, diff, backup, stat, findings)


def _forbidden(audit: AuditLog, server: str, command: list[str], action: str,
               refused: Sequence[Finding], diff: str, findings: tuple[Finding, ...]
               ) -> SaveResult:
    first = refused[0]
    message = (f"not saved: line {first.line}: {first.message} ({first.code})"
               + (f"; and {len(refused) - 1} more such change(s)" if len(refused) > 1 else ""))
    audit.record(server=server, command=command, outcome="refused", output=message,
                 action=action, diff=diff)
    return SaveResult("forbidden", message, diff, findings=tuple(refused) + findings)


def _conflict(audit: AuditLog, server: str, command: list[str], action: str, path: str,
              diff: str, findings: tuple[Finding, ...]) -> SaveResult:
    message = (f"not saved: {path} changed on the server since you opened it; "
               "reopen it to see the other change, then edit again")
    audit.record(server=server, command=command, outcome="refused", output=message,
                 action=action, diff=diff)
    return SaveResult("conflict", message, diff, findings=findings)


def _failed(audit: AuditLog, server: str, command: list[str], action: str, message: str,
            findings: tuple[Finding, ...], diff: str = "") -> SaveResult:
    audit.record(server=server, command=command, outcome="failed", output=message,
                 action=action, diff=diff)
    return SaveResult("failed", message, diff, findings=findings)


async def _siblings(transport: Transport, path: str) -> list[str]:
    directory = posixpath.dirname(path) or "."
    return [posixpath.join(directory, n) for n in await transport.list_dir(directory)]


async def list_backups(transport: Transport, path: str) -> list[Backup]:
    """The backups beside `path`, newest first."""
    name = posixpath.basename(path)
    found = []
    for sibling in await _siblings(transport, path):
        base = posixpath.basename(sibling)
        match = _BACKUP.search(base)
        if match and base[:match.start()] == name:
            taken = datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            found.append((taken, int(match[2] or 1), Backup(sibling, taken)))
    return [backup for *_, backup in sorted(found, key=lambda f: f[:2], reverse=True)]


async def rollback(transport: Transport, path: str, backup: Backup | str, *, server: str,
                   audit: AuditLog, now: datetime, read_only: bool = False,
                   kind: str = "options") -> SaveResult:
    """Put a backup back in place of `path` (an options or licence file: `kind`); what it
    replaces is backed up first. Not validated: the backup was the server's file once."""
    action = f"rollback-{kind}"
    if read_only:
        raise ReadOnlyError(f"read-only mode: {path} on {server} is not rolled back")
    source = backup.path if isinstance(backup, Backup) else backup
    try:
        data, _ = await transport.read(source)
        current = await transport.stat(path)
    except TransportError as error:
        audit.check()
        return _failed(audit, server, [action, path, source], action,
                       f"not rolled back: {error}", ())
    text, encoding = decode(data)
    return await save_file(transport, path, text, current, server=server, audit=audit,
                           now=now, force=True, encoding=encoding, action=action)


# ---- lmreread -------------------------------------------------------------------------------

async def reread(transport: Transport, config, adapter, *, audit: AuditLog,
                 read_only: bool = False, timeout: float = REREAD_TIMEOUT_S) -> RereadResult:
    """Run the adapter's re-read command on the server, audited. Notes the debug log's size
    first, so that `reread_log` reads only what the daemons wrote after it."""
    if read_only:
        raise ReadOnlyError(f"read-only mode: {config.name} is not told to re-read")
    audit.check()
    return await _run_audited(transport, config, adapter.reread_argv(config), audit=audit,
                              action="lmreread", timeout=timeout)


async def restart(transport: Transport, config, adapter, *, audit: AuditLog,
                  read_only: bool = False, force: bool = False,
                  timeout: float = REREAD_TIMEOUT_S) -> list[RereadResult]:
    """Restart with the adapter's commands (FlexLM: lmdown -vendor then lmreread, or the
    configured stop and start commands), each audited; the later ones are not run once one
    fails. `force`: stop even while seats are borrowed."""
    if read_only:
        raise ReadOnlyError(f"read-only mode: {config.name} is not restarted")
    audit.check()
    results = []
    for argv in adapter.restart_argvs(config, force=force):
        result = await _run_audited(transport, config, argv, audit=audit, action="restart",
                                    timeout=timeout)
        results.append(result)
        if result.exit_code != 0:
            break
    return results


async def _run_audited(transport: Transport, config, argv: list[str], *, audit: AuditLog,
                       action: str, timeout: float) -> RereadResult:
    """Run one admin command and record it; the debug logs' sizes before it are noted so
    that `reread_log` reads only what the daemons wrote after it."""
    reconnect_now(transport)
    sizes = await _log_sizes(transport, config)
    try:
        result = await transport.run(argv, timeout=timeout)
    except TransportError as error:
        code, output = None, str(error)
    else:
        code, output = result.exit_code, (result.stdout + result.stderr).strip()
    audit.record(server=config.name, command=argv, outcome="ok" if code == 0 else "failed",
                 exit_code=code, output=output, action=action)
    return RereadResult(tuple(argv), code, output, sizes)


async def _log_sizes(transport: Transport, config) -> tuple[tuple[str, int], ...]:
    sizes = []
    for path in followed_logs(config):
        try:
            sizes.append((path, (await transport.stat(path)).size))
        except TransportError:
            continue
    return tuple(sizes)


async def reread_log(transport: Transport, config, adapter,
                     since: Sequence[tuple[str, int]]) -> tuple[list[Event], list[str]]:
    """The events and lines each debug log gained after its byte in `since` (path, size).
    Only those bytes travel (`tail -c +N`): the confirmation reads the logs several times,
    and a debug log may be hundreds of megabytes."""
    events: list[Event] = []
    lines: list[str] = []
    for path, size in since:
        result = await transport.run(["tail", "-c", f"+{size + 1}", path],
                                     timeout=REREAD_TIMEOUT_S)
        if result.exit_code != 0:
            raise TransportError(f"{path}: {result.stderr.strip() or 'cannot be read'}")
        reader = adapter.event_reader(tz=config.tz, server=config.name)
        gained = result.stdout.splitlines()
        events += read_events(reader, gained)
        lines += gained
    return events, lines


async def recent_events(transport: Transport, config, adapter, *,
                        max_bytes: int = WHAT_IF_LOG_BYTES, timeout: float = 30.0
                        ) -> list[Event]:
    """The events in the last `max_bytes` of each of the server's debug logs, oldest first,
    for a what-if: [] without a debug log; a log that cannot be read adds none."""
    events: list[Event] = []
    for path in followed_logs(config):
        try:
            result = await transport.run(["tail", "-c", str(max_bytes), path], timeout=timeout)
        except TransportError:
            continue
        if result.exit_code != 0:
            continue
        lines = result.stdout.splitlines()
        if len(result.stdout.encode()) >= max_bytes:
            lines = lines[1:]  # the tail began mid-line
        events += read_events(adapter.event_reader(tz=config.tz, server=config.name), lines)
    return sorted(events, key=lambda event: event.at)


def confirm_reread(events: Iterable[Event], lines: Iterable[str] = (), *,
                   vendor: str | None = None) -> RereadCheck:
    """Did the daemons re-read without errors? `vendor` set: that daemon must have."""
    daemons = tuple(dict.fromkeys(e.daemon for e in events if e.kind is EventKind.REREAD))
    errors = tuple(line.strip() for line in lines
                   if _LOG_ERROR.search(line) and not _CHECKOUT_LINE.search(line))
    done = vendor in daemons if vendor else bool(daemons)
    return RereadCheck(done and not errors, daemons, errors)


async def await_reread(transport: Transport, config, adapter,
                       since: Sequence[tuple[str, int]], *, attempts: int = 10,
                       interval_s: float = 0.5) -> RereadCheck:
    """Read the debug logs (from `since`: each one's path and size before the re-read)
    until they confirm the re-read (a real daemon logs it a moment after lmreread returns)
    or `attempts` readings did not."""
    vendor = getattr(config, "vendor", None)
    result = RereadCheck(False, (), ())
    for attempt in range(attempts):
        events, lines = await reread_log(transport, config, adapter, since)
        result = confirm_reread(events, lines, vendor=vendor)
        if result.confirmed or result.errors:
            return result
        if attempt < attempts - 1:
            await asyncio.sleep(interval_s)
    return result
