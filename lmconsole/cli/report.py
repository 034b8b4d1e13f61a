"""`lmconsole report NAME`: the reports on the history, for people (a table with its
header: period, rules, gaps) and scripts (JSON, CSV). No Textual here."""

from __future__ import annotations

import argparse
import math
import sys
import time

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_OK

from .common import zone
from .database import configuration, database_option, open_store, run_on_store
from .history import period

# lmconsole.reports.REPORTS and lmconsole.reports.clock.PERS, without importing them
REPORT_NAMES = ("utilisation", "denials", "concurrency", "efficiency", "heatmap",
                "reservations", "borrowing", "users", "forecast", "groups", "projects")
PERS = ("hour", "day", "week", "month")
USERS_PER = ("user", "host")
GROUP_COUNTS = ("split", "primary")  # lmconsole.reports.groups.COUNTS
DEFAULT_DAYS = 30


def add_parser(commands) -> None:
    report = commands.add_parser(
        "report", parents=[database_option()], help="reports on the history",
        description="A report on the history: utilisation (per feature: issued, peak, "
                    "average, p95, time at 100%, denials, seats never used, idle "
                    "reservations); denials (by feature, user, host, reason or hour; the "
                    "true ones apart); concurrency (per feature and hour, day, week or "
                    "month: the most, average and least seats in use); efficiency (per "
                    "feature: the time at each number of seats in use, and the seats that "
                    "cover 95% and 99% of it); heatmap (per feature, weekday and hour: the "
                    "average and peak seats in use); reservations (seat-hours held idle, and "
                    "the denials of others meanwhile); borrowing (borrowed seats, and their "
                    "users' floating seats elsewhere meanwhile); users (per user or host: "
                    "sessions, hours, features, last use, seats held long; or the distinct "
                    "users per day or month); forecast (the seats needed a horizon ahead "
                    "from the daily peaks, their trend and a yearly growth; priced with "
                    "[prices] in the configuration); groups (per directory group, as "
                    "`lmconsole directory sync` recorded them: users, sessions, hours, "
                    "seat-hours and denials, nested groups rolled up); projects (per project: "
                    "the log's LM_PROJECT, else the [[projects]] rules of the configuration: "
                    "users, sessions, hours, seat-hours and denials). Every report takes "
                    "--group: its members only, as of each time.")
    report.add_argument("name", choices=REPORT_NAMES, metavar="NAME",
                        help=f"one of {', '.join(REPORT_NAMES)}")
    report.add_argument("--from", dest="start", metavar="TIME",
                        help=f"from this date or time (default: {DEFAULT_DAYS} days before "
                             "--to)")
    report.add_argument("--to", dest="end", metavar="TIME",
                        help="until this time; a date alone: to the end of that day "
                             "(default: now)")
    report.add_argument("--server", metavar="NAME", action="append",
                        help="this server only (repeatable)")
    report.add_argument("--feature", metavar="NAME", action="append",
                        help="this feature only (repeatable)")
    report.add_argument("--user", metavar="NAME", action="append",
                        help="this user only (repeatable; denials, borrowing, users; "
                             "reservations: the denied)")
    report.add_argument("--by", choices=("feature", "user", "host", "reason", "hour"),
                        default="feature", help="denials: the grouping (default feature)")
    report.add_argument("--window", metavar="SECONDS", type=int,
                        help="denials: a denial followed by a checkout of the same user "
                             "and feature, or by another denial, within this is not "
                             "true (default: [true_denial] window_s, else 10)")
    report.add_argument("--per", choices=PERS + USERS_PER,
                        help="concurrency: the bucket, on the --tz clock (hour, day, week "
                             "from Monday, month; default day); users: a row per user, or "
                             "per user and host (default user)")
    report.add_argument("--long", metavar="HOURS", type=float, default=8,
                        help="users: count the sessions held longer than this (default 8)")
    report.add_argument("--distinct", choices=("day", "month"),
                        help="users: instead, the distinct users per day or month")
    report.add_argument("--growth", metavar="PERCENT", type=float, default=20.0,
                        help="forecast: the growth a year (default 20)")
    report.add_argument("--percentile", metavar="P", type=int, default=95,
                        help="forecast: of the daily peaks to grow (default 95)")
    report.add_argument("--horizon", metavar="DAYS", type=int, default=365,
                        help="forecast: how far ahead (default 365)")
    report.add_argument("--group", metavar="NAME", action="append",
                        help="the members of this directory group only, as of each time, "
                             "nested groups included (repeatable: of any of them); groups: "
                             "the groups to show, in the primary-group order (default: "
                             "every group)")
    report.add_argument("--count", choices=GROUP_COUNTS,
                        help="groups: a user in several groups is split equally among them, "
                             "or counted under the first (default: [groups] count, else "
                             "split)")
    report.add_argument("--directory", metavar="NAME",
                        help="the groups of this directory (default: of any)")
    report.add_argument("--format", choices=("table", "json", "csv"), default="table")
    report.add_argument("--tz", metavar="ZONE",
                        help="the zone of the table's times, of --from/--to and of the "
                             "hours (default: display_timezone, else this machine's)")
    report.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_on_store(report, args)


async def report(args: argparse.Namespace) -> int:
    from lmconsole.reports import REPORTS
    from lmconsole.reports.base import Question, ReportError
    from lmconsole.reports.output import as_json, as_table, write_csv

    config = configuration(args)
    tz = zone(args.tz, "--tz") if args.tz else config.display_tz
    start, end = period(args, tz)
    end = int(time.time()) if end is None else end
    start = end - DEFAULT_DAYS * 86_400 if start is None else start
    if end <= start:
        raise InputError(f"--from {args.start} is not before now")
    members_of = () if args.name == "groups" else tuple(args.group or ())
    question = Question(start, end, tz, tuple(args.server or ()), tuple(args.feature or ()),
                        tuple(args.user or ()), members_of, args.directory)
    if args.window is None:
        args.window = config.true_denial_window_s
    chosen = options(args)
    if args.name == "forecast":
        chosen.update(prices=dict(config.prices), currency=config.currency)
    if args.name == "projects":
        chosen.update(rules=config.projects)
    if args.name == "groups":
        chosen.update(chosen=tuple(args.group or config.primary_groups),
                      count=args.count or config.group_count, directory=args.directory)
    store = await open_store(args, config, reading=True)
    try:
        result = await REPORTS[args.name](store, question, **chosen)
    except ReportError as error:
        raise InputError(str(error)) from None
    finally:
        await store.close()
    if args.format == "json":
        sys.stdout.write(as_json(result))
    elif args.format == "csv":
        write_csv(sys.stdout, result)
    else:
        sys.stdout.write(as_table(result, tz))
    return EXIT_OK


def options(args: argparse.Namespace) -> dict:
    """The options of the report asked for, checked."""
    if args.window < 0:
        raise InputError(f"--window {args.window}: a number of seconds, 0 or more")
    if not 0 < args.long < math.inf:
        raise InputError(f"--long {args.long:g}: a number of hours, more than 0")
    if args.name == "denials":
        return {"by": args.by, "window_s": args.window}
    if args.name == "concurrency":
        return {"per": _per(args, PERS, "day")}
    if args.name == "forecast":
        if not (0 < args.percentile <= 100 and args.horizon >= 0 and args.growth > -100
                and math.isfinite(args.growth)):
            raise InputError("forecast: --percentile 1 to 100, --horizon 0 days or more, "
                             "--growth more than -100")
        return {"growth_pct": args.growth, "percentile_of": args.percentile,
                "horizon_days": args.horizon}
    if args.name == "users":
        per = _per(args, USERS_PER, "user")
        if args.distinct and per != "user":
            raise InputError("--distinct counts users: it does not go with --per host")
        return {"per": per, "long_s": round(args.long * 3600), "distinct": args.distinct}
    return {}


def _per(args: argparse.Namespace, allowed: tuple[str, ...], default: str) -> str:
    if args.per is None:
        return default
    if args.per not in allowed:
        raise InputError(f"{args.name} --per {args.per}: one of {', '.join(allowed)}")
    return args.per
    return {}
