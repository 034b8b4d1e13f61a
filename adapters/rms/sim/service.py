"""The simulated Sentinel RMS server as the core sees it (lmconsole.adapter.Simulator): the
demo, servers configured with manager = "rms" and transport = "sim", and the tests reach it
here."""

from __future__ import annotations

from ...seat_sim.service import SeatSimulator
from ...seat_sim.workload import SeatScenario
from .scenario import load_scenario
from .server import RmsServer


class RmsSimulator(SeatSimulator):
    server_class = RmsServer
    licence_file = "lservrc"
    licence_heading = "the simulated Sentinel RMS server's licences"

    def scenario(self, name: str) -> SeatScenario:
        return load_scenario(name)

    def denial_lines(self, server: RmsServer) -> list[str]:
        server.sync()
        return [line for line in server.log_lines if _trans(line) == "1"]


def _trans(line: str) -> str | None:
    """The transaction type of a usage log entry (the field after Feature and Ver)."""
    words = line.split()
    return words[11] if len(words) > 11 and not line.startswith("#") else None
