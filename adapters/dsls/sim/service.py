"""The simulated DS License Server as the core sees it (lmconsole.adapter.Simulator): the
demo, servers configured with manager = "dsls" and transport = "sim", and the tests reach it
here."""

from __future__ import annotations

from ...seat_sim.service import SeatSimulator
from ...seat_sim.workload import SeatScenario
from .scenario import load_scenario
from .server import DslsServer


class DslsSimulator(SeatSimulator):
    server_class = DslsServer
    # DSLS reads no licence file: its licences are enrolled in it (signed by Dassault
    # Systèmes); the simulation's directory holds a note of them
    licence_file = "enrolled-licences.txt"
    licence_heading = "the licences enrolled in the simulated DSLS server"

    def scenario(self, name: str) -> SeatScenario:
        return load_scenario(name)

    def denial_lines(self, server: DslsServer) -> list[str]:
        """None: lmconsole reads no DSLS log, so the simulator writes none."""
        return []
