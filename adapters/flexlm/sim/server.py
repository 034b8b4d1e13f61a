"""The simulated licence server: lmgrd, its vendor daemons and their users on one timeline.

Time only moves forward, and only when the clock is read (`sync`): events (people's
actions, TIMESTAMP lines) and the daemons' own deadlines (idle timeouts, borrow ends) are
then processed in time order up to that moment.
"""

from __future__ import annotations

import heapq
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from lmconsole.model import ServerStatus

from . import errors
from .clock import Clock, ManualClock, clock_from_dict, from_epoch, to_epoch
from .commands import run_lmutil
from .daemon import Outcome, Seat, VendorDaemons, Waiting
from .debuglog import DebugLog, hash_text, lmgrd_startup, vendor_startup
from .errors import FlexError
from .licfile import LicenceFile, VendorLine, parse_licence
from .options import Client, Options, parse_options
from .report import Identity, Report, build_report
from .scenario import Scenario, load_scenario, move_dates
from .status import report_status, unreachable_status
from .workload import DAY, Workload

TIMESTAMP_EVERY_S = 6 * 3600  # lmgrd's default -s interval: 360 minutes
MAX_CATCH_UP_S = 3 * DAY  # beyond this, a long-idle server skips whole quiet weeks
MIN_REMOVE_AGE_S = 120  # ls_min_lmremove: lmremove refuses younger connections


class SimulationError(Exception):
    """The scenario or state cannot be used (a user-facing message)."""


class SimulatedServer:
    def __init__(self, scenario: Scenario | str, *, seed: int = 0, clock: Clock | None = None,
                 tz: ZoneInfo | str | None = None, licence_path: Path | str | None = None,
                 workload: bool = True, requester: str | None = None,
                 texts: dict | None = None) -> None:
        """A server that has not started yet: use `start` (or `from_scenario`). `texts`
        are the licence and options files as the daemons last read them (saved state)."""
        self.scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
        self.seed = seed
        self.zone = ZoneInfo(tz) if isinstance(tz, str) else tz or self.scenario.zone
        self.clock = clock or ManualClock.at(self.scenario.start)
        self.own_files = licence_path is not None
        self.licence_path = Path(licence_path) if licence_path else self.scenario.licence_path
        self.log = self._new_log()
        self.now_s = to_epoch(self.scenario.server_started)
        self.events: list[list] = []
        self._seq = 0
        self.lmgrd_up = False
        self.runs: dict[str, int] = {}  # daemon -> how many times it was started
        self.texts = texts or self._read_texts()  # the files as last read (start, lmreread)
        licence, options = self._parse(self.texts)
        self.identity = self._identity(licence)
        self.requester = requester or f"lmadmin@{self.identity.master}"
        self.daemons = self._new_daemons(licence, options)
        self.workload = (Workload(list(self.scenario.people), self.scenario.profiles, seed,
                                  self.daemons, self.schedule) if workload else None)

    def _new_log(self) -> DebugLog:
        """The log the server writes (another manager's server writes its own kind)."""
        return DebugLog(self.zone)

    def _new_daemons(self, licence: LicenceFile, options: dict[str, Options]) -> VendorDaemons:
        return VendorDaemons(licence, options, self.log)

    @classmethod
    def from_scenario(cls, scenario: Scenario | str, **kwargs) -> SimulatedServer:
        """Start lmgrd at the scenario's start-up time and run up to the clock's now."""
        server = cls(scenario, **kwargs)
        server.start()
        if server.workload:
            server.workload.begin(server.now_s)
        server.sync()
        return server

    # -- time -------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return from_epoch(self.now_s).astimezone(self.zone)

    def sync(self) -> None:
        """Process everything up to the clock's now."""
        self.run_until(self.clock.now())

    def advance(self, seconds: float) -> None:
        """Move a manual clock on and catch up."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock")
        self.clock.advance(seconds)
        self.sync()

    def run_until(self, target: int) -> None:
        self._skip_quiet_weeks(target)
        while True:
            next_event = self.events[0][0] if self.events else None
            deadline = self.daemons.next_deadline()
            if deadline is not None and (next_event is None or deadline <= next_event):
                if deadline > target:
                    break
                # A deadline already past (an lmreread shortened a TIMEOUT) is met now.
                self.now_s = max(self.now_s, deadline)
                self._granted(self.daemons.sweep(self.now_s))
                continue
            if next_event is None or next_event > target:
                break
            t, _, kind, data = heapq.heappop(self.events)
            self.now_s = max(self.now_s, t)
            self._dispatch(t, kind, data)
        self.now_s = max(self.now_s, target)

    def schedule(self, t: int, kind: str, data: dict) -> None:
        self._seq += 1
        heapq.heappush(self.events, [t, self._seq, kind, data])

    def _dispatch(self, t: int, kind: str, data: dict) -> None:
        if kind == "timestamp":
            daemon = data["daemon"]
            if self.runs.get(daemon) == data["run"] and self._running(daemon):
                self.log.timestamp(t, daemon)
                self.schedule(t + TIMESTAMP_EVERY_S, "timestamp", data)
        elif self.workload is not None:
            self.workload.handle(t, kind, data)

    def _granted(self, seats: list[Seat]) -> None:
        if self.workload is not None:
            self.workload.granted(seats)

    def _dropped(self, requests: list[Waiting]) -> None:
        if self.workload is not None:
            self.workload.dropped(self.now_s, requests)

    def _skip_quiet_weeks(self, target: int) -> None:
        """A state left alone for weeks is moved on by whole weeks (so weekdays and hours
        keep their meaning) instead of replaying every day."""
        weeks = (target - self.now_s - MAX_CATCH_UP_S) // (7 * DAY)
        if weeks <= 0:
            return
        shift = int(weeks) * 7 * DAY
        self.now_s += shift
        for event in self.events:
            event[0] += shift
        for seat in self.daemons.seats:
            seat.start += shift
            seat.borrow_until = seat.borrow_until and seat.borrow_until + shift
            seat.idle_since = seat.idle_since and seat.idle_since + shift
        for waiting in self.daemons.queue:
            waiting.since += shift
        if self.workload is not None:
            self.workload.leave_at = {k: v + shift for k, v in self.workload.leave_at.items()}

    # -- lmgrd and the vendor daemons -------------------------------------------------
    def start(self) -> None:
        """Start lmgrd (and every vendor daemon) now, as `lmgrd -c licence` would."""
        if self.lmgrd_up:
            return
        t = self.now_s
        self.texts = self._read_texts()
        self._dropped(self.daemons.reload(*self._parse(self.texts)))
        self.lmgrd_up = True
        self.daemons.down.clear()
        ident = self.identity
        peers = [h for h, _ in ident.hosts if h != ident.master]
        for line in lmgrd_startup(self.log.local(t), host=ident.master, port=ident.master_port,
                                  licence_path=ident.licence_path, pid=self._pid("lmgrd"),
                                  peers=peers, master=ident.master):
            self.log.write(t, "lmgrd", line)
        self.log.write(t, "lmgrd", "Starting vendor daemons ... ")
        for vendor in self.daemons.licence.vendors:
            self._start_vendor(t, vendor, restarted=False)
        self._started("lmgrd", t)

    def _start_vendor(self, t: int, vendor: VendorLine, *, restarted: bool) -> None:
        port = vendor.port or 40000 + hash_text(vendor.name) % 20000
        pid = self._pid(vendor.name)
        if restarted:
            self.log.write(t, "lmgrd",
                           f"REStarted {vendor.name} (internet tcp_port {port} pid {pid})")
        else:
            self.log.write(t, "lmgrd", f"Started {vendor.name} (pid {pid})")
        for line in vendor_startup(self.identity.master, self._features_of(vendor.name),
                                   self.identity.licence_path):
            self.log.write(t, vendor.name, line)
        self.log.write(t, "lmgrd", f"{vendor.name} using TCP-port {port}")
        self._echo_options(t, vendor.name)
        self._started(vendor.name, t)

    def _started(self, daemon: str, t: int) -> None:
        self.runs[daemon] = self.runs.get(daemon, 0) + 1
        self.log.timestamp(t, daemon)
        offset = 0 if daemon == "lmgrd" else 300  # vendor TIMESTAMPs trail lmgrd's by 5 min
        self.schedule(t + TIMESTAMP_EVERY_S + offset, "timestamp",
                      {"daemon": daemon, "run": self.runs[daemon]})

    def _echo_options(self, t: int, vendor: str) -> None:
        """What a vendor daemon says about its options file when it reads it."""
        opts = self.daemons.options.get(vendor, Options())
        for rule in opts.rules:
            kind = "USER_GROUP" if rule.kind == "GROUP" else rule.kind
            if rule.keyword == "RESERVE":
                where = f"{rule.feature.name}/{self.identity.master}"
                self.log.write(t, vendor, f"RESERVING {rule.count} {where}  licenses for "
                                          f"{kind} {rule.name}")
            elif rule.keyword == "MAX":
                self.log.write(t, vendor, f"MAX {rule.count} {kind} {rule.name} for "
                                          f"{rule.feature.name}")
        for problem in opts.problems:
            self.log.write(t, vendor, f"Options file: {problem}")

    def _running(self, daemon: str) -> bool:
        return self.lmgrd_up and (daemon == "lmgrd" or daemon not in self.daemons.down)

    # -- admin requests (what lmutil asks for) ----------------------------------------
    def reread(self, vendor: str | None = None) -> FlexError | None:
        if not self.lmgrd_up:
            return errors.CANT_CONNECT
        if vendor is not None and self.daemons.licence.vendor(vendor) is None:
            return errors.VENDOR_DOWN
        if not self.licence_path.is_file():
            return errors.NO_LICENCE_FILE
        t = self.now_s
        try:
            texts = self._read_texts()
            licence, options = self._parse(texts)
        except SimulationError:
            return errors.BAD_LICENCE_FILE
        if vendor is not None:  # only that daemon rereads its options
            texts["options"] = {**self.texts["options"], vendor: texts["options"].get(vendor, "")}
            options = self._parse(texts)[1]
        self.texts = texts
        targets = [v for v in licence.vendors if vendor in (None, v.name)]
        self.log.write(t, "lmgrd", f"Rereading license file... Requested from {self.requester}")
        for v in targets:
            if v.name not in self.daemons.down:
                self.log.write(t, v.name, "Rereading license file...")
        self.log.write(t, "lmgrd", "Done rereading")
        self._dropped(self.daemons.reload(licence, options))
        for v in targets:
            if v.name in self.daemons.down:
                self.daemons.down.discard(v.name)
                self._start_vendor(t, v, restarted=True)
                continue
            for line in vendor_startup(self.identity.master, self._features_of(v.name),
                                       self.identity.licence_path)[1:]:
                self.log.write(t, v.name, line)
            for feature in self._features_of(v.name):
                self.log.write(t, v.name, f"Updating feature {feature}")
            self.log.write(t, v.name, "Rereading options file...")
            self._echo_options(t, v.name)
            self.log.write(t, v.name, "...Finished rereading")
        for feature in self.daemons.licence.features():
            self._granted(self.daemons.serve_queue(t, feature))
        return None

    def remove(self, feature: str, *, user: str | None = None, host: str | None = None,
               display: str | None = None, handle: int | None = None) -> FlexError | None:
        """lmremove: by user/host/display (every such seat) or by handle."""
        if not self.lmgrd_up:
            return errors.CANT_CONNECT
        if not self.daemons.pools(feature):
            return errors.NOFEATURE
        if handle is not None:
            seats = [s for s in self.daemons.seats_of(feature) if s.handle == handle]
        else:
            seats = [s for s in self.daemons.seats_of(feature)
                     if (s.user, s.host, s.display) == (user, host, display)]
        if not seats:
            return errors.NEVER_CHECKED_OUT
        if any(self.now_s - s.start < MIN_REMOVE_AGE_S for s in seats):
            return errors.REMOVE_TOO_SOON
        for seat in seats:
            self._granted(self.daemons.checkin(self.now_s, seat.handle, "REMOVED"))
        return None

    def shutdown(self, vendor: str | None = None, *, force: bool = False) -> FlexError | None:
        """lmdown; with `vendor`, only that daemon stops and lmgrd stays up."""
        if not self.lmgrd_up:
            return errors.CANT_CONNECT
        names = [v.name for v in self.daemons.licence.vendors if vendor in (None, v.name)]
        if not names:
            return errors.VENDOR_DOWN
        if not force and any(s.borrow_until and s.vendor in names for s in self.daemons.seats):
            return errors.BORROWED_NO_LMDOWN
        t = self.now_s
        user, _, node = self.requester.partition("@")
        self.log.write(t, "lmgrd", f"SHUTDOWN request from {user} at node {node}")
        if vendor is None:
            self.log.write(t, "lmgrd", "lmgrd will now shut down all the vendor daemons")
        for name in names:
            if name not in self.daemons.down:
                self.log.write(t, "lmgrd", f"Shutting down {name} pid={self._pid(name)} "
                                           f"because of signal 15")
                self.log.write(t, name, "EXITING DUE TO SIGNAL 15")
        self._dropped(self.daemons.shut_down(set(names)))
        if vendor is None:
            self.log.write(t, "lmgrd", "EXITING DUE TO SIGNAL 15")
            self.lmgrd_up = False
        return None

    # -- clients (for tests and the demo) ---------------------------------------------
    def checkout(self, user: str, host: str, feature: str, *, display: str | None = None,
                 count: int = 1, version: str | None = None, borrow_s: int | None = None,
                 queue: bool = False) -> Outcome:
        self.sync()
        if not self.lmgrd_up:
            return Outcome("down", error=errors.CANT_CONNECT)
        return self.daemons.request(self.now_s, Client(user, host, display or host), feature,
                                    version=version, count=count, borrow_s=borrow_s,
                                    queue=queue)

    def checkin(self, handle: int) -> bool:
        self.sync()
        if self.daemons.seat(handle) is None:
            return False
        self._granted(self.daemons.checkin(self.now_s, handle))
        return True

    def go_idle(self, handle: int) -> None:
        """The application holding this seat stops sending heartbeats from now."""
        self.sync()
        seat = self.daemons.seat(handle)
        if seat is not None:
            seat.idle_since = self.now_s

    # -- what lmstat sees -------------------------------------------------------------
    def report(self) -> Report:
        return build_report(self.identity, self.daemons, self.scenario.vendor_versions,
                            self.now_s, self.zone)

    def status(self, tz: tzinfo | None = None, name: str | None = None) -> ServerStatus:
        """The model a correct parser makes of `lmstat -a` now, read in zone `tz`."""
        self.sync()
        tz = tz or self.zone
        if not self.lmgrd_up:
            return unreachable_status(self.log.local(self.now_s), tz, name or self.identity.spec)
        return report_status(self.report(), tz, name)

    def lmutil(self, argv: list[str], *, stdin: str = "") -> tuple[int, str, str]:
        """Run an lmutil command line (without the program name), e.g. ["lmstat", "-a"]."""
        self.sync()
        return run_lmutil(self, argv, stdin)

    # -- files and state --------------------------------------------------------------
    def options_path(self, vendor: VendorLine) -> Path:
        path = Path(vendor.options or f"{vendor.name}.opt")
        return path if path.is_absolute() else self.licence_path.parent / path

    def _read_texts(self) -> dict:
        try:
            licence_text = self._read(self.licence_path)
        except OSError as exc:
            raise SimulationError(f"cannot read licence file {self.licence_path}: {exc}") from exc
        options = {}
        for vendor in parse_licence(licence_text).vendors:
            path = self.options_path(vendor)
            options[vendor.name] = self._read(path) if path.is_file() else ""
        return {"licence": licence_text, "options": options}

    def _read(self, path: Path) -> str:
        """A file as lmgrd reads it: the scenario's own files with their dates moved with
        its start (its own copies were moved when they were made)."""
        text = path.read_text(encoding="utf-8")
        return text if self.own_files else move_dates(text, self.scenario.days_moved)

    def _parse(self, texts: dict) -> tuple[LicenceFile, dict[str, Options]]:
        licence = parse_licence(texts["licence"])
        if not licence.servers or not licence.vendors:
            raise SimulationError(f"{self.licence_path}: a licence file needs SERVER and "
                                  f"VENDOR lines")
        return licence, {name: parse_options(text) for name, text in texts["options"].items()}

    def _identity(self, licence: LicenceFile) -> Identity:
        hosts = tuple((s.host, s.port) for s in licence.servers)
        master = hosts[1][0] if len(hosts) == 3 else hosts[0][0]  # a triad elects the 2nd
        shown = (str(self.licence_path) if self.own_files
                 else self.scenario.shown_licence_path or str(self.licence_path))
        return Identity(hosts, master, shown)

    def _features_of(self, vendor: str) -> list[str]:
        return [f for f in self.daemons.licence.features()
                if self.daemons.pools(f)[0].vendor == vendor]

    def _pid(self, daemon: str) -> int:
        return 1000 + hash_text(f"{self.seed}/{daemon}/{self.runs.get(daemon, 0)}") % 60000

    def to_dict(self) -> dict:
        return {"format": 1, "scenario": self.scenario.name,
                "start": self.scenario.start.isoformat(), "seed": self.seed,
                "zone": str(self.zone), "workload": self.workload is not None,
                "licence_path": str(self.licence_path) if self.own_files else None,
                "requester": self.requester, "clock": self.clock.to_dict(), "now": self.now_s,
                "events": self.events, "seq": self._seq, "lmgrd_up": self.lmgrd_up,
                "runs": self.runs, "texts": self.texts, "daemons": self.daemons.to_dict(),
                "people": self.workload.to_dict() if self.workload else None}

    @staticmethod
    def named_scenario(name: str) -> Scenario:
        """A built-in scenario of this kind of server (a saved state names its own)."""
        return load_scenario(name)

    @classmethod
    def from_dict(cls, data: dict, *, clock: Clock | None = None,
                  requester: str | None = None) -> SimulatedServer:
        scenario = cls.named_scenario(data["scenario"])
        if "start" in data:  # a state saved without it keeps the scenario as written
            scenario = scenario.starting_at(datetime.fromisoformat(data["start"]))
        server = cls(scenario, seed=data["seed"], tz=data["zone"],
                     clock=clock or clock_from_dict(data["clock"]),
                     licence_path=data["licence_path"], workload=data["workload"],
                     requester=requester or data["requester"], texts=data["texts"])
        server.now_s, server.events, server._seq = data["now"], data["events"], data["seq"]
        server.lmgrd_up, server.runs = data["lmgrd_up"], data["runs"]
        server.daemons.restore(data["daemons"])
        if server.workload is not None:
            server.workload.restore(data["people"])
        return server
