"""A simulated DS License Server: the seat workload (adapters/seat_sim) and the License
Administration Tool's command line (`DSLicSrv -admin -run "connect HOST PORT;
getLicenseUsage -all -csv; quit"`). DSLS's own logs are not read by lmconsole: it keeps
none here (`log_lines` stays empty)."""

from __future__ import annotations

import posixpath
from datetime import tzinfo

from lmconsole.model import ServerStatus

from ...seat_sim.workload import SeatServer
from .usage_text import cannot_connect, usage_text

USAGE = 'usage: DSLicSrv -admin -run "connect HOST PORT; getLicenseUsage -all -csv"\n'


class DslsServer(SeatServer):
    def __init__(self, scenario, *, seed, clock) -> None:
        self.log_lines: list[str] = []
        super().__init__(scenario, seed=seed, clock=clock)

    def command(self, argv: list[str]) -> tuple[int, str, str] | None:
        """The License Administration Tool run with a script: `connect HOST PORT` then
        `getLicenseUsage`. A port that is not the server's cannot be connected to. None for a
        program the server does not know."""
        if not argv or posixpath.basename(argv[0]).removesuffix(".exe") != "DSLicSrv":
            return None
        if argv[1:3] != ["-admin", "-run"] or len(argv) < 4:
            return 1, "", USAGE
        steps = [step.split() for step in argv[3].split(";")]
        connect = next((step for step in steps if step[:1] == ["connect"]), None)
        if connect is None or len(connect) != 3 or not any(
                step[:1] == ["getLicenseUsage"] for step in steps):
            return 1, "", USAGE
        self.sync()
        _connect, host, port = connect
        if port != str(self.scenario.port):
            return 0, cannot_connect(host, port), ""
        return 0, usage_text(self), ""

    def status(self, tz: tzinfo | None = None, name: str | None = None) -> ServerStatus:
        """The model a correct parser makes of getLicenseUsage now, read in zone `tz`."""
        from .status import dsls_status

        self.sync()
        return dsls_status(self, tz or self.scenario.zone, name)
