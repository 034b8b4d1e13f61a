"""`lmconsole import FILE... --server NAME`: old debug logs into the history (see
lmconsole.history.importer). No Textual here."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from lmconsole.snapshot import EXIT_INPUT, EXIT_OK

from .common import PROG, local_zone, zone
from .database import configuration, database_option, open_store, run_on_store

DIAGNOSTICS_SHOWN = 20


def add_parser(commands) -> None:
    importing = commands.add_parser(
        "import", parents=[database_option()], help="import old debug logs into the history",
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
                                "configured server's, else the one its history was read "
                                "in, else this machine's)")
    importing.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_on_store(import_logs, args)


async def import_logs(args: argparse.Namespace) -> int:
    import asyncio

    from lmconsole.adapters import ADAPTERS
    from lmconsole.history.importer import Importer

    config = configuration(args)
    configured = next((s for s in config.servers if s.name == args.server), None)
    manager = configured.manager if configured else "flexlm"
    if args.server_tz:
        tz, time_zone = zone(args.server_tz, "--server-tz"), args.server_tz
    elif configured is not None:
        tz, time_zone = configured.tz, configured.timezone
    else:
        tz = time_zone = None
    store = await open_store(args, config)
    try:
        if tz is None:  # the zone its history was read in, if it has one
            time_zone = await store.server_time_zone(args.server)
            tz = zone(time_zone, "the history's zone of the server") or local_zone()
        with _progress_bar(args.files) as progress:
            importer = Importer(store, ADAPTERS[manager], server=args.server, tz=tz,
                                time_zone=time_zone, now=datetime.now(UTC), progress=progress)
            try:
                summary = await importer.run(args.files)
            except asyncio.CancelledError:  # Ctrl-C
                error("interrupted: the rows written so far are kept; until the same files are "
                      "imported again (which writes no row twice), their hours and days are "
                      "not all counted")
                raise
    finally:
        await store.close()
    sys.stdout.write(summary_text(summary, tz))
    for file, diagnostic in summary.diagnostics[:DIAGNOSTICS_SHOWN]:
        text = f": {diagnostic.text.strip()[:120]}" if diagnostic.text.strip() else ""
        warn(f"{file}:{diagnostic.line}: {diagnostic.message}{text}")
    if len(summary.diagnostics) > DIAGNOSTICS_SHOWN:
        warn(f"{len(summary.diagnostics) - DIAGNOSTICS_SHOWN} more lines not understood")
    for refusal in summary.refused:
        error(refusal)
    return EXIT_INPUT if summary.refused else EXIT_OK


def summary_text(summary, tz: tzinfo) -> str:
    new = "" if summary.new_events is None else f" ({summary.new_events:,} new)"
    span = "-" if summary.first_at is None else (
        f"{summary.first_at.astimezone(tz):%Y-%m-%d %H:%M:%S} .. "
        f"{summary.last_at.astimezone(tz):%Y-%m-%d %H:%M:%S} {zone_label(tz)}")
    lines = [f"files        {summary.files:,}",
             f"lines        {summary.lines:,}",
             f"events       {summary.events:,}{new}",
             f"sessions     {summary.sessions:,} ({summary.still_open:,} still open)",
             f"denials      {summary.denials:,}",
             f"in use       {summary.minutes:,} feature-minutes with seats in use",
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


def zone_label(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)
