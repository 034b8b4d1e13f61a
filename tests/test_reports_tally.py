"""The hour level's tally per UTC day (occupancy_hour_tally), on a real SQLite file and a
real PostgreSQL server: kept exact by every write of the hours (insert, roll-up update,
set_issued, retention, a delete), built for the hours a database already had, and read by
`utilisation` and `efficiency` for the whole days of a period, their part days from the
hours: the figures worked out by hand in the comments."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, func, insert, select, text, update

from lmconsole.history import schema
from lmconsole.history.occupancy import Retention, apply_retention, set_issued
from lmconsole.history.store import HistoryStore, _alembic_config

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures
from .test_reports_more import epoch, figures, fill, report

DAY = 86_400
H = epoch(2026, 3, 1, 22)  # Sunday 1 March 22:00 UTC


def hour(at: int, peak: int, mean: float, issued: int | None = 8,
         reserved: int | None = None) -> dict:
    return {"server_id": 1, "feature": "Revit", "at": at, "in_use_peak": peak,
            "in_use_mean": mean, "issued": issued, "reserved_idle": reserved, "borrowed": 0,
            "queued": 0, "from_log": False}


async def tallies(store: HistoryStore) -> list[tuple]:
    t = schema.occupancy_hour_tally
    return sorted((r.feature, r.at, r.in_use_peak, r.issued, r.reserved_idle, r.hours,
                   round(r.mean_sum, 6)) for r in await store.rows(select(t)))


async def counted_from_hours(store: HistoryStore) -> list[tuple]:
    """The tally as it should be: the hours grouped again."""
    h = schema.occupancy_hour
    day = h.c.at - h.c.at % DAY
    issued, reserved = func.coalesce(h.c.issued, -1), func.coalesce(h.c.reserved_idle, 0)
    rows = await store.rows(select(h.c.feature, day, h.c.in_use_peak, issued, reserved,
                                   func.count(), func.sum(h.c.in_use_mean))
                            .group_by(h.c.feature, day, h.c.in_use_peak, issued, reserved))
    return sorted((*row[:6], round(row[6], 6)) for row in rows)


def test_the_tally_follows_every_write_of_the_hours(url):
    async def scenario() -> None:
        store = await HistoryStore.open(url)
        try:
            await store.server_id("cad", manager="flexlm", time_zone="UTC")
            h = schema.occupancy_hour
            await store.execute(insert(h).values([
                hour(H, 3, 1.5), hour(H + 3600, 3, 2.5, issued=None, reserved=1),
                hour(H + 7200, 2, 1.0), hour(H + DAY, 3, 0.5, issued=None)]))
            first, second = H - 22 * 3600, H + 2 * 3600  # 1 and 2 March 00:00
            assert await tallies(store) == [
                ("Revit", first, 3, -1, 1, 1, 2.5), ("Revit", first, 3, 8, 0, 1, 1.5),
                ("Revit", second, 2, 8, 0, 1, 1.0), ("Revit", second, 3, -1, 0, 1, 0.5)]
            # a roll-up of the same hour again, and one that changes it
            await store.execute(update(h).where(h.c.at == H).values(in_use_mean=1.5))
            await store.execute(update(h).where(h.c.at == H + 7200)
                                .values(in_use_peak=3, in_use_mean=2.0))
            assert await tallies(store) == await counted_from_hours(store) == [
                ("Revit", first, 3, -1, 1, 1, 2.5), ("Revit", first, 3, 8, 0, 1, 1.5),
                ("Revit", second, 3, -1, 0, 1, 0.5), ("Revit", second, 3, 8, 0, 1, 2.0)]
            await set_issued(store, 1, {"Revit": 4})
            assert await tallies(store) == await counted_from_hours(store) == [
                ("Revit", first, 3, 4, 1, 1, 2.5), ("Revit", first, 3, 8, 0, 1, 1.5),
                ("Revit", second, 3, 4, 0, 1, 0.5), ("Revit", second, 3, 8, 0, 1, 2.0)]
            # the hour at H is older than a day: deleted, and taken out of its tally
            await apply_retention(store, Retention(hours=DAY), now=H + DAY + 3600)
            assert await tallies(store) == await counted_from_hours(store) == [
                ("Revit", first, 3, 4, 1, 1, 2.5),
                ("Revit", second, 3, 4, 0, 1, 0.5), ("Revit", second, 3, 8, 0, 1, 2.0)]
            await store.execute(delete(h))
            assert await tallies(store) == []
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_database_with_hours_is_tallied_when_upgraded(url):
    async def scenario() -> None:
        store = await HistoryStore.open(url)
        async with store.engine.begin() as connection:
            await connection.run_sync(downgrade_to_0004)
            await connection.execute(insert(schema.servers).values(
                id=1, name="cad", manager="flexlm"))
            await connection.execute(insert(schema.occupancy_hour).values(
                [hour(H, 3, 1.5), hour(H + 3600, 3, 2.5), hour(H + DAY, 1, 1.0)]))
            assert (await connection.execute(text("SELECT count(*) FROM occupancy_hour"))
                    ).scalar() == 3
        await store.close()
        store = await HistoryStore.open(url)  # upgraded on opening
        try:
            assert await tallies(store) == await counted_from_hours(store) == [
                ("Revit", H - 22 * 3600, 3, 8, 0, 2, 4.0),
                ("Revit", H + 2 * 3600, 1, 8, 0, 1, 1.0)]
        finally:
            await store.close()

    asyncio.run(scenario())


def downgrade_to_0004(connection) -> None:
    from alembic import command

    command.downgrade(_alembic_config(connection), "0004")


# Sunday 1 March 22:00 to Tuesday 3 March 02:00 UTC, hours only, 8 issued: (at, peak, mean).
# 2 March is a whole day (tallied), 1 and 3 March part days (read from the hours).
HOURS = [(H, 8, 4.0), (H + 3600, 2, 1.0),  # 1 March 22:00, 23:00
         (H + 10 * 3600, 4, 2.0), (H + 11 * 3600, 4, 2.0),  # 2 March 08:00, 09:00
         (H + 12 * 3600, 8, 6.0), (H + 13 * 3600, 4, 2.0),  # 10:00, 11:00
         (H + 26 * 3600, 8, 8.0), (H + 27 * 3600, 1, 0.5)]  # 3 March 00:00, 01:00
PERIOD = ("--from", "2026-03-01T22:00", "--to", "2026-03-03T02:00", "--tz", "UTC")


def test_utilisation_over_whole_and_part_days_of_hours(tmp_path, url):
    fill(url, hours=HOURS)
    document = report(tmp_path, url, "utilisation", *PERIOD)
    # 28 hours observed (the first row to the end of the last), 20 without a row (0).
    # Seat-hours 4 + 1 + 2 + 2 + 6 + 2 + 8 + 0.5 = 25.5, over 28: 0.91. Peaks sorted:
    # 0 x20, 1, 2, 4 x3, 8 x3: 95 % of 28 (26.6) reached at 8. At 8 of 8 in 3 of 28
    # hours: 10.7 %.
    assert document["level"] == "hour"
    assert figures(document, "feature", "issued", "peak", "average", "p95", "at_full_pct",
                   "never_used", "reserved_idle_avg", "peak_with_reserved") == [
        ("Revit", 8, 8, 0.91, 8, 10.7, 0, 0.0, 8)]


def test_efficiency_over_whole_and_part_days_of_hours(tmp_path, url):
    fill(url, hours=HOURS)
    document = report(tmp_path, url, "efficiency", *PERIOD)
    # of 28 hours at their peak: 0 in 20, 1 in 1, 2 in 1, 4 in 3, 8 in 3
    assert figures(document, "seats", "exactly_pct", "at_least_pct", "seats_95",
                   "seats_99") == [
        (0, 71.4, 100.0, 8, 8), (1, 3.6, 28.6, 8, 8), (2, 3.6, 25.0, 8, 8),
        (3, 0.0, 21.4, 8, 8), (4, 10.7, 21.4, 8, 8), (5, 0.0, 10.7, 8, 8),
        (6, 0.0, 10.7, 8, 8), (7, 0.0, 10.7, 8, 8), (8, 10.7, 10.7, 8, 8)]
