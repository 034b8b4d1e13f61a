"""What `lmconsole directory options` and `lmconsole pools sync` share: a server's options
file with one managed block regenerated, shown as a diff, its findings and its what-if (a
dry run), and with --apply saved through the editor's safe path and re-read.

Exit codes: 0 nothing to change, a dry run, or saved and re-read; 1 refused (errors in the
result, over-allocation, broken markers) or the save or re-read failed; 2 a bad
configuration or option; 3 the server or the database cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_OK

from .common import PROG
from .database import EXIT_UNREACHABLE

EXIT_REFUSED = 1


def add_apply_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", metavar="NAME", required=True,
                        help="the configured server whose options file holds the block")
    parser.add_argument("--apply", action="store_true",
                        help="save the change (backup, audit) and lmreread; without it, a dry "
                             "run that shows the diff")
    parser.add_argument("--force", action="store_true",
                        help="with --apply: save even when the new file has errors")


class Target:
    """One configured server as the managed blocks reach it."""

    def __init__(self, config, name: str) -> None:
        from lmconsole.adapters import ADAPTERS

        from .servers import transport_for

        try:
            self.config = config.server(name)
        except LookupError as error:
            raise InputError(f"--server {name}: {error}") from None
        self.adapter = ADAPTERS[self.config.manager]
        self.transport = transport_for(self.config)
        try:
            self.blocks = self.adapter.options_blocks()
        except NotImplementedError as error:
            raise InputError(f"server {name}: {error}") from None

    async def find_options_file(self) -> None:
        """The one options file the blocks go in: configured, or named by the licence
        file's VENDOR line. InputError: none, or several (a server of several daemons)."""
        from lmconsole.edit import options_files
        from lmconsole.transport import TransportError

        name = self.config.name
        try:
            files = await options_files(self.transport, self.config, self.adapter)
        except TransportError as error:
            raise InputError(f"server {name}: its licence file cannot be read: {error}") \
                from None
        if len(files) != 1:
            raise InputError(f"server {name}: " + (
                "no options file: configure options_file, or license_file with a VENDOR "
                "line naming one" if not files else
                f"{len(files)} options files (one a vendor daemon): managed blocks need one "
                "options_file configured"))
        self.config = _with_options_file(self.config, files[0])

    async def license_text(self) -> str | None:
        from lmconsole.edit import decode
        from lmconsole.transport import TransportError

        path = self.config.license_file
        if not path:
            return None
        try:
            return decode((await self.transport.read(path))[0])[0]
        except TransportError:
            return None

    async def status(self, now: datetime):
        """The server's status now (lmstat), or None when it does not answer."""
        from lmconsole.model import Status
        from lmconsole.snapshot import ServerQuery

        found, _ = await ServerQuery(self.config, self.adapter, self.transport).status(now)
        return found[0] if found and found[0].status is Status.UP else None

    async def live_use(self, status):
        """The seats held now and the debug log's recent requests, for the what-if."""
        from lmconsole.adapter import LiveUse
        from lmconsole.edit import recent_events

        seats, capacity = [], {}
        for feature in status.features if status is not None else ():
            seats += [(feature.name, seat) for seat in feature.checkouts]
            if not feature.uncounted and feature.issued is not None:
                capacity[feature.name] = capacity.get(feature.name, 0) + feature.issued
        events = await recent_events(self.transport, self.config, self.adapter)
        return LiveUse(users=frozenset(c.user for _, c in seats),
                       hosts=frozenset(c.host for _, c in seats), seats=tuple(seats),
                       events=tuple(events), capacity=capacity)

    async def close(self) -> None:
        from lmconsole.snapshot import close_transport

        await close_transport(self.transport)


def _with_options_file(config, file):
    from dataclasses import replace

    return replace(config, options_file=file.path, vendor=file.vendor or config.vendor)


async def run_block(args: argparse.Namespace, config, target: Target, block: str, build, *,
                    license_text: str | None, now: datetime | None = None,
                    on_saved=None) -> int:
    """Plan the block with `build(text)`; print it; with --apply save and re-read it (and
    await `on_saved()` once it is saved)."""
    from lmconsole.managed.plan import plan
    from lmconsole.transport import TransportError

    now = now or datetime.now(UTC)
    await target.find_options_file()
    try:
        status = await target.status(now)
        live = await target.live_use(status)
        result = await plan(target.transport, target.config, target.adapter, block, build,
                            live=live, license_text=license_text)
    except TransportError as error:
        say(f"{target.config.name}: {error}")
        return EXIT_UNREACHABLE
    show_plan(result)
    if result.refused:
        return EXIT_REFUSED
    if not result.changed:
        print(f"{result.path} on {result.server}: the {block} block is up to date")
        return EXIT_OK
    if not args.apply:
        print("dry run: nothing written (--apply saves it with a backup, then lmreread)")
        return EXIT_REFUSED if result.errors else EXIT_OK
    return await apply_plan(args, config, target, result, license_text=license_text,
                            live=live, now=now, on_saved=on_saved)


async def apply_plan(args, config, target: Target, result, *, license_text, live, now,
                     on_saved=None) -> int:
    from lmconsole.edit import ReadOnlyError
    from lmconsole.managed.apply import apply

    from .console import audit_log_for

    try:
        applied = await apply(result, target.transport, target.config, target.adapter,
                              audit=audit_log_for(config), now=now, license_text=license_text,
                              live=live, force=args.force,
                              read_only=args.read_only or config.read_only)
    except ReadOnlyError as error:
        raise InputError(str(error)) from None
    except OSError as error:
        raise InputError(f"the audit log cannot be written ({error}); nothing was saved") \
            from None
    print(applied.save.message)
    if applied.save.saved and on_saved is not None:
        await on_saved()
    if applied.reread is not None:
        print(f"lmreread: {applied.reread.output or applied.reread.exit_code}")
    if applied.confirmation is not None:
        print(applied.confirmation.message)
    return EXIT_OK if applied.ok else EXIT_REFUSED


def show_plan(result) -> None:
    for reason in result.refused:
        say(f"{result.server}: {result.path}: not changed: {reason}")
    for note in result.notes:
        say(f"{result.server}: note: {note}")
    if not result.changed:
        return
    sys.stdout.write(result.diff)
    for finding in result.findings:
        print(f"{result.path}:{finding.line}:{finding.column}: {finding.severity}: "
              f"{finding.message} [{finding.code}]")
    if result.what_if:
        print(result.what_if)


def say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr, flush=True)
