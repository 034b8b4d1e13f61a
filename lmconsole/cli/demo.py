"""`lmconsole demo`: the console, or a plain usage table, on the built-in simulated servers."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from lmconsole.snapshot import EXIT_OK

from .common import local_zone


def add_parser(commands) -> None:
    demo = commands.add_parser("demo", help="watch the built-in simulated licence servers")
    demo.add_argument("--speed", type=positive_number, default=60.0,
                      help="simulated seconds per real second (default 60)")
    demo.add_argument("--duration", type=float, default=None,
                      help="--text: stop after this many real seconds (default: until Ctrl-C)")
    demo.add_argument("--text", action="store_true",
                      help="redraw a plain usage table instead of the full-screen console "
                           "(the default when standard output is not a terminal)")
    demo.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,
                      help="refuse every action that changes a server")
    demo.set_defaults(run=run)


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def run(args: argparse.Namespace) -> int:
    """The console on the simulated servers; the plain text demo with --text, or when
    standard output is not a terminal (a pipe, a test)."""
    if args.text or not sys.stdout.isatty():
        from lmconsole.demo import run_text_demo

        return run_text_demo(speed=args.speed, duration=args.duration, now=datetime.now(UTC))
    from lmconsole.app import demo_app
    from lmconsole.demo import HISTORY_DAYS

    demo_app(args.speed, now=datetime.now(UTC), read_only=args.read_only,
             display_tz=local_zone(), poll_interval_s=2.0, history_days=HISTORY_DAYS).run()
    return EXIT_OK
