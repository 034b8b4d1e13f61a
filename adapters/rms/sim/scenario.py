"""The simulated Sentinel RMS sites: a licence server's features, its people and how they
work. The studio's structural engineers share CSI's analysis programs (licensed by Sentinel
RMS); the section designer has no limit, which lsmon prints as RMS's unlimited sentinel."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ...seat_sim.workload import Offline, ScenarioBook, SeatScenario, SimFeature, SimPerson


def _people() -> tuple[SimPerson, ...]:
    analysis = ("ETABS", "SAP2000", "CSiCol")
    foundations = ("SAFE", "CSiCol")
    names = [("lena", analysis), ("marco", analysis + foundations), ("ines", foundations),
             ("piet", analysis), ("sven", foundations), ("aylin", analysis),
             ("rui", analysis + foundations), ("nora", foundations)]
    return tuple(SimPerson(user, f"ST-WS{i + 21:02}", tools, 5.0)
                 for i, (user, tools) in enumerate(names))


def _studio(start: datetime) -> SeatScenario:
    year_end = date(start.year + 1, 1, 31)
    return SeatScenario(
        name="studio", title="The studio's structural engineers on Sentinel RMS",
        host="rms1.studio.example", port=5093, zone=start.tzinfo, start=start,
        server_started=start - timedelta(days=4, hours=3),
        features=(SimFeature("ETABS", "21.0", 3, year_end),
                  SimFeature("SAP2000", "24.0", 2, year_end),
                  SimFeature("SAFE", "20.0", 2, (start + timedelta(days=24)).date()),
                  SimFeature("CSiCol", "11.0", None, year_end)),
        people=_people(),
        offline=(Offline("jonas", "ST-NB07", "ETABS", 2.5),),
        session_minutes=100.0)


# name -> the scenario on its own busy Monday morning (the demo moves it to now)
_SCENARIOS = {"studio": lambda: _studio(datetime(2026, 11, 30, 7, 30,
                                                 tzinfo=ZoneInfo("Europe/Berlin")))}


_BOOK = ScenarioBook("Sentinel RMS", _SCENARIOS)
scenario_names = _BOOK.names
load_scenario = _BOOK.load
