"""A simulated FlexLM licence server: lmgrd, vendor daemons that enforce their options
files, a seeded workload of users, a debug log and an lmutil-compatible command line.

In process:

    server = SimulatedServer.from_scenario("architecture", seed=1)
    server.advance(3600)                     # an hour of simulated work (manual clock)
    code, out, err = server.lmutil(["lmstat", "-a"])
    server.log.lines                         # the debug log written so far
    server.status(tz)                        # the domain model of the lmstat output

As an executable: `python -m lmconsole.adapters.flexlm.sim init DIR --scenario NAME`, then
`LMCONSOLE_SIM_DIR=DIR lmconsole-sim-lmutil lmstat -a`. Pure standard library.
"""

from .clock import ManualClock, ScaledClock
from .scenario import Scenario, load_scenario, scenario_names
from .server import SimulatedServer, SimulationError
from .statedir import advance_state_dir, create_state_dir, open_state_dir

__all__ = ["ManualClock", "ScaledClock", "Scenario", "SimulatedServer", "SimulationError",
           "advance_state_dir", "create_state_dir", "load_scenario", "open_state_dir",
           "scenario_names"]
