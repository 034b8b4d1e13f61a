"""A simulated DS License Server (DSLS): a seeded workload of people holding its features'
seats and tokens (adapters/seat_sim), a licence held offline until a date, and the License
Administration Tool's `getLicenseUsage -all -csv` in the real layout.

    simulator = DslsSimulator()
    server = simulator.start(simulator.scenario("studio"), seed=1, at=moment, speed=None)
    server.advance(3600)
    code, out, err = server.command(["DSLicSrv", "-admin", "-run",
                                     "connect dsls1 4085; getLicenseUsage -all -csv; quit"])
"""

from .server import DslsServer
from .service import DslsSimulator

__all__ = ["DslsServer", "DslsSimulator"]
