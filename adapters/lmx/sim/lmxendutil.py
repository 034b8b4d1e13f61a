"""`lmconsole-sim-lmxendutil`: the simulated LM-X server as an executable lmxendutil.

    LMCONSOLE_SIM_DIR=DIR lmconsole-sim-lmxendutil -licstatxml -host lmx1.cae.example -port 6200
    lmconsole-sim-lmxendutil --sim-dir DIR -licstat

Each run loads the state directory (statedir.py), moves the simulated clock to now, answers
and appends the server's new log lines, and saves the state.
"""

from __future__ import annotations

import sys

from lmconsole.adapters.flexlm.sim.lmutil import sim_dir_of
from lmconsole.adapters.flexlm.sim.server import SimulationError

from .statedir import INIT_COMMAND, open_lmx_state_dir

PROGRAM = "lmconsole-sim-lmxendutil"


def main(argv: list[str] | None = None) -> int:
    sim_dir, args = sim_dir_of(list(sys.argv[1:] if argv is None else argv))
    if not sim_dir:
        print(f"{PROGRAM}: no simulation given: set LMCONSOLE_SIM_DIR or pass --sim-dir DIR "
              f"before the options (create one with: {INIT_COMMAND} init DIR)", file=sys.stderr)
        return 1
    try:
        with open_lmx_state_dir(sim_dir) as server:
            code, out, err = server.lmxendutil(args)
    except SimulationError as exc:
        print(f"{PROGRAM}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


if __name__ == "__main__":
    sys.exit(main())
