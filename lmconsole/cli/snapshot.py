"""`lmconsole snapshot`: the current usage of licence servers, once, for scripts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from lmconsole.gc_pause import leave_to_exit
from lmconsole.snapshot import EXIT_INPUT

from .common import PROG, load_config, local_zone, zone

FORMAT_NAMES = ("table", "json", "csv", "prometheus")


def add_parser(commands) -> None:
    snapshot = commands.add_parser(
        "snapshot", help="print the current usage of licence servers once",
        description="Print the servers, vendor daemons, features and seats once, for "
                    "scripts. Exit 0 when every server answered, 3 when one did not, "
                    "2 on bad input (a truncated saved output is printed as far as it "
                    "goes, with a warning).")
    source = snapshot.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="the built-in simulated servers")
    source.add_argument("--from-file", metavar="PATH",
                        help="a saved status output of any licence manager lmconsole reads "
                             "(`lmutil lmstat -a`, `rlmutil rlmstat -a`, `lmxendutil -licstat`, "
                             "...; - for standard input; the manager is told from it)")
    source.add_argument("--server", metavar="NAME", action="append",
                        help="a configured server (repeatable; default: all of them)")
    snapshot.add_argument("--format", choices=FORMAT_NAMES, default="table")
    snapshot.add_argument("--seats", action="store_true",
                          help="table: list every seat; csv: one row per seat")
    snapshot.add_argument("--server-tz", metavar="ZONE",
                          help="--from-file: the licence server's time zone (default: local)")
    snapshot.add_argument("--tz", metavar="ZONE", help="show times in this zone (table)")
    snapshot.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lmconsole.output import FORMATS, compact_json_chunks
    from lmconsole.prometheus import prometheus_chunks
    from lmconsole.snapshot import (
        adapter_of_output,
        exit_code_of,
        read_input,
        snapshot_from_text,
        snapshot_of,
    )

    from .servers import server_queries

    display_tz = zone(args.tz, "--tz")
    now = datetime.now(UTC)
    truncated = None
    if args.from_file is not None:
        text, label = read_input(args.from_file)
        server_tz = zone(args.server_tz, "--server-tz") or local_zone()
        snapshot, truncated = snapshot_from_text(text, label, adapter_of_output(text, label),
                                                 name=None, tz=server_tz, now=now,
                                                 seats=shows_seats(args))
    elif args.demo:
        from lmconsole.demo import demo_snapshot

        snapshot = demo_snapshot(now)
    else:
        import asyncio  # only here: it costs `--from-file` a third of its start-up

        queries = server_queries(load_config(args), args.server)
        snapshot = asyncio.run(snapshot_of(queries, now))
    if args.format == "json" and not sys.stdout.isatty():  # compact for scripts, and faster
        write_utf8(compact_json_chunks(snapshot))
    elif args.format == "prometheus":  # the exposition format is UTF-8
        write_utf8(chunk.encode() for chunk in prometheus_chunks(snapshot))
    else:
        sys.stdout.write(render(FORMATS[args.format], snapshot, args, display_tz))
    warn_about_diagnostics(snapshot)
    leave_to_exit(snapshot)
    if truncated is not None:
        print(f"{PROG}: warning: {truncated}", file=sys.stderr)
        return EXIT_INPUT
    return exit_code_of(snapshot)


def shows_seats(args: argparse.Namespace) -> bool:
    """Whether the output has the seats, not only the features' rows."""
    return args.seats or args.format not in ("table", "csv")


def render(renderer, snapshot, args: argparse.Namespace, display_tz: tzinfo | None) -> str:
    if args.format == "table":
        return renderer(snapshot, seats=args.seats, tz=display_tz, width=terminal_width())
    if args.format == "csv":
        return renderer(snapshot, rows="seats" if args.seats else "features")
    return renderer(snapshot)  # JSON: indented, for a person at a terminal


def write_utf8(chunks: Iterable[bytes]) -> None:
    """Write UTF-8 text to standard output as it is, not decoded and encoded again."""
    binary = getattr(sys.stdout, "buffer", None)  # none when replaced by a StringIO
    if binary is None:
        sys.stdout.write(b"".join(chunks).decode())
        return
    sys.stdout.flush()  # what was written as text comes first
    binary.writelines(chunks)
    binary.flush()


def terminal_width() -> int | None:
    """The terminal's columns; None (no limit: nothing is cut) when output goes to a pipe or
    a file."""
    if not sys.stdout.isatty():
        return None
    import shutil  # here: a script's snapshot, written to a pipe, never needs it

    return shutil.get_terminal_size().columns


def warn_about_diagnostics(snapshot) -> None:
    for diagnostic in snapshot.diagnostics[:20]:
        where = f"{diagnostic.server}: " if diagnostic.server else ""
        print(f"{PROG}: warning: {where}line {diagnostic.line}: {diagnostic.message}: "
              f"{diagnostic.text.strip()[:120]}", file=sys.stderr)
    if len(snapshot.diagnostics) > 20:
        print(f"{PROG}: warning: {len(snapshot.diagnostics) - 20} more lines not understood",
              file=sys.stderr)
