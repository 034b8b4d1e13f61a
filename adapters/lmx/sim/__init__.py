"""A simulated LM-X licence server: a seeded workload of people checking features out and
in, seats shared as the licences say, denials when a feature is full, a borrowed seat, the
server's log, and `lmxendutil -licstat` / `-licstatxml` in the real layout.

    simulator = LmxSimulator()
    server = simulator.start(simulator.scenario("cae"), seed=1, at=moment, speed=None)
    server.advance(3600)                          # an hour of simulated work
    code, out, err = server.lmxendutil(["-licstat"])
    server.log_lines                              # the server's log written so far
"""

from .scenario import LmxScenario, load_scenario, scenario_names
from .server import LmxServer
from .service import LmxSimulator

__all__ = ["LmxScenario", "LmxServer", "LmxSimulator", "load_scenario", "scenario_names"]
