"""The `import` and `history` commands: `add_commands(subparsers)` adds them, `run(args)`
runs the one chosen and returns its exit code (DESIGN.md: 0 ok, 2 usage or input error,
3 the database could not be reached).

    lmconsole import FILE... --server NAME [--server-tz ZONE]
    lmconsole history sessions|denials|events [--from] [--to] [--server] [--feature]
                      [--user] [--format table|json|csv] [--tz ZONE]
    lmconsole history info [--format table|json]

The database is `--database URL`, else the configuration's `database_url`, else
history.db in lmconsole's data directory. No Textual here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EXIT_OK, EXIT_INPUT, EXIT_UNREACHABLE = 0, 2, 3
COMMANDS = ("import", "history")
DIAGNOSTICS_SHOWN = 20


class UsageError(Exception):
    """A bad option value or configuration: exit 2 with the message."""


def add_commands(commands: argparse._SubParsersAction) -> None:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", metavar="URL",
                          help="SQLAlchemy URL of the history (default: the configuration's "
                               "database_url, else history.db in $XDG_DATA_HOME/lmconsole)")

    importing = commands.add_parser(
        "import", parents=[database], help="import old debug logs into the history",
        description="Read FlexLM debug logs (plain or .gz, rotated or restarted files in "
                    "any order: they are read in the order of their own dates) into the "
                    "history: every event, checkout session and denial, once. Importing a "
                    "file again changes nothing. Exit 0 when every file was read, 2 when one "
                    "could not be (the others are imported), 3 when the database cannot be "
                    "reached.")
    importing.add_argument("files", metavar="FILE", nargs="+")
    importing.add_argument("--server", metavar="NAME", required=True,
                           help="the server the logs are of (need not be configured)")
    importing.add_argument("--server-tz", metavar="ZONE",
                           help="the zone the server wrote its times in (default: the "
                                "configured server's, else this machine's)")

    history = commands.add_parser("history", help="list what the history holds")
    lists = history.add_subparsers(dest="history_command", metavar="WHAT", required=True)
    for name, what in (("sessions", "checkout sessions that overlap the period"),
                       ("denials", "denials (DENIED and UNSUPPORTED) in the period"),
                       ("events", "debug-log events in the period")):
        listing = lists.add_parser(name, parents=[database], help=what,
                                   description=f"List the {what}.")
        listing.add_argument("--from", dest="start", metavar="TIME",
                             help="from this date or time (ISO 8601, in --tz without an "
                                  "offset)")
        listing.add_argument("--to", dest="end", metavar="TIME",
                             help="until this time; a date alone: to the end of that day")
        listing.add_argument("--server", metavar="NAME", action="append",
                             help="this server only (repeatable)")
        listing.add_argument("--feature", metavar="NAME")
        listing.add_argument("--user", metavar="NAME")
        listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
        listing.add_argument("--tz", metavar="ZONE",
                             help="the zone of table times and of --from/--to (default: "
                                  "display_timezone, else this machine's)")
    info = lists.add_parser("info", parents=[database],
                            help="the database: size, span, row counts and gaps")
    info.add_argument("--format", choices=("table", "json"), default="table")
    info.add_argument("--tz", metavar="ZONE", help="the zone times are shown in")


def run(args: argparse.Namespace) -> int:
    from lmconsole.history.store import StoreError

    try:
        if args.command == "import":
            return asyncio.run(_import(args))
        return asyncio.run(_history(args))
    except UsageError as error:
        _error(str(error))
        return EXIT_INPUT
    except StoreError as error:
        _error(str(error))
        return EXIT_UNREACHABLE


# ---- import ----------------------------------------------------------------------------------

async def _import(args: argparse.Namespace) -> int:
    from lmconsole.adapters import ADAPTERS
    from lmconsole.history.importer import Importer

    config = _config(args)
    configured = next((s for s in config.servers if s.name == args.server), None)
    manager = configured.manager if configured else "flexlm"
    if args.server_tz:
        tz, time_zone = _zone(args.server_tz, "--server-tz"), args.server_tz
    elif configured is not None:
        tz, time_zone = configured.tz, configured.timezone
    else:
        tz, time_zone = _local_zone(), None
    store = await _open(args, config)
    try:
        with _progress_bar(args.files) as progress:
            importer = Importer(store, ADAPTERS[manager], server=args.server, tz=tz,
                                time_zone=time_zone, now=datetime.now(UTC), progress=progress)
            summary = await importer.run(args.files)
    finally:
        await store.close()
    sys.stdout.write(summary_text(summary, tz))
    for file, diagnostic in summary.diagnostics[:DIAGNOSTICS_SHOWN]:
        text = f": {diagnostic.text.strip()[:120]}" if diagnostic.text.strip() else ""
        _warn(f"{file}:{diagnostic.line}: {diagnostic.message}{text}")
    if len(summary.diagnostics) > DIAGNOSTICS_SHOWN:
        _warn(f"{len(summary.diagnostics) - DIAGNOSTICS_SHOWN} more lines not understood")
    for refusal in summary.refused:
        _error(refusal)
    return EXIT_INPUT if summary.refused else EXIT_OK


def summary_text(summary, tz: tzinfo) -> str:
    new = "" if summary.new_events is None else f" ({summary.new_events:,} new)"
    span = "-" if summary.first_at is None else (
        f"{summary.first_at.astimezone(tz):%Y-%m-%d %H:%M:%S} .. "
        f"{summary.last_at.astimezone(tz):%Y-%m-%d %H:%M:%S} {_zone_label(tz)}")
    lines = [f"files        {summary.files:,}",
             f"lines        {summary.lines:,}",
             f"events       {summary.events:,}{new}",
             f"sessions     {summary.sessions:,} ({summary.still_open:,} still open)",
             f"denials      {summary.denials:,}",
             f"diagnostics  {len(summary.diagnostics):,}",
             f"time span    {span}"]
    if summary.unmatched_ins:
        lines.append(f"unmatched    {summary.unmatched_ins:,} IN lines whose OUT is in no "
                     f"imported file")
    return "\n".join(lines) + "\n"


class _progress_bar:
    """A progress bar on standard error when it is a terminal (rich, which Textual
    brings); nothing otherwise. Used as a context manager yielding the progress callback."""

    def __init__(self, files: Sequence[str]) -> None:
        self.total = 0
        for name in files:
            with contextlib.suppress(OSError):
                self.total += os.stat(name).st_size
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress("importing", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                            TimeRemainingColumn(), console=Console(stderr=True),
                            transient=True)
        self.bar.start()
        task = self.bar.add_task("import", total=self.total)
        return lambda advance: self.bar.advance(task, advance)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


# ---- history ---------------------------------------------------------------------------------

async def _history(args: argparse.Namespace) -> int:
    from lmconsole.history import listing

    config = _config(args)
    tz = _zone(args.tz, "--tz") if args.tz else config.display_tz
    store = await _open(args, config)
    try:
        if args.history_command == "info":
            facts = await listing.info(store)
            if args.format == "json":
                sys.stdout.write(json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(listing.info_text(facts, tz))
            return EXIT_OK
        start = parse_time(args.start, tz, "--from") if args.start else None
        end = parse_time(args.end, tz, "--to", end_of_day=True) if args.end else None
        if start is not None and end is not None and end <= start:
            raise UsageError(f"--to {args.end} is not after --from {args.start}")
        wanted = listing.Filter(start, end, tuple(args.server or ()), args.feature, args.user)
        kind = listing.LISTINGS[args.history_command]
        rows = listing.records(store, args.history_command, wanted)
        if args.format == "json":
            await listing.write_json(sys.stdout, rows, kind)
        elif args.format == "csv":
            await listing.write_csv(sys.stdout, rows, kind)
        else:
            try:
                await listing.write_table(sys.stdout, rows, kind, tz)
            except OverflowError as error:
                raise UsageError(str(error)) from None
        return EXIT_OK
    finally:
        await store.close()


def parse_time(text: str, tz: tzinfo, option: str, *, end_of_day: bool = False) -> int:
    """Epoch seconds of an ISO date or date-time (in `tz` without an offset). A date alone
    is its first second, or with `end_of_day` the first second of the next day."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1 if end_of_day else 0), time(),
                                      tz)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a date or time such as 2026-03-01 or "
                         f"2026-03-01T08:00") from None
    return int(moment.timestamp())


# ---- shared ----------------------------------------------------------------------------------

def _config(args: argparse.Namespace):
    from lmconsole.config import ConfigError, load_config

    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as error:
        raise UsageError(str(error)) from None


async def _open(args: argparse.Namespace, config):
    from lmconsole.history.store import HistoryStore, StoreError, database_url

    url = database_url(args.database or config.database_url)
    try:
        return await HistoryStore.open(url)
    except StoreError:
        if url.get_backend_name() == "sqlite":  # a local file: a path or permission problem
            raise UsageError(str(sys.exc_info()[1])) from None
        raise


def _zone(name: str, option: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"{option}: unknown time zone {name!r} (use an IANA name such as "
                         f"Europe/Berlin or UTC)") from None


def _local_zone() -> tzinfo:
    from lmconsole.config import local_tz

    return local_tz()


def _zone_label(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def _warn(message: str) -> None:
    print(f"lmconsole: warning: {message}", file=sys.stderr)


def _error(message: str) -> None:
    print(f"lmconsole: error: {message}", file=sys.stderr)
