"""The simulated LM-X sites: a licence server's features (as its licence file grants them),
its people and how they work.

A scenario is written for its `start`; `starting_at` moves it, and its licences' dates by as
many days, so that a licence that expires in three weeks still does whenever it starts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ...seat_sim.workload import ScenarioBook

UNLIMITED = 2**31 - 1  # what LM-X prints as the total of a feature without a limit


@dataclass(frozen=True, slots=True)
class SimFeature:
    name: str
    version: str
    count: int  # licences (tokens) issued; UNLIMITED for none
    per_session: int  # licences one session takes
    sharing: str  # "HOST USER VIRTUAL", "CUSTOM VIRTUAL", "VIRTUAL"
    expires: date
    starts: date | None = None  # None: printed as NONE
    key_type: str = "EXCLUSIVE"

    def share_key(self, user: str, host: str, session: int) -> str | None:
        """What sessions sharing one seat have in common: for HOST and USER sharing the
        user and host; CUSTOM sharing's string is per application run (no sharing here)."""
        words = self.sharing.split()
        if "HOST" in words and "USER" in words:
            return f"username: {user}, hostname: {host}"
        if "CUSTOM" in words:
            return f"custom string: {user}:{host}:{session}"
        return None


@dataclass(frozen=True, slots=True)
class SimPerson:
    user: str
    host: str
    ip: str
    features: tuple[str, ...]  # what they work with
    starts_per_day: float = 3.0  # sessions they open on a working day


@dataclass(frozen=True, slots=True)
class Borrow:
    """A seat borrowed out before the scenario starts, returned `days` after it."""

    user: str
    host: str
    ip: str
    feature: str
    days: float


@dataclass(frozen=True, slots=True)
class LmxScenario:
    name: str
    title: str
    vendor: str
    host: str
    port: int
    zone: ZoneInfo
    start: datetime  # when the clock starts (aware)
    server_started: datetime  # when the licence server was started, before `start`
    features: tuple[SimFeature, ...]
    people: tuple[SimPerson, ...]
    borrows: tuple[Borrow, ...] = ()
    session_minutes: float = 120.0  # the mean length of a session
    server_version: str = "v4.9.3"

    def starting_at(self, start: datetime) -> LmxScenario:
        start = start.astimezone(self.zone)
        shift = start - self.start
        days = timedelta(days=(start.date() - self.start.date()).days)
        features = tuple(dataclasses.replace(
            f, expires=f.expires + days, starts=f.starts + days if f.starts else None)
            for f in self.features)
        return dataclasses.replace(self, start=start, server_started=self.server_started + shift,
                                   features=features)

    def feature(self, name: str) -> SimFeature:
        return next(f for f in self.features if f.name == name)

    def licence_text(self) -> str:
        """Its licence file, in LM-X's layout (the signatures left out)."""
        blocks = []
        for f in self.features:
            count = "" if f.count == UNLIMITED else f"  COUNT = {f.count}\n"
            start = f"  START = {f.starts:%Y-%m-%d}\n" if f.starts else ""
            blocks.append(f"FEATURE {f.name}\n{{\n  VENDOR = {self.vendor}\n"
                          f"  VERSION = {f.version}\n{start}  END = {f.expires:%Y-%m-%d}\n"
                          f"{count}  SHARE = {f.sharing.replace(' ', ', ')}\n"
                          f"  KEYTYPE = {f.key_type}\n  LICENSETYPE = NETWORK\n"
                          f"  KEY = 0000-SIMULATED-{f.name.upper()}\n}}\n")
        return (f"# {self.title}: the simulated LM-X server's licences\n"
                f"HOSTID = ETHERNET=00163e5f2a10\n\n" + "\n".join(blocks))


def _people() -> tuple[SimPerson, ...]:
    cae = ("HyperWorks", "HWFlux2D")
    fatigue = ("FEMFAT_VISUALIZER", "FEMFAT_SOLVER")
    names = [("anna.berg", cae), ("jonas", cae), ("mei", cae + fatigue), ("pedro", fatigue),
             ("sofia", cae), ("tom", fatigue), ("ulla", cae), ("viktor", cae + fatigue),
             ("wen", fatigue), ("yusuf", cae), ("zoe", fatigue), ("ali", cae + fatigue),
             ("greta", fatigue), ("hugo", cae)]
    return tuple(SimPerson(user, f"ws{i + 11:02}.cae.example", f"10.20.0.{i + 11}", tools,
                           6.0 if "FEMFAT_VISUALIZER" in tools else 4.0)
                 for i, (user, tools) in enumerate(names))


def _cae(start: datetime) -> LmxScenario:
    zone = start.tzinfo
    year_end = date(start.year + 1, 1, 31)
    return LmxScenario(
        name="cae", title="CAE department on LM-X", vendor="ALTAIR", host="lmx1.cae.example",
        port=6200, zone=zone, start=start, server_started=start - timedelta(days=3, hours=2),
        features=(
            SimFeature("HyperWorks", "2024.1", 100_000, 21_000, "CUSTOM VIRTUAL", year_end,
                       date(start.year, 2, 1)),
            SimFeature("HWFlux2D", "2024.1", UNLIMITED, 15_000, "CUSTOM VIRTUAL", year_end,
                       date(start.year, 2, 1)),
            SimFeature("FEMFAT_VISUALIZER", "2024.0", 4, 1, "HOST USER VIRTUAL",
                       (start + timedelta(days=20)).date(), None),
            SimFeature("FEMFAT_SOLVER", "2024.0", 2, 1, "VIRTUAL", year_end, None,
                       key_type="ADDITIVE"),
        ),
        people=_people(),
        borrows=(Borrow("carla", "laptop7.cae.example", "10.20.5.7", "FEMFAT_VISUALIZER", 2.5),),
    )


# name -> the scenario on its own busy Monday morning (the demo moves it to now)
_SCENARIOS = {"cae": lambda: _cae(datetime(2026, 11, 30, 7, 30, tzinfo=ZoneInfo("Europe/Vienna")))}


_BOOK = ScenarioBook("LM-X", _SCENARIOS)
scenario_names = _BOOK.names
load_scenario = _BOOK.load
