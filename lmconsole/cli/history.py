"""`lmconsole history sessions|denials|events|audit|info`: what the history holds, for people
(table) and scripts (JSON, CSV). No Textual here."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta, tzinfo

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_OK

from .common import zone
from .database import configuration, database_option, open_store, run_on_store


def add_parser(commands) -> None:
    history = commands.add_parser("history", help="list what the history holds")
    lists = history.add_subparsers(dest="history_command", metavar="WHAT", required=True)
    for name, what in (("sessions", "checkout sessions that overlap the period"),
                       ("denials", "denials (DENIED and UNSUPPORTED) in the period"),
                       ("events", "debug-log events in the period"),
                       ("audit", "admin actions in the period (the audit log's copy)")):
        listing = lists.add_parser(name, parents=[database_option()], help=what,
                                   description=f"List the {what}.")
        listing.add_argument("--from", dest="start", metavar="TIME",
                             help="from this date or time (ISO 8601, in --tz without an "
                                  "offset)")
        listing.add_argument("--to", dest="end", metavar="TIME",
                             help="until this time; a date alone: to the end of that day")
        listing.add_argument("--server", metavar="NAME", action="append",
                             help="this server only (repeatable)")
        if name != "audit":
            listing.add_argument("--feature", metavar="NAME")
        listing.add_argument("--user", metavar="NAME",
                             help="who did it" if name == "audit" else None)
        listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
        listing.add_argument("--tz", metavar="ZONE",
                             help="the zone of table times and of --from/--to (default: "
                                  "display_timezone, else this machine's)")
    info = lists.add_parser("info", parents=[database_option()],
                            help="the database: size, span, row counts and gaps")
    info.add_argument("--format", choices=("table", "json"), default="table")
    info.add_argument("--tz", metavar="ZONE", help="the zone times are shown in")
    history.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_on_store(history, args)


async def history(args: argparse.Namespace) -> int:
    from lmconsole.config import retention_text
    from lmconsole.history import listing

    config = configuration(args)
    tz = zone(args.tz, "--tz") if args.tz else config.display_tz
    if args.history_command == "info":  # it names the database, made if new
        store = await open_store(args, config)
        try:
            facts = await listing.info(store, {level: retention_text(seconds)
                                                for level, seconds in config.retention})
        finally:
            await store.close()
        if args.format == "json":
            sys.stdout.write(json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(listing.info_text(facts, tz))
        return EXIT_OK
    start, end = period(args, tz)
    wanted = listing.Filter(start, end, tuple(args.server or ()),
                            getattr(args, "feature", None), args.user)
    store = await open_store(args, config, reading=True)
    try:
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
                raise InputError(str(error)) from None
        return EXIT_OK
    finally:
        await store.close()


def period(args: argparse.Namespace, tz: tzinfo) -> tuple[int | None, int | None]:
    """--from and --to as epoch seconds (None where not given); --to after --from."""
    start = parse_time(args.start, tz, "--from") if args.start else None
    end = parse_time(args.end, tz, "--to", end_of_day=True) if args.end else None
    if start is not None and end is not None and end <= start:
        raise InputError(f"--to {args.end} is not after --from {args.start}")
    return start, end


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
        raise InputError(f"{option} {text!r}: expected a date or time such as 2026-03-01 or "
                         f"2026-03-01T08:00") from None
    return int(moment.timestamp())
