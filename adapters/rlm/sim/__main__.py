"""`python -m lmconsole.adapters.rlm.sim`: create and drive RLM simulation directories.

    init DIR [--scenario NAME] [--seed N] [--speed X] [--start now|ISO]
    advance DIR SECONDS   move the simulated clock on (for a clock stopped with --speed 0)
"""

from __future__ import annotations

import sys

from ...sim_directory_cli import simulation_main
from .server import SCENARIO_DIR, load_rlm_scenario
from .statedir import advance_rlm_state_dir, create_rlm_state_dir


def main(argv: list[str] | None = None) -> int:
    return simulation_main(argv, package="lmconsole.adapters.rlm.sim", manager="RLM",
                           default_scenario="studio",
                           scenarios=sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")),
                           zone_of=lambda name: load_rlm_scenario(name).zone,
                           create=create_rlm_state_dir, advance=advance_rlm_state_dir,
                           try_command="lmconsole-sim-rlmutil rlmstat -a")


if __name__ == "__main__":
    sys.exit(main())
