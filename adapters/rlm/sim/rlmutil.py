"""`lmconsole-sim-rlmutil`: the simulated RLM server as an executable rlmutil.

    LMCONSOLE_SIM_DIR=DIR lmconsole-sim-rlmutil rlmstat -a -c 5053@studio-lic02
    lmconsole-sim-rlmutil --sim-dir DIR rlmremove -q studio-lic02 4101 foundry 1a3
    lmconsole-sim-rlmutil --sim-dir DIR rlmreread foundry

Each run loads the state directory (statedir.py), moves the simulated clock to now, runs
the command, appends the new report-log records and saves the state. Installed or linked
under the name of an RLM tool (rlmstat, rlmreread, rlmremove), it runs that tool.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lmconsole.adapters.flexlm.sim.lmutil import requester, sim_dir_of
from lmconsole.adapters.flexlm.sim.server import SimulationError

from .commands import TOOLS
from .statedir import INIT_COMMAND, open_rlm_state_dir

PROGRAM = "lmconsole-sim-rlmutil"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    program = Path(sys.argv[0]).name
    if argv is None and program in TOOLS:
        args.insert(0, program)
    sim_dir, args = sim_dir_of(args)
    if not sim_dir:
        print(f"{PROGRAM}: no simulation given: set LMCONSOLE_SIM_DIR or pass --sim-dir DIR "
              f"before the command (create one with: {INIT_COMMAND} init DIR)", file=sys.stderr)
        return 1
    try:
        with open_rlm_state_dir(sim_dir, requester=requester()) as server:
            code, out, err = server.rlmutil(["rlmutil", *args])
    except SimulationError as exc:
        print(f"{PROGRAM}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


if __name__ == "__main__":
    sys.exit(main())
