"""`python -m lmconsole.adapters.lmx.sim`: create and drive LM-X simulation directories.

    init DIR [--scenario NAME] [--seed N] [--speed X] [--start now|ISO]
    advance DIR SECONDS   move the simulated clock on (for a clock stopped with --speed 0)
"""

from __future__ import annotations

import sys

from ...sim_directory_cli import simulation_main
from .scenario import load_scenario, scenario_names
from .statedir import advance_lmx_state_dir, create_lmx_state_dir


def main(argv: list[str] | None = None) -> int:
    return simulation_main(argv, package="lmconsole.adapters.lmx.sim", manager="LM-X",
                           default_scenario="cae", scenarios=scenario_names(),
                           zone_of=lambda name: load_scenario(name).zone,
                           create=create_lmx_state_dir, advance=advance_lmx_state_dir,
                           try_command="lmconsole-sim-lmxendutil -licstat")


if __name__ == "__main__":
    sys.exit(main())
