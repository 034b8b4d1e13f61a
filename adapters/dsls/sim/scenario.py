"""The simulated DSLS sites. The studio's product designers share CATIA seats (concurrent
users) and run Abaqus jobs that take SIMULIA tokens, several a job; one designer has a CATIA
licence extracted offline for a site visit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ...seat_sim.workload import Offline, ScenarioBook, SeatScenario, SimFeature, SimPerson

# What the usage output says of each feature besides its counts: its licence model.
MODELS = {"MD2": "ConcurrentUser", "HD2": "ConcurrentUser", "QXT": "Token"}


def _people() -> tuple[SimPerson, ...]:
    design, simulation = ("MD2", "MD2", "HD2"), ("QXT",)
    names = [("ada", design), ("bruno", design + simulation), ("chiara", design),
             ("dmitri", simulation), ("elif", design), ("femi", design + simulation),
             ("greta", simulation), ("hiro", design)]
    return tuple(SimPerson(user, f"dsn{i + 31:03}", tools, 4.0)
                 for i, (user, tools) in enumerate(names))


def _studio(start: datetime) -> SeatScenario:
    year_end = date(start.year + 1, 1, 31)
    return SeatScenario(
        name="studio", title="The studio's product designers on DSLS",
        host="dsls1.studio.example", port=4085, zone=start.tzinfo, start=start,
        server_started=start - timedelta(days=6, hours=1),
        features=(SimFeature("MD2", "425", 4, year_end),
                  SimFeature("HD2", "425", 2, year_end),
                  SimFeature("QXT", "423", 25, year_end, tokens=(5, 16))),
        people=_people(),
        offline=(Offline("ilse", "nb-ilse", "MD2", 3.2),),
        session_minutes=90.0)


# name -> the scenario on its own busy Monday morning (the demo moves it to now)
_SCENARIOS = {"studio": lambda: _studio(datetime(2026, 11, 30, 7, 30,
                                                 tzinfo=ZoneInfo("Europe/Paris")))}


_BOOK = ScenarioBook("DSLS", _SCENARIOS)
scenario_names = _BOOK.names
load_scenario = _BOOK.load
