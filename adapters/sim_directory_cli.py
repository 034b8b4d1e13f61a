"""The command line of a simulator kept in a directory (`python -m
lmconsole.adapters.rlm.sim`, `... lmx.sim`): `init` a directory from a scenario, `advance`
its clock. The FlexLM simulator's has more commands of its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path

from lmconsole.adapters.flexlm.sim.__main__ import start_time
from lmconsole.adapters.flexlm.sim.server import SimulationError


def simulation_main(argv: list[str] | None, *, package: str, manager: str,
                    default_scenario: str, scenarios: Sequence[str],
                    zone_of: Callable[[str], tzinfo],
                    create: Callable[..., Path], advance: Callable[[str, float], None],
                    try_command: str) -> int:
    """Run `init` or `advance`. `zone_of(scenario)` dates a --start given without a zone;
    `create(directory, scenario, seed=, speed=, start=)` makes the directory; `try_command`
    is what the user is told to run on it."""
    parser = argparse.ArgumentParser(prog=f"python -m {package}",
                                     description=f"The simulated {manager} licence server.")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create a simulation directory from a scenario")
    init.add_argument("directory")
    init.add_argument("--scenario", default=default_scenario, choices=scenarios)
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--speed", type=float, default=60.0,
                      help="simulated seconds per real second (0 stops the clock)")
    init.add_argument("--start", type=start_time, metavar="now|YYYY-MM-DDTHH:MM",
                      help="when the simulated clock starts (default: the scenario's own)")
    step = commands.add_parser("advance", help="move the simulated clock on")
    step.add_argument("directory")
    step.add_argument("seconds", type=float)
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            start: datetime | None = args.start
            if start is not None and start.tzinfo is None:
                start = start.replace(tzinfo=zone_of(args.scenario))
            path = create(args.directory, args.scenario, seed=args.seed, speed=args.speed,
                          start=start)
            print(f"Created {path}: scenario {args.scenario}, seed {args.seed}, "
                  f"speed {args.speed:g}x.\nTry: LMCONSOLE_SIM_DIR={path} {try_command}")
        else:
            advance(args.directory, args.seconds)
    except SimulationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
