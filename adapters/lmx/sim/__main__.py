"""`python -m lmconsole.adapters.lmx.sim`: create and drive LM-X simulation directories.

    init DIR [--scenario NAME] [--seed N] [--speed X] [--start now|ISO]
    advance DIR SECONDS   move the simulated clock on (for a clock stopped with --speed 0)
"""

from __future__ import annotations

import argparse
import sys

from lmconsole.adapters.flexlm.sim.__main__ import start_time
from lmconsole.adapters.flexlm.sim.server import SimulationError

from .scenario import load_scenario, scenario_names
from .statedir import advance_lmx_state_dir, create_lmx_state_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lmconsole.adapters.lmx.sim",
                                     description="The simulated LM-X licence server.")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create a simulation directory from a scenario")
    init.add_argument("directory")
    init.add_argument("--scenario", default="cae", choices=scenario_names())
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--speed", type=float, default=60.0,
                      help="simulated seconds per real second (0 stops the clock)")
    init.add_argument("--start", type=start_time, metavar="now|YYYY-MM-DDTHH:MM",
                      help="when the simulated clock starts (default: the scenario's own)")
    advance = commands.add_parser("advance", help="move the simulated clock on")
    advance.add_argument("directory")
    advance.add_argument("seconds", type=float)
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            start = args.start
            if start is not None and start.tzinfo is None:
                start = start.replace(tzinfo=load_scenario(args.scenario).zone)
            path = create_lmx_state_dir(args.directory, args.scenario, seed=args.seed,
                                        speed=args.speed, start=start)
            print(f"Created {path}: scenario {args.scenario}, seed {args.seed}, "
                  f"speed {args.speed:g}x.\nTry: LMCONSOLE_SIM_DIR={path} "
                  f"lmconsole-sim-lmxendutil -licstat")
        else:
            advance_lmx_state_dir(args.directory, args.seconds)
    except SimulationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
