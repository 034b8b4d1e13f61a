"""The hour level read per bucket of the reader's clock without a sort (SQLite,
lmconsole.reports.bucketed): concurrency and forecast give the same figures as the plain
GROUP BY on the local bucket (the query PostgreSQL runs), and heatmap grouped by the
features' numbers the same as by their names, over ten months of hours of two
features on two servers across both DST changes, in zones an hour, half an hour and 45
minutes off UTC and one whose DST moves the clock by half an hour; and a forecast of hours
on the reader's clock worked out by hand."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore
from lmconsole.reports import bucketed, concurrency, forecast, heatmap
from lmconsole.reports.base import Question

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures

HOUR = 3600
STRETCHES = bucketed.STRETCHES.name
ZONES = ("UTC", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns",
         "Australia/Lord_Howe")


def epoch(*moment: int) -> int:
    return int(datetime(*moment, tzinfo=UTC).timestamp())


def hour_rows(server_id: int, feature: str, hours: list[tuple[int, int, float]]) -> list[dict]:
    return [{"server_id": server_id, "feature": feature, "at": at, "in_use_peak": peak,
             "in_use_mean": mean, "issued": 8, "reserved_idle": 0, "borrowed": 0,
             "queued": 0, "from_log": False} for at, peak, mean in hours]


def random_hours(seed: int) -> list[tuple[int, int, float]]:
    """Some of the hours from 1 January 2026 to 1 November 2026, a seat count each."""
    rng = random.Random(seed)
    first = epoch(2026, 1, 1)
    found = []
    for n in range((epoch(2026, 11, 1) - first) // HOUR):
        if rng.random() < 0.3:
            peak = rng.randrange(0, 6)
            found.append((first + n * HOUR, peak, round(peak * rng.random(), 3)))
    return found


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('bucketed') / 'history.db'}"

    async def write() -> None:
        store = await HistoryStore.open(url)
        try:
            for n, name in enumerate(("cad", "cae")):
                server_id = await store.server_id(name, manager="flexlm", time_zone="UTC")
                for k, feature in enumerate(("Revit", "Abaqus")):
                    await store.execute(insert(schema.occupancy_hour).values(
                        hour_rows(server_id, feature, random_hours(10 * n + k))))
        finally:
            await store.close()

    asyncio.run(write())
    return url


async def both_ways(url: str, report, question: Question, monkeypatch, **options):
    """The report read along the buckets' stretches, and by the plain GROUP BY."""
    store = await HistoryStore.open(url)
    statements: list[str] = []
    event.listen(store.engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cursor, statement, *_: statements.append(statement))
    try:
        sortless = await report(store, question, **options)
        assert any(STRETCHES in statement for statement in statements)
        statements.clear()
        with monkeypatch.context() as patched:
            patched.setattr(bucketed, "applies", lambda *_: False)
            sorted_ = await report(store, question, **options)
        assert not any(STRETCHES in statement for statement in statements)
    finally:
        await store.close()
    return sortless, sorted_


def question(zone: str, **filters) -> Question:
    # from a moment inside an hour to one inside a day, across both DST changes
    return Question(epoch(2026, 2, 10, 7, 20), epoch(2026, 10, 30, 13, 5), ZoneInfo(zone),
                    **filters)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("per", ["hour", "day", "week", "month"])
def test_concurrency_the_same_without_the_sort(history, monkeypatch, zone, per):
    sortless, sorted_ = asyncio.run(both_ways(history, concurrency, question(zone),
                                              monkeypatch, per=per))
    assert sortless.level_s == HOUR
    assert len(sortless.rows) >= 4 * 9  # four features, nine months at least
    assert sortless.rows == sorted_.rows


@pytest.mark.parametrize("zone", ZONES)
def test_forecast_the_same_without_the_sort(history, monkeypatch, zone):
    sortless, sorted_ = asyncio.run(both_ways(history, forecast, question(zone),
                                              monkeypatch))
    assert len(sortless.rows) == 4
    assert sortless.rows == sorted_.rows


@pytest.mark.parametrize("zone", ZONES)
def test_heatmap_the_same_by_the_features_numbers(history, monkeypatch, zone):
    numbered, named = asyncio.run(both_ways(history, heatmap, question(zone), monkeypatch))
    assert numbered.level_s == HOUR
    assert len(numbered.rows) == 4 * 7 * 24  # every cell of four features observed
    assert numbered.rows == named.rows


def test_one_feature_of_one_server(history, monkeypatch):
    asked = question("Europe/Berlin", servers=("cae",), features=("Abaqus",))
    sortless, sorted_ = asyncio.run(both_ways(history, concurrency, asked, monkeypatch))
    assert {(row["server"], row["feature"]) for row in sortless.rows} == {("cae", "Abaqus")}
    assert sortless.rows == sorted_.rows


# Hours of Revit around midnight on Berlin's clock (UTC+1 in March): (at, peak, mean)
MIDNIGHT_HOURS = [(epoch(2026, 3, 2, 22), 3, 1.0),  # 23:00 on 2 March
                  (epoch(2026, 3, 2, 23), 5, 2.0),  # 00:00 on 3 March
                  (epoch(2026, 3, 3, 10), 2, 1.0),  # 11:00 on 3 March
                  (epoch(2026, 3, 4, 10), 0, 0.0)]  # nothing in use: not a day of use


@pytest.mark.parametrize("zone, days, peak, trend_30d", [
    # Berlin: 2 March peaks at 3, 3 March at 5: 2 seats a day more, 60 in 30 days
    ("Europe/Berlin", 2, 5, 60.0),
    # UTC: 2 March at 5 (both of its hours), 3 March at 2: 3 a day less
    ("UTC", 2, 5, -90.0),
])
def test_a_forecast_of_hours_on_the_readers_clock(tmp_path, url, zone, days, peak,
                                                  trend_30d):
    async def scenario():
        store = await HistoryStore.open(url)
        try:
            server_id = await store.server_id("cad", manager="flexlm", time_zone="UTC")
            await store.execute(insert(schema.occupancy_hour).values(
                hour_rows(server_id, "Revit", MIDNIGHT_HOURS)))
            return await forecast(store, Question(epoch(2026, 3, 1), epoch(2026, 3, 5),
                                                  ZoneInfo(zone)))
        finally:
            await store.close()

    report = asyncio.run(scenario())
    assert report.level_s == HOUR
    [row] = report.rows
    # the 95th percentile of two days is the higher; 20 % more in a year: 6 seats, 8 issued
    assert (row["days"], row["peak"], row["p_peak"], row["trend_30d"], row["needed"],
            row["to_add"]) == (days, peak, peak, trend_30d, 6, 0)
