"""A simulated Sentinel RMS licence server: a seeded workload of people holding its
features' tokens (adapters/seat_sim), a commuter token taken out before the clock starts,
`lsmon HOST` in the real layout and the usage log in the documented one.

    simulator = RmsSimulator()
    server = simulator.start(simulator.scenario("studio"), seed=1, at=moment, speed=None)
    server.advance(3600)                        # an hour of simulated work
    code, out, err = server.command(["lsmon", "rms1"])
    server.log_lines                            # the usage log written so far
"""

from .server import RmsServer
from .service import RmsSimulator

__all__ = ["RmsServer", "RmsSimulator"]
