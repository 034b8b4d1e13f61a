"""The simulated RLM server as the core sees it (lmconsole.adapter.Simulator), and the
transport onto it: rlmutil and rlmremove command lines, and the report log followed."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from lmconsole.adapters.flexlm.sim.clock import ManualClock, ScaledClock
from lmconsole.adapters.flexlm.sim.scenario import Scenario
from lmconsole.adapters.flexlm.sim.transport import SimulatorTransport
from lmconsole.transport import CommandResult

from .licence import parse_rlm_licence
from .server import RlmServer, load_rlm_scenario

LICENCE_FILE = "license.lic"


class RlmSimulator:
    default_scenario = "studio"

    def scenario(self, name: str) -> Scenario:
        return load_rlm_scenario(name)

    def start(self, scenario: Scenario, *, seed: int, at: datetime, speed: float | None,
              licence_path: Path | None = None) -> RlmServer:
        clock = ManualClock.at(at) if speed is None else ScaledClock.at(at, speed)
        return RlmServer.from_scenario(scenario, seed=seed, clock=clock,
                                       licence_path=licence_path)

    def copy_files(self, scenario: Scenario, directory: Path) -> Path:
        """The licence file as `directory`/license.lic, its ISV lines naming copies of the
        options files beside it (ISV.opt), dates moved with the scenario."""
        licence_text = scenario.licence_text()
        for isv in parse_rlm_licence(licence_text).vendors:
            if isv.options is None:
                continue
            target = directory / f"{isv.name}.opt"
            target.write_text(scenario.file_text(isv.options), encoding="utf-8")
            licence_text = licence_text.replace(f"options={isv.options}", f'options="{target}"')
        (directory / LICENCE_FILE).write_text(licence_text, encoding="utf-8")
        return directory / LICENCE_FILE

    def transport(self, server: RlmServer, *, log_path: str | None = None,
                  follow_poll_s: float = 0.1) -> RlmSimulatorTransport:
        return RlmSimulatorTransport(server, follow_poll_s=follow_poll_s, log_path=log_path)

    def denial_lines(self, server: RlmServer) -> list[str]:
        return server.log.denial_lines()


class RlmSimulatorTransport(SimulatorTransport):
    """The FlexLM simulator's transport, running rlmutil and rlmremove (a program of its
    own) and opening a follow of the report log with the TIMESTAMP record that dates it."""

    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        if posixpath.basename(argv[0]).startswith("rlm"):
            return CommandResult(*self.server.rlmutil(list(argv)))
        return await super().run(argv, timeout=timeout)

    def dating_line(self) -> str:
        return f"TIMESTAMP {self.server.local(self.server.now_s):%m/%d/%Y %H:%M}"
