"""`lmconsole report concurrency|efficiency|heatmap` against answers computed by hand, on a
real SQLite file and a real PostgreSQL server: occupancy rows written as the recorder and
the roll-ups write them (minutes sampled by polls, hours), a gap, a bucket across midnight
and DST changes in Europe/Berlin. The figures are worked out in the comments."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures
from .test_reports import lmconsole


def epoch(*moment: int) -> int:
    return int(datetime(*moment, tzinfo=UTC).timestamp())


def minute_rows(server_id: int, first: int, in_use: list[int | None]) -> list[dict]:
    """Polled minutes from `first`, one a value; None: no row (nothing in use or a gap)."""
    return [{"server_id": server_id, "feature": "Revit", "at": first + 60 * n,
             "in_use_peak": seats, "in_use_mean": float(seats), "issued": 4,
             "reserved_idle": 0, "borrowed": 0, "queued": 0, "from_log": False, "polls": 1}
            for n, seats in enumerate(in_use) if seats is not None]


def level_rows(server_id: int, rows: list[tuple[int, int, float]]) -> list[dict]:
    """Hour or day rows: (at, peak, mean)."""
    return [{"server_id": server_id, "feature": "Revit", "at": at, "in_use_peak": peak,
             "in_use_mean": mean, "issued": 8, "reserved_idle": 0, "borrowed": 0,
             "queued": 0, "from_log": False} for at, peak, mean in rows]


def fill(url: str, *, minutes=(), hours=(), days=(), gaps=()) -> None:
    async def write() -> None:
        store = await HistoryStore.open(url)
        server_id = await store.server_id("cad", manager="flexlm", time_zone="UTC")
        await store.upsert_poll_minutes(minute_rows(server_id, *minutes) if minutes else [])
        for table, rows in ((schema.occupancy_hour, hours), (schema.occupancy_day, days)):
            if rows:
                await store.execute(insert(table).values(level_rows(server_id, rows)))
        for start, end in gaps:
            await store.execute(insert(schema.gaps).values(
                server_id=server_id, kind="poll", start_at=start, end_at=end,
                reason="lmstat timed out"))
        await store.close()

    asyncio.run(write())


def report(tmp_path, url, *args: str) -> dict:
    return json.loads(lmconsole(tmp_path, url, "report", *args, "--format", "json"))


def figures(document: dict, *keys: str) -> list[tuple]:
    return [tuple(row[key] for key in keys) for row in document["rows"]]


# 2026-03-02 (a Monday) 08:00 to 08:21 UTC, 22 polled minutes, 4 issued; 08:10 and 08:11
# fall in a gap (no rows). None where nothing was in use (no row either).
GAP_MINUTES = [2, 2, 1, None, 1, 1, 2, 1, None, 1, None, None,
               3, 1, 1, 2, None, 1, 1, 2, 1, 1]
T8 = epoch(2026, 3, 2, 8)
GAP = (T8 + 10 * 60, T8 + 12 * 60)
MORNING = ("--from", "2026-03-02T08:00", "--to", "2026-03-02T09:00")


@pytest.fixture
def gapped(url) -> str:
    fill(url, minutes=(T8, GAP_MINUTES), gaps=[GAP])
    return url


def test_concurrency_over_a_gap(tmp_path, gapped):
    document = report(tmp_path, gapped, "concurrency", "--per", "hour", *MORNING,
                      "--tz", "UTC")
    # observed: 08:00 to 08:22 (the first row to the end of the last), less the 2 gap
    # minutes: 20 minutes, 1200 s of the hour's 3600 (33.3 %). Seat-minutes 24 (1 x 11,
    # 2 x 5, 3 x 1) over 20 minutes: 1.2. 17 rows for 20 observed minutes: min 0.
    assert figures(document, "server", "feature", "bucket", "peak", "average", "min",
                   "observed_pct") == [("cad", "Revit", "2026-03-02 08:00", 3, 1.2, 0, 33.3)]
    assert [(gap["start"], gap["end"]) for gap in document["gaps"]] == [
        ("2026-03-02T08:10:00+00:00", "2026-03-02T08:12:00+00:00")]
    assert document["level"] == "minute"


def test_efficiency_over_a_gap(tmp_path, gapped):
    document = report(tmp_path, gapped, "efficiency", *MORNING, "--tz", "UTC")
    # 20 observed minutes at their peak: 0 in 3 (the minutes without a row), 1 in 11,
    # 2 in 5, 3 in 1: exactly 15, 55, 25, 5 %; at least 100, 85, 30, 5 %. At most 2 in
    # 19 of 20 (95 %): 2 seats cover 95 %, 3 cover 99 %.
    assert figures(document, "feature", "seats", "exactly_pct", "at_least_pct", "seats_95",
                   "seats_99") == [("Revit", 0, 15.0, 100.0, 2, 3),
                                   ("Revit", 1, 55.0, 85.0, 2, 3),
                                   ("Revit", 2, 25.0, 30.0, 2, 3),
                                   ("Revit", 3, 5.0, 5.0, 2, 3)]
    rows = list(csv.DictReader(io.StringIO(lmconsole(
        tmp_path, gapped, "report", "efficiency", *MORNING, "--format", "csv"))))
    assert rows[1] == {"server": "cad", "feature": "Revit", "seats": "1",
                       "exactly_pct": "55.0", "at_least_pct": "85.0", "seats_95": "2",
                       "seats_99": "3"}


# Across midnight: 23:57 to 00:02 UTC, in use 1 2 3 | 3, none, 1.
MIDNIGHT = [1, 2, 3, 3, None, 1]
T2357 = epoch(2026, 3, 2, 23, 57)


@pytest.mark.parametrize("tz, expected", [
    # UTC: 2 March holds 23:57-23:59, 180 s observed, 6 seat-minutes: 2.0, least 1;
    # 3 March holds 00:00-00:02, 4 seat-minutes over 3: 1.33, 00:01 without a row: min 0
    ("UTC", [("2026-03-02", 3, 2.0, 1.0, 0.2), ("2026-03-03", 3, 1.33, 0, 0.2)]),
    # Berlin (UTC+1): the six minutes are 00:57-01:02 on 3 March: 10 seat-minutes over 6
    ("Europe/Berlin", [("2026-03-03", 3, 1.67, 0, 0.4)]),
])
def test_concurrency_per_day_across_midnight_on_the_readers_clock(tmp_path, url, tz,
                                                                   expected):
    fill(url, minutes=(T2357, MIDNIGHT))
    document = report(tmp_path, url, "concurrency", "--from", "2026-03-02", "--to",
                      "2026-03-03", "--tz", tz)
    assert figures(document, "bucket", "peak", "average", "min", "observed_pct") == expected


# The night Berlin's clocks go back (2026-10-25, 03:00 CEST to 02:00 CET at 01:00 UTC),
# hours only (the minutes gone): (at, peak, mean)
AUTUMN_HOURS = [(epoch(2026, 10, 24, 23), 1, 1.0),  # 01:00 CEST
                (epoch(2026, 10, 25, 0), 3, 2.0),  # 02:00 CEST
                (epoch(2026, 10, 25, 1), 5, 4.0),  # 02:00 CET
                (epoch(2026, 10, 25, 2), 2, 1.0)]  # 03:00 CET
AUTUMN_DAY = ("--from", "2026-10-25", "--to", "2026-10-25", "--tz", "Europe/Berlin")


def test_concurrency_per_hour_across_the_autumn_dst_change(tmp_path, url):
    fill(url, hours=AUTUMN_HOURS)
    document = report(tmp_path, url, "concurrency", "--per", "hour", *AUTUMN_DAY)
    # 02:00 happens twice: a bucket of 7200 s holding two hours, (2 + 4) x 3600 / 7200 = 3.0,
    # least 2.0. 00:00 (before the first row) is not observed and has no row: left out.
    assert document["level"] == "hour"
    assert figures(document, "bucket", "peak", "average", "min", "observed_pct") == [
        ("2026-10-25 01:00", 1, 1.0, 1.0, 100.0),
        ("2026-10-25 02:00", 5, 3.0, 2.0, 100.0),
        ("2026-10-25 03:00", 2, 1.0, 1.0, 100.0)]


def test_concurrency_per_day_on_the_25_hour_day(tmp_path, url):
    fill(url, hours=AUTUMN_HOURS)
    document = report(tmp_path, url, "concurrency", *AUTUMN_DAY)
    # 4 hours observed (23:00 to 03:00 UTC) of the day's 25: 16.0 %;
    # (1 + 2 + 4 + 1) x 3600 / 14400 = 2.0; the least hour 1.0, every observed hour a row
    assert figures(document, "bucket", "peak", "average", "min", "observed_pct") == [
        ("2026-10-25", 5, 2.0, 1.0, 16.0)]


# The spring change (2026-03-29, 02:00 CET to 03:00 CEST at 01:00 UTC) and, a week later,
# one hour on Sunday 5 April 01:00 CEST: (at, peak, mean)
SPRING_HOURS = [(epoch(2026, 3, 28, 23), 1, 1.0),  # Sun 29 March 00:00 CET
                (epoch(2026, 3, 29, 0), 2, 2.0),  # 01:00 CET
                (epoch(2026, 3, 29, 1), 3, 3.0),  # 03:00 CEST (02:00 never happens)
                (epoch(2026, 3, 29, 2), 4, 4.0),  # 04:00 CEST
                (epoch(2026, 4, 4, 23), 4, 4.0)]  # Sun 5 April 01:00 CEST
SPRING = ("--from", "2026-03-29", "--to", "2026-04-05", "--tz", "Europe/Berlin")


@pytest.mark.parametrize("per, expected", [
    # observed from 28 March 23:00 UTC to 5 April 00:00 UTC (the last row's end).
    # Week of 23 March: Sunday 29 only, 23 hours (167 of 168): 10 seat-hours / 23 = 0.43.
    # Week of 30 March: to 5 April 02:00 CEST, 6 days and 2 hours (146 of 168 h, 86.9 %),
    # 4 / 146 = 0.03
    ("week", [("2026-03-23", 4, 0.43, 0, 13.8), ("2026-03-30", 4, 0.03, 0, 86.9)]),
    # March: 29 March 00:00 to 1 April 00:00, 71 of its 743 hours (9.6 %): 10 / 71 = 0.14;
    # April: 98 of 720 hours (13.6 %): 4 / 98 = 0.04
    ("month", [("2026-03", 4, 0.14, 0, 9.6), ("2026-04", 4, 0.04, 0, 13.6)]),
])
def test_concurrency_per_week_and_month_across_the_spring_dst_change(tmp_path, url, per,
                                                                     expected):
    fill(url, hours=SPRING_HOURS)
    document = report(tmp_path, url, "concurrency", "--per", per, *SPRING)
    assert figures(document, "bucket", "peak", "average", "min", "observed_pct") == expected


@pytest.mark.parametrize("tz, cell", [("UTC", ("Mon", 8)), ("Europe/Berlin", ("Mon", 9))])
def test_heatmap_over_a_gap(tmp_path, gapped, tz, cell):
    document = report(tmp_path, gapped, "heatmap", "--from", "2026-03-02", "--to",
                      "2026-03-02", "--tz", tz)
    # the 20 observed minutes of test_concurrency_over_a_gap, in one hour of a Monday
    assert figures(document, "weekday", "hour", "average", "peak", "observed_h") == [
        (*cell, 1.2, 3, 0.33)]


def test_heatmap_across_the_spring_dst_change(tmp_path, url):
    fill(url, hours=SPRING_HOURS)
    document = report(tmp_path, url, "heatmap", *SPRING)
    cells = {(row["weekday"], row["hour"]): (row["average"], row["peak"], row["observed_h"])
             for row in document["rows"]}
    # observed from Sun 29 March 00:00 CET to Sun 5 April 02:00 CEST: Sunday 0:00 and 1:00
    # twice, 3:00 to 23:00 once (2:00 never: skipped on the 29th, after the last row on
    # the 5th); every hour of Monday to Saturday once: 23 + 6 x 24 = 167 cells
    assert len(cells) == 167 and ("Sun", 2) not in cells
    assert cells[("Sun", 0)] == (0.5, 1, 2.0)  # 1 seat-hour over 2 hours
    assert cells[("Sun", 1)] == (3.0, 4, 2.0)  # (2 + 4) seat-hours over 2
    assert cells[("Sun", 3)] == (3.0, 3, 1.0)
    assert cells[("Sun", 4)] == (4.0, 4, 1.0)
    assert cells[("Sun", 5)] == cells[("Mon", 0)] == cells[("Sat", 23)] == (0.0, 0, 1.0)


@pytest.mark.parametrize("args, said", [
    (("concurrency", "--per", "hour"), "per hour: the history of this period is kept per "
                                       "day only"),
    (("heatmap",), "heatmap: the history of this period is kept per day only"),
    (("concurrency", "--per", "fortnight"), "invalid choice"),
])
def test_buckets_finer_than_the_history_kept_are_refused(tmp_path, url, args, said):
    fill(url, days=[(epoch(2026, 3, 2), 3, 1.5)])
    result = subprocess.run(
        [sys.executable, "-m", "lmconsole", "report", *args, "--from", "2026-03-02",
         "--to", "2026-03-02", "--database", url],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and said in result.stderr, result.stderr


def test_day_buckets_read_from_the_day_level(tmp_path, url):
    fill(url, days=[(epoch(2026, 3, 2), 3, 1.5)])
    # per day it is read from the day level: 1.5 all day
    document = report(tmp_path, url, "concurrency", "--from", "2026-03-02", "--to",
                      "2026-03-02", "--tz", "UTC")
    assert figures(document, "bucket", "peak", "average", "min", "observed_pct") == [
        ("2026-03-02", 3, 1.5, 1.5, 100.0)]


def test_a_concurrency_table_and_csv(tmp_path, gapped):
    table = lmconsole(tmp_path, gapped, "report", "concurrency", "--per", "hour", *MORNING,
                      "--tz", "UTC")
    lines = table.splitlines()
    assert lines[0] == "Seats in use per hour"
    assert "gaps in the period: 1" in table
    assert lines[-2].split() == ["SERVER", "FEATURE", "HOUR", "PEAK", "AVERAGE", "MIN",
                                 "OBSERVED", "%"]
    assert lines[-1].split() == ["cad", "Revit", "2026-03-02", "08:00", "3", "1.2", "0",
                                 "33.3"]
    rows = list(csv.DictReader(io.StringIO(lmconsole(
        tmp_path, gapped, "report", "concurrency", *MORNING, "--tz", "UTC", "--format",
        "csv"))))
    assert rows == [{"server": "cad", "feature": "Revit", "bucket": "2026-03-02",
                     "peak": "3", "average": "1.2", "min": "0", "observed_pct": "1.4"}]


def test_the_command_line_offers_every_bucket():
    from lmconsole.cli.report import PERS
    from lmconsole.reports.clock import PERS as BUCKETS

    assert PERS == BUCKETS
