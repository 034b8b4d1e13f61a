"""The simulated RLM server: the rlm server and its ISV servers, their people on the FlexLM
simulator's timeline (clock, workload, catch-up), an RLM licence file and options files,
the report log of the ISV that keeps one, and an rlmutil command line.

    server = RlmServer.from_scenario(load_rlm_scenario("studio"), seed=1)
    server.advance(3600)
    server.rlmutil(["rlmutil", "rlmstat", "-a"])   # (exit, stdout, stderr)
    server.log.lines                                # the report log so far
"""

from __future__ import annotations

import tomllib
from datetime import datetime, tzinfo
from pathlib import Path

from lmconsole.adapters.flexlm.sim.debuglog import hash_text
from lmconsole.adapters.flexlm.sim.licfile import LicenceFile, VendorLine
from lmconsole.adapters.flexlm.sim.options import Options
from lmconsole.adapters.flexlm.sim.report import Identity
from lmconsole.adapters.flexlm.sim.scenario import Scenario, load_scenario
from lmconsole.adapters.flexlm.sim.server import SimulatedServer, SimulationError
from lmconsole.model import ServerStatus

from .isv import IsvServers, ReportLog
from .licence import parse_rlm_licence, parse_rlm_options, report_log_path

SCENARIO_DIR = Path(__file__).parent / "scenarios"
MIN_REMOVE_S = 120  # min_remove: rlmremove leaves younger checkouts alone


def load_rlm_scenario(name: str) -> Scenario:
    return load_scenario(name, SCENARIO_DIR)


class RlmServer(SimulatedServer):
    def __init__(self, scenario: Scenario | str, **kwargs) -> None:
        scenario = load_rlm_scenario(scenario) if isinstance(scenario, str) else scenario
        self.rlm_settings = _rlm_settings(scenario)
        super().__init__(scenario, **kwargs)
        self.log.isv = self.reporting_isv()
        self.started_s = self.now_s  # when the rlm server (and its ISVs) last started

    def _new_log(self) -> ReportLog:
        return ReportLog(self.zone)

    def _new_daemons(self, licence: LicenceFile, options: dict[str, Options]) -> IsvServers:
        fallback = frozenset(self.rlm_settings.get("fallback_hosts", ()))
        return IsvServers(licence, options, self.log, fallback_hosts=fallback)

    @staticmethod
    def named_scenario(name: str) -> Scenario:
        return load_rlm_scenario(name)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "started": self.started_s}

    @classmethod
    def from_dict(cls, data: dict, **kwargs) -> RlmServer:
        server = super().from_dict(data, **kwargs)
        server.started_s = data["started"]
        return server

    # -- the rlm server ---------------------------------------------------------------
    def start(self) -> None:
        if self.lmgrd_up:
            return
        t = self.now_s
        self.texts = self._read_texts()
        self._dropped(self.daemons.reload(*self._parse(self.texts)))
        self.lmgrd_up = True
        self.daemons.down.clear()
        self.started_s = t
        self.log.start(t, self.identity.master)
        for isv in self.daemons.licence.vendors:
            self._started(isv.name, t)

    def reporting_isv(self) -> str | None:
        """The first ISV whose options file names a report log."""
        return next((name for name, text in self.texts["options"].items()
                     if report_log_path(text)), None)

    def isv_port(self, isv: VendorLine) -> int:
        return isv.port or 40000 + hash_text(isv.name) % 20000

    def isv_of_port(self, port: int) -> VendorLine | None:
        return next((v for v in self.daemons.licence.vendors if self.isv_port(v) == port), None)

    # -- admin requests (what rlmutil and rlmremove ask for) --------------------------
    def reread(self, vendor: str | None = None) -> str | None:
        """rlmreread: the ISVs (or `vendor`) re-read the licence and options files. The
        error text when it cannot."""
        if not self.lmgrd_up:
            return "Error connecting to \"rlm\" server"
        if vendor is not None and self.daemons.licence.vendor(vendor) is None:
            return f"ISV {vendor} is not served by this rlm server"
        try:
            texts = self._read_texts()
            licence, options = self._parse(texts)
        except SimulationError as error:
            return str(error)
        if vendor is not None:
            texts["options"] = {**self.texts["options"], vendor: texts["options"].get(vendor, "")}
            options = self._parse(texts)[1]
        self.texts = texts
        self._dropped(self.daemons.reload(licence, options))
        for feature in self.daemons.licence.features():
            self._granted(self.daemons.serve_queue(self.now_s, feature))
        return None

    def remove_handle(self, host: str, port: int, isv: str, handle: int) -> str | None:
        """rlmremove: free the checkout `handle` of `isv` at host:port. The error text when
        it cannot."""
        if not self.lmgrd_up or host != self.identity.master:
            return f"Error connecting to \"{isv}\" server on {host} port {port}"
        served = self.isv_of_port(port)
        if served is None or served.name != isv:
            return f"Error connecting to \"{isv}\" server on {host} port {port}"
        seat = self.daemons.seat(handle)
        if seat is None or seat.vendor != isv:
            return f"Error removing license: handle {handle:x} not found"
        if self.now_s - seat.start < MIN_REMOVE_S:
            return (f"Error removing license: license held for less than min_remove "
                    f"({MIN_REMOVE_S} seconds)")
        self._granted(self.daemons.checkin(self.now_s, handle, "REMOVED"))
        return None

    def rlmutil(self, argv: list[str]) -> tuple[int, str, str]:
        """Run an rlmutil (or rlmremove) command line, the program's name first."""
        from .commands import run_rlmutil

        self.sync()
        return run_rlmutil(self, argv)

    def lmutil(self, argv: list[str], *, stdin: str = "") -> tuple[int, str, str]:
        return self.rlmutil(["rlmutil", *argv])

    # -- what rlmstat sees ------------------------------------------------------------
    def status(self, tz: tzinfo | None = None, name: str | None = None) -> ServerStatus:
        """The model a correct parser makes of `rlmstat -a` now, read in zone `tz`."""
        from .status import rlm_status

        self.sync()
        return rlm_status(self, tz or self.zone, name)

    # -- files ------------------------------------------------------------------------
    def _read_texts(self) -> dict:
        try:
            licence_text = self._read(self.licence_path)
        except OSError as exc:
            raise SimulationError(f"cannot read licence file {self.licence_path}: {exc}") from exc
        options = {}
        for isv in parse_rlm_licence(licence_text).vendors:
            path = self.options_path(isv)
            options[isv.name] = self._read(path) if path.is_file() else ""
        return {"licence": licence_text, "options": options}

    def _parse(self, texts: dict) -> tuple[LicenceFile, dict[str, Options]]:
        licence = parse_rlm_licence(texts["licence"])
        if not licence.servers or not licence.vendors:
            raise SimulationError(f"{self.licence_path}: an RLM licence file needs HOST and "
                                  f"ISV lines")
        return licence, {name: parse_rlm_options(text) for name, text in texts["options"].items()}

    def _identity(self, licence: LicenceFile) -> Identity:
        host = licence.servers[0]
        shown = (str(self.licence_path) if self.own_files
                 else self.scenario.shown_licence_path or str(self.licence_path))
        return Identity(((host.host, host.port),), host.host, shown)

    def local(self, t: int) -> datetime:
        return datetime.fromtimestamp(t, self.zone)


def _rlm_settings(scenario: Scenario) -> dict:
    """The scenario's `[rlm]` table: what only an RLM server has (fallback_hosts: clients
    whose licence path names a second server, so a denial here is not their last attempt)."""
    path = scenario.directory / f"{scenario.name}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")).get("rlm", {})
