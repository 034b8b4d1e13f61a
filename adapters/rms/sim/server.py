"""A simulated Sentinel RMS licence server: the seat workload (adapters/seat_sim), `lsmon`
in the real layout, and its usage log in the documented one (adapters/rms/usagelog.py reads
it): a Startup line, then a line per transaction, each with the server's local time and the
same moment in seconds since the epoch.

The log's checksum fields (the base64 words at the end of each line, which lsusage checks
at encryption level 2) cannot be computed here: they are stand-ins of the same form.
"""

from __future__ import annotations

import base64
import posixpath
from datetime import tzinfo

from lmconsole.adapters.flexlm.sim.debuglog import hash_text
from lmconsole.model import ServerStatus

from ...seat_sim.workload import DENIED, IN, OUT, SeatServer, Session
from .lsmon_text import ctime, lsmon_text

SERVER_VERSION = "9.1.0"
# The usage log's transaction types (usagelog.py): issued, denied, released, and a commuter
# licence checked out and in.
_TRANS = {(OUT, False): "0", (DENIED, False): "1", (IN, False): "2", (OUT, True): "8",
          (IN, True): "9"}


class RmsServer(SeatServer):
    def __init__(self, scenario, *, seed, clock) -> None:
        self.log_lines: list[str] = []
        started = int(scenario.server_started.timestamp())
        self.log_lines.append(
            f"# Startup Sentinel RMS Development Kit v{SERVER_VERSION} "
            f"{ctime(scenario.server_started)}  {started} lserv 140 "
            f"{hash_text(scenario.host) % 2**32}")
        super().__init__(scenario, seed=seed, clock=clock)

    def command(self, argv: list[str]) -> tuple[int, str, str] | None:
        """`lsmon [HOST]`, also as `env LSPORT=N lsmon HOST`: the status, contacted as HOST.
        None for a program the server does not know."""
        if argv[:1] == ["env"]:
            argv = [word for word in argv[1:] if "=" not in word]
        if not argv or posixpath.basename(argv[0]).removesuffix(".exe") != "lsmon":
            return None
        self.sync()
        host = argv[1] if len(argv) > 1 else self.scenario.host
        return 0, lsmon_text(self, host), ""

    def status(self, tz: tzinfo | None = None, name: str | None = None) -> ServerStatus:
        """The model a correct parser makes of `lsmon` now, read in zone `tz`."""
        from .status import rms_status

        self.sync()
        return rms_status(self, self.scenario.host, tz or self.scenario.zone, name)

    def record(self, moment: int, kind: str, session: Session) -> None:
        feature = session.feature
        in_use = self.seats_used(feature)  # after the transaction (a session ended is gone)
        held = session.end_s - session.start_s if kind == IN else 0
        trans = _TRANS[kind, session.offline]
        number = len(self.log_lines)
        check = hash_text(f"{number}/{moment}/{session.number}")
        self.log_lines.append(
            f"2 0 {_b64(number)} {ctime(self.local(moment))}  {moment} {feature.name} "
            f"{feature.version} {trans} {in_use} {held} {session.user} {session.host} "
            f"{SERVER_VERSION} {session.count} - {_b64(in_use)} {check % 10**6} "
            f"{_b64(check % 10**9)}")


def _b64(number: int) -> str:
    return base64.b64encode(str(number).encode()).decode()
