"""`python -m lmconsole.adapters.flexlm.sim`: create and drive simulation directories.

    init DIR [--scenario NAME] [--seed N] [--speed X] [--tz ZONE] [--start now|ISO]
    start DIR             start lmgrd again after an lmdown
    advance DIR SECONDS   move the simulated clock on (for a clock stopped with --speed 0)
    list                  the built-in scenarios
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from .scenario import load_scenario, scenario_names
from .server import SimulationError
from .statedir import advance_state_dir, create_state_dir, open_state_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lmconsole.adapters.flexlm.sim",
                                     description="The simulated FlexLM licence server.")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create a simulation directory from a scenario")
    init.add_argument("directory")
    init.add_argument("--scenario", default="architecture", choices=scenario_names())
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--speed", type=float, default=60.0,
                      help="simulated seconds per real second (0 stops the clock)")
    init.add_argument("--tz", help="the server's time zone (default: the scenario's)")
    init.add_argument("--start", type=start_time, metavar="now|YYYY-MM-DDTHH:MM",
                      help="when the simulated clock starts, the licence's dates moved with "
                           "it (a time without zone is the scenario's local time; default: "
                           "the scenario's own start)")
    start = commands.add_parser("start", help="start lmgrd again after an lmdown")
    start.add_argument("directory")
    advance = commands.add_parser("advance", help="move the simulated clock on")
    advance.add_argument("directory")
    advance.add_argument("seconds", type=float)
    commands.add_parser("list", help="list the built-in scenarios")
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            start = args.start
            if start is not None and start.tzinfo is None:
                start = start.replace(tzinfo=load_scenario(args.scenario).zone)
            path = create_state_dir(args.directory, args.scenario, seed=args.seed,
                                    speed=args.speed, tz=args.tz, start=start)
            print(f"Created {path}: scenario {args.scenario}, seed {args.seed}, "
                  f"speed {args.speed:g}x.\nTry: LMCONSOLE_SIM_DIR={path} "
                  f"lmconsole-sim-lmutil lmstat -a")
        elif args.command == "start":
            with open_state_dir(args.directory) as server:
                server.start()
        elif args.command == "advance":
            advance_state_dir(args.directory, args.seconds)
        else:
            for name in scenario_names():
                print(f"{name:14} {load_scenario(name).title}")
    except SimulationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def start_time(text: str) -> datetime:
    if text == "now":
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither 'now' nor a date and time "
                                         f"such as 2026-03-02T09:30") from None


if __name__ == "__main__":
    sys.exit(main())
