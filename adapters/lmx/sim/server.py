"""A simulated LM-X licence server: a seeded workload of people checking features out and
in, seats shared as the licences' SHARE says, denials when a feature is full, a borrowed
seat, the server's log, and `lmxendutil -licstat` / `-licstatxml` in the real layout.

Time moves in whole minutes as its clock does (`sync`); every run of a scenario with one
seed is the same, however the clock is stepped.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from datetime import datetime, tzinfo

from lmconsole.adapters.flexlm.sim.clock import ManualClock, ScaledClock, clock_from_dict
from lmconsole.model import ServerStatus

from ...seat_sim.workload import MAX_SESSION_S, MIN_SESSION_S, MINUTE, WorkingDays
from .licstat_text import licstat_text, licstat_xml
from .scenario import UNLIMITED, LmxScenario, SimFeature, SimPerson, load_scenario

SECOND_WINDOW = 0.4  # how often someone with a shared seat opens the same feature again


@dataclass(slots=True)
class Session:
    number: int
    feature: SimFeature
    user: str
    host: str
    ip: str
    count: int  # licences it was granted (a shared seat's sessions each print it)
    login_s: int
    start_s: int
    end_s: int
    share: str | None = None
    borrow_until_s: int | None = None


class LmxServer(WorkingDays):
    """One LM-X licence server of a scenario."""

    def __init__(self, scenario: LmxScenario, *, seed: int, clock: ManualClock | ScaledClock,
                 restored: bool = False):
        """A server started at the scenario's start-up, and caught up to the clock; or
        (`restored`) one whose state `from_dict` fills in."""
        self.scenario = scenario
        self.clock = clock
        self.random = random.Random(seed)
        self.sessions: list[Session] = []
        self.denied: dict[str, int] = {f.name: 0 for f in scenario.features}
        self.log_lines: list[str] = []
        self.numbers = 0
        self.done_s = int(scenario.start.timestamp()) // MINUTE * MINUTE
        if not restored:
            self.start_up()
            self.sync()

    def command(self, argv: list[str]) -> tuple[int, str, str] | None:
        """What a command line prints here: lmxendutil's; None for any other program."""
        if not argv or not argv[0].endswith("lmxendutil"):
            return None
        return self.lmxendutil(argv[1:])

    def lmxendutil(self, args: list[str]) -> tuple[int, str, str]:
        """`lmxendutil -licstat|-licstatxml [-host H -port P | -hal S] [-vendor V]`: the
        status of this server, under the host and port asked for."""
        self.sync()
        options = _options(args)
        if options is None or not ({"-licstat", "-licstatxml"} & set(options)):
            return 1, "", "usage: lmxendutil -licstat [-host <host> -port <port>]\n"
        host = options.get("-host") or self.scenario.host
        port = options.get("-port") or str(self.scenario.port)
        if options.get("-hal"):  # the first of the triad answers
            port, _, host = options["-hal"].split(",")[0].partition("@")
        render = licstat_xml if "-licstatxml" in options else licstat_text
        return 0, render(self, f"{port}@{host}"), ""

    def status(self, tz: tzinfo | None = None, name: str | None = None, *,
               xml: bool = False) -> ServerStatus:
        """The model a correct parser makes of `lmxendutil -licstat` now (`xml`: of
        -licstatxml), read in zone `tz` (the dates LM-X prints carry no zone)."""
        from ..build import build_server
        from .status import server_blocks

        self.sync()
        spec = f"{self.scenario.port}@{self.scenario.host}"
        blocks = server_blocks(self, spec, xml=xml, tz=tz or self.scenario.zone)
        return build_server(blocks, name=name, now=self.now)

    # ---- saved state (the executable's state directory, statedir.py) ----------------------

    def to_dict(self) -> dict:
        """Everything but the log lines, which the state directory keeps in its log file."""
        version, internal, gauss = self.random.getstate()
        sessions = [{**{f.name: getattr(s, f.name) for f in fields(Session)},
                     "feature": s.feature.name} for s in self.sessions]
        return {"format": 1, "scenario": self.scenario.name,
                "start": self.scenario.start.isoformat(), "clock": self.clock.to_dict(),
                "random": [version, list(internal), gauss], "sessions": sessions,
                "denied": self.denied, "numbers": self.numbers, "done": self.done_s}

    @classmethod
    def from_dict(cls, data: dict) -> LmxServer:
        scenario = load_scenario(data["scenario"]).starting_at(
            datetime.fromisoformat(data["start"]))
        server = cls(scenario, seed=0, clock=clock_from_dict(data["clock"]), restored=True)
        version, internal, gauss = data["random"]
        server.random.setstate((version, tuple(internal), gauss))
        server.sessions = [Session(**{**s, "feature": scenario.feature(s["feature"])})
                           for s in data["sessions"]]
        server.denied, server.numbers, server.done_s = (data["denied"], data["numbers"],
                                                        data["done"])
        return server

    # ---- the workload -------------------------------------------------------------------------

    def request(self, person: SimPerson, moment: int) -> None:
        feature = self.scenario.feature(self.random.choice(person.features))
        again = [s.feature for s in self.sessions if s.user == person.user
                 and s.share and s.share.startswith("username:")]
        if again and self.random.random() < SECOND_WINDOW:
            feature = again[0]  # another window of what they have open: it shares the seat
        self.numbers += 1
        share = feature.share_key(person.user, person.host, self.numbers)
        sharing = share is not None and any(s.share == share and s.feature is feature
                                            for s in self.sessions)
        if not sharing and feature.count != UNLIMITED and (
                self.seats_used(feature) + feature.per_session > feature.count):
            self.denied[feature.name] += 1
            self.write(moment, f"Denied {feature.name} v{feature.version} to {person.user}@"
                               f"{person.host} ({person.ip}), {feature.per_session} "
                               "license(s): License limit reached")
            return
        length = int(self.random.expovariate(1 / (self.scenario.session_minutes * 60)))
        login = moment - MINUTE * self.random.randrange(0, 4)
        self.sessions.append(Session(
            self.numbers, feature, person.user, person.host, person.ip, feature.per_session,
            login, moment, moment + min(max(length, MIN_SESSION_S), MAX_SESSION_S), share))
        self.write(moment, f"Checkout {feature.name} v{feature.version} by {person.user}@"
                           f"{person.host} ({person.ip}), {feature.per_session} license(s)")

    def end_sessions(self, until: int) -> None:
        for session in sorted((s for s in self.sessions if s.end_s <= until),
                              key=lambda s: (s.end_s, s.number)):
            self.sessions.remove(session)
            what = "returned borrowed" if session.borrow_until_s else "by"
            self.write(session.end_s, f"Checkin {session.feature.name} "
                                      f"v{session.feature.version} {what} {session.user}@"
                                      f"{session.host} ({session.ip}), {session.count} "
                                      "license(s)")

    def seats_used(self, feature: SimFeature) -> int:
        """Seats held: each group of sessions sharing a seat holds it once."""
        shared = {s.share: s.count for s in self.sessions if s.feature is feature and s.share}
        alone = sum(s.count for s in self.sessions if s.feature is feature and not s.share)
        return alone + sum(shared.values())

    # ---- the log ------------------------------------------------------------------------------

    def start_up(self) -> None:
        """The start-up lines the server wrote, and the seats borrowed before the clock's
        start (returned days into it)."""
        scenario = self.scenario
        started = int(scenario.server_started.timestamp())
        for text in (f"LM-X License Server {scenario.server_version} build 5e3c1a7b on "
                     f"{scenario.host} (Linux_x64)",
                     "Copyright (C) 2002-2018 X-Formation. All rights reserved.",
                     "License server has pid 2417.",
                     f"Serving licenses for vendor {scenario.vendor}.", "",
                     f"License server using TCP IPv4 port {scenario.port}.",
                     "Reading licenses...", "Serving following features:",
                     *(f"{f.name} (v{f.version}) ({f.count} license(s)) shared on: "
                       f"{f.sharing} license type: {f.key_type.lower()}"
                       for f in scenario.features),
                     "Ready to serve..."):
            self.write(started, text)
        start = int(scenario.start.timestamp())
        for borrow in scenario.borrows:
            feature = scenario.feature(borrow.feature)
            until = start + int(borrow.days * 86400)
            self.numbers += 1
            self.sessions.append(Session(self.numbers, feature, borrow.user, borrow.host,
                                         borrow.ip, 1, started + 3600, started + 3600, until,
                                         None, until))
            self.write(started + 3600, f"Checkout {feature.name} v{feature.version} by "
                                       f"{borrow.user}@{borrow.host} ({borrow.ip}), 1 "
                                       f"license(s), borrowed until "
                                       f"{self.local(until):%Y-%m-%d %H:%M}")

    def write(self, moment: int, text: str) -> None:
        self.log_lines.append(f"[{self.local(moment):%Y-%m-%d %H:%M:%S}] {text}".rstrip())

    def uptime(self) -> str:
        seconds = max(0, self.now_s - int(self.scenario.server_started.timestamp()))
        days, rest = divmod(seconds, 86400)
        return (f"{days} day(s) {rest // 3600} hour(s) {rest % 3600 // 60} min(s) "
                f"{rest % 60} sec(s)")


def _options(args: list[str]) -> dict[str, str | None] | None:
    """`-flag [value]` pairs; None for a word that is no option."""
    options: dict[str, str | None] = {}
    index = 0
    while index < len(args):
        flag = args[index]
        if not flag.startswith("-"):
            return None
        takes_value = flag in ("-host", "-port", "-hal", "-vendor")
        options[flag] = args[index + 1] if takes_value and index + 1 < len(args) else None
        index += 2 if takes_value else 1
    return options
