"""A seeded workload of people holding seats of a licence server's features, for simulated
servers whose managers count seats and tokens and little else (DSLS, Sentinel RMS): during
working hours people open sessions, each taking some seats (tokens) for a while; a session
that does not fit is denied; seats held offline (borrowed) before the clock starts are given
back days into it. Its timeline (WorkingDays) is the LM-X simulator's too, which adds LM-X's
sharing rules.

A manager's server subclasses SeatServer: it renders its status from `sessions` and writes
its log in `record`, which is told of every checkout, check-in and denial in time order.
Time moves in whole minutes as the clock does (`sync`); every run of a scenario with one
seed is the same, however the clock is stepped.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from lmconsole.adapters.flexlm.sim.clock import ManualClock, ScaledClock

WORK_HOURS = (8, 18)  # local hours in which people open sessions, Monday to Friday
MINUTE = 60
MIN_SESSION_S = 5 * 60
MAX_SESSION_S = 8 * 3600
OUT, IN, DENIED = "out", "in", "denied"


@dataclass(frozen=True, slots=True)
class SimFeature:
    name: str
    version: str
    count: int | None  # seats (tokens) issued; None: no limit
    expires: date
    tokens: tuple[int, int] = (1, 1)  # the seats one session takes, drawn between these


@dataclass(frozen=True, slots=True)
class SimPerson:
    user: str
    host: str
    features: tuple[str, ...]  # what they work with
    starts_per_day: float = 4.0  # sessions they open on a working day


@dataclass(frozen=True, slots=True)
class Offline:
    """Seats taken offline before the scenario starts, given back `days` after it."""

    user: str
    host: str
    feature: str
    days: float
    count: int = 1


@dataclass(frozen=True, slots=True)
class SeatScenario:
    name: str
    title: str
    host: str
    port: int
    zone: ZoneInfo
    start: datetime  # when the clock starts (aware)
    server_started: datetime  # when the licence server started, before `start`
    features: tuple[SimFeature, ...]
    people: tuple[SimPerson, ...]
    offline: tuple[Offline, ...] = ()
    session_minutes: float = 120.0  # the mean length of a session

    def starting_at(self, start: datetime) -> SeatScenario:
        """This scenario moved to `start`, its licences' expiry dates by as many days."""
        start = start.astimezone(self.zone)
        days = timedelta(days=(start.date() - self.start.date()).days)
        features = tuple(dataclasses.replace(f, expires=f.expires + days)
                         for f in self.features)
        return dataclasses.replace(self, start=start, features=features,
                                   server_started=self.server_started + (start - self.start))

    def feature(self, name: str) -> SimFeature:
        return next(f for f in self.features if f.name == name)


class ScenarioBook:
    """A simulator's scenarios by name, each made afresh when loaded (a scenario's clock
    starts when it is made)."""

    def __init__(self, label: str, makers: dict[str, Callable[[], object]]):
        self.label = label  # "DSLS": the manager's name in messages
        self.makers = makers

    def names(self) -> list[str]:
        return sorted(self.makers)

    def load(self, name: str):
        """Scenario `name` as written; ValueError, saying which there are, when none is."""
        make = self.makers.get(name)
        if make is None:
            raise ValueError(f"no {self.label} scenario {name!r} "
                             f"(there are: {', '.join(self.names())})")
        return make()


@dataclass(slots=True)
class Session:
    number: int
    feature: SimFeature
    user: str
    host: str
    count: int  # seats (tokens) it holds
    start_s: int
    end_s: int
    offline_until_s: int | None = None  # held offline (borrowed) until then

    @property
    def offline(self) -> bool:
        return self.offline_until_s is not None


class WorkingDays:
    """The clock and the working days of a simulated server: time moves in whole minutes up
    to the clock (`sync`); in working hours each person may ask for a session each minute,
    and nights and weekends are skipped to the next session's end or the next morning. A
    server sets `scenario` (its zone and people), `clock`, `random`, `sessions` and
    `done_s`, and writes `request` and `end_sessions`."""

    # ---- the protocol's SimulatedServer -------------------------------------------------------

    @property
    def now_s(self) -> int:
        return self.clock.now()

    @property
    def now(self) -> datetime:
        return self.local(self.now_s)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.sync()

    def local(self, moment: int) -> datetime:
        return datetime.fromtimestamp(moment, UTC).astimezone(self.scenario.zone)

    # ---- the timeline -------------------------------------------------------------------------

    def sync(self) -> None:
        """Live every minute up to the clock: sessions end, people open new ones."""
        target = self.now_s // MINUTE * MINUTE
        while self.done_s < target:
            moment = self.done_s + MINUTE
            self.end_sessions(moment)
            if self.working(moment):
                for person in self.scenario.people:
                    if self.random.random() < person.starts_per_day / 600:
                        self.request(person, moment)
                self.done_s = moment
            else:  # nights and weekends: straight to the next end, or the next morning
                jump = min(self.next_end(moment), self.next_morning(moment)) - MINUTE
                self.done_s = max(moment, min(jump, target))

    def working(self, moment: int) -> bool:
        local = self.local(moment)
        return local.weekday() < 5 and WORK_HOURS[0] <= local.hour < WORK_HOURS[1]

    def next_end(self, after: int) -> int:
        ends = [s.end_s for s in self.sessions if s.end_s >= after]
        return min(ends, default=after + 7 * 86400) // MINUTE * MINUTE + MINUTE

    def next_morning(self, after: int) -> int:
        local = self.local(after)
        morning = local.replace(hour=WORK_HOURS[0], minute=0, second=0)
        if morning <= local:
            morning += timedelta(days=1)
        return int(morning.timestamp())

    def request(self, person, moment: int) -> None:
        raise NotImplementedError

    def end_sessions(self, until: int) -> None:
        raise NotImplementedError


class SeatServer(WorkingDays):
    """One simulated licence server of a SeatScenario."""

    def __init__(self, scenario: SeatScenario, *, seed: int,
                 clock: ManualClock | ScaledClock) -> None:
        self.scenario = scenario
        self.clock = clock
        self.random = random.Random(seed)
        self.sessions: list[Session] = []
        self.denied: dict[str, int] = {f.name: 0 for f in scenario.features}
        self.numbers = 0
        self.done_s = int(scenario.start.timestamp()) // MINUTE * MINUTE
        self.start_up()
        self.sync()

    # ---- what a subclass writes ---------------------------------------------------------------

    def record(self, moment: int, kind: str, session: Session) -> None:
        """A checkout (OUT), check-in (IN) or denial (DENIED, of a session never opened)."""

    def seats_used(self, feature: SimFeature) -> int:
        return sum(s.count for s in self.sessions if s.feature is feature)

    # ---- the workload -------------------------------------------------------------------------

    def start_up(self) -> None:
        """The seats taken offline before the clock's start, an hour after the server's."""
        taken = int(self.scenario.server_started.timestamp()) + 3600
        start = int(self.scenario.start.timestamp())
        for offline in self.scenario.offline:
            until = start + int(offline.days * 86400)
            self.numbers += 1
            session = Session(self.numbers, self.scenario.feature(offline.feature),
                              offline.user, offline.host, offline.count, taken, until, until)
            self.sessions.append(session)
            self.record(taken, OUT, session)

    def request(self, person: SimPerson, moment: int) -> None:
        feature = self.scenario.feature(self.random.choice(person.features))
        count = self.random.randint(*feature.tokens)
        length = int(self.random.expovariate(1 / (self.scenario.session_minutes * 60)))
        self.numbers += 1
        session = Session(self.numbers, feature, person.user, person.host, count, moment,
                          moment + min(max(length, MIN_SESSION_S), MAX_SESSION_S))
        if feature.count is not None and self.seats_used(feature) + count > feature.count:
            self.denied[feature.name] += 1
            self.record(moment, DENIED, session)
            return
        self.sessions.append(session)
        self.record(moment, OUT, session)

    def end_sessions(self, until: int) -> None:
        for session in sorted((s for s in self.sessions if s.end_s <= until),
                              key=lambda s: (s.end_s, s.number)):
            self.sessions.remove(session)
            self.record(session.end_s, IN, session)
