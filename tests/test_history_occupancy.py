"""Seats in use per minute, hour and day: the sweep over sessions against figures worked out
by hand, the same after an import on SQLite and on PostgreSQL, polls averaged within a
minute, roll-ups and retention (a frozen `now`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lmconsole.adapters import ADAPTERS
from lmconsole.history import schema
from lmconsole.history.importer import Importer
from lmconsole.history.occupancy import (
    PollFigures,
    Retention,
    apply_retention,
    count_from_sessions,
    minutes_in_use,
    poll_minutes,
    roll_up,
)
from lmconsole.history.store import HistoryStore

from .postgres import postgres_fixture  # noqa: F401 - registers `postgres`

T0 = int(datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp())  # a Monday, 10:00 UTC

LOG = """\
 9:59:00 (lmgrd) TIMESTAMP 3/2/2026
10:00:30 (adskflex) OUT: "AutoCAD" a@h1
10:01:00 (adskflex) OUT: "AutoCAD" b@h2
10:01:30 (adskflex) IN: "AutoCAD" b@h2
10:02:00 (adskflex) IN: "AutoCAD" a@h1
10:59:30 (adskflex) OUT: "Revit" c@h3
11:00:30 (adskflex) IN: "Revit" c@h3
"""


# ---- the sweep ---------------------------------------------------------------------------------

def test_a_minute_has_the_peak_and_the_time_weighted_mean_of_its_seats():
    spans = [(30, 120, 1, False),  # one seat from 0:30 to 2:00
             (60, 90, 2, True)]  # two borrowed seats from 1:00 to 1:30
    assert list(minutes_in_use(spans)) == [(0, 1, 0.5, 0),  # 30 s of one seat
                                     (60, 3, 2.0, 2)]  # 60 s of one + 30 s of two: 120/60


def test_a_seat_held_across_minutes_fills_each_and_ends_where_it_ends():
    rows = list(minutes_in_use([(0, 2 * 3600, 1, False)]))
    assert len(rows) == 120 and rows[0] == (0, 1, 1.0, 0) and rows[-1] == (7140, 1, 1.0, 0)


def test_seats_ending_at_a_minute_s_start_all_leave_its_peak():
    # one and two borrowed seats end together at 1:00, one stays to 1:30: the minute from
    # 1:00 held one seat, whichever of the two ending was taken first
    spans = [(0, 60, 1, True), (0, 60, 2, True), (30, 90, 1, False)]
    assert list(minutes_in_use(spans)) == [(0, 4, 3.5, 3), (60, 1, 0.5, 0)]


def test_the_minutes_come_as_they_are_counted_not_after_the_whole_span():
    ten_years = 10 * 365 * 86400  # 5,256,000 minutes: a list of them would take seconds
    first = list(itertools.islice(minutes_in_use([(0, ten_years, 1, False)]), 3))
    assert first == [(0, 1, 1.0, 0), (60, 1, 1.0, 0), (120, 1, 1.0, 0)]


def test_seats_one_after_the_other_do_not_overlap_and_empty_minutes_have_no_row():
    assert list(minutes_in_use([(10, 20, 1, False), (20, 30, 1, False)])) == [(0, 1, 20 / 60, 0)]
    assert list(minutes_in_use([(10, 20, 1, False), (130, 140, 1, False)])) == [
        (0, 1, 10 / 60, 0), (120, 1, 10 / 60, 0)]
    assert list(minutes_in_use([(50, 50, 1, False)])) == []  # nothing held for any time


# ---- after an import, on both engines ------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return request.getfixturevalue("postgres").new_database()


async def imported(database: str, log) -> list:
    store = await HistoryStore.open(database)
    try:
        importer = Importer(store, ADAPTERS["flexlm"], server="office", tz=UTC,
                            time_zone="UTC", now=datetime(2026, 3, 3, tzinfo=UTC))
        await importer.run([log])
        return [await store.rows(select(t.c.feature, t.c.at - T0, t.c.in_use_peak,
                                        t.c.in_use_mean, t.c.from_log)
                                 .order_by(t.c.feature, t.c.at))
                for t in (schema.occupancy_minute, schema.occupancy_hour,
                          schema.occupancy_day)]
    finally:
        await store.close()


def test_an_import_counts_minutes_hours_and_days_as_worked_out_by_hand(database, tmp_path):
    log = tmp_path / "adskflex.log"
    log.write_text(LOG)
    minutes, hours, days = asyncio.run(imported(database, log))
    assert [tuple(row) for row in minutes] == [
        ("AutoCAD", 0, 1, 0.5, True),  # a from 10:00:30
        ("AutoCAD", 60, 2, 1.5, True),  # a all minute, b for 30 s
        ("Revit", 59 * 60, 1, 0.5, True),
        ("Revit", 60 * 60, 1, 0.5, True)]
    assert [tuple(row) for row in hours] == [
        ("AutoCAD", 0, 2, pytest.approx(2 / 60), True),  # 2 seat-minutes in 60 minutes
        ("Revit", 0, 1, pytest.approx(0.5 / 60), True),
        ("Revit", 3600, 1, pytest.approx(0.5 / 60), True)]
    day = -10 * 3600  # midnight UTC
    assert [tuple(row) for row in days] == [
        ("AutoCAD", day, 2, pytest.approx(2 / 60 / 24), True),
        ("Revit", day, 1, pytest.approx(1 / 60 / 24), True)]
    # imported again: the same rows, nothing counted twice
    assert asyncio.run(imported(database, log)) == [minutes, hours, days]


# ---- counted from sessions, on both engines --------------------------------------------------

MIDNIGHT = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())
UNTIL = MIDNIGHT + 180  # the moment the count is made up to
SESSIONS = [  # (feature, start, end, count, borrowed), seconds from midnight
    ("CAD", -90, 75, 1, False),  # across midnight: an hour and a day end under it
    ("CAD", -60, -15, 2, False),  # two seats, under the first
    ("CAD", 30, 120, 1, True),  # a borrowed seat
    ("FEM", 20, None, 3, False)]  # three seats, still open: held up to UNTIL
# worked out by hand: (feature, minute, peak, mean, borrowed)
MINUTES = [
    ("CAD", -120, 1, 0.5, 0),  # 30 s of one seat
    ("CAD", -60, 3, 2.5, 0),  # 60 s of one + 45 s of two: 150 seat-seconds
    ("CAD", 0, 2, 1.5, 1),  # 60 s of one + 30 s of the borrowed one
    ("CAD", 60, 2, 1.25, 1),  # 15 s + 60 s; at 2:00 the borrowed seat is returned
    ("FEM", 0, 3, 2.0, 0),  # 40 s of three
    ("FEM", 60, 3, 3.0, 0), ("FEM", 120, 3, 3.0, 0)]
HOURS = [  # an hour's mean: its minutes' seat-minutes over its 60 minutes
    ("CAD", -3600, 3, pytest.approx(3.0 / 60), 0),
    ("CAD", 0, 2, pytest.approx(2.75 / 60), 1),
    ("FEM", 0, 3, pytest.approx(8.0 / 60), 0)]
DAYS = [  # a day's mean: its hours' over 24
    ("CAD", -86400, 3, pytest.approx(3.0 / 60 / 24), 0),
    ("CAD", 0, 2, pytest.approx(2.75 / 60 / 24), 1),
    ("FEM", 0, 3, pytest.approx(8.0 / 60 / 24), 0)]


async def with_sessions(database: str, sessions=SESSIONS) -> tuple[HistoryStore, int, int]:
    """The store, a server and its log with these sessions."""
    store = await HistoryStore.open(database)
    server = await store.server_id("office", manager="flexlm", time_zone="UTC")
    source = await store.source(server, "log-1", 5, "debug.log", lambda _n: "log-1", 0)
    await write_sessions(store, server, source.id, sessions)
    return store, server, source.id


async def write_sessions(store: HistoryStore, server: int, source: int, sessions) -> None:
    await store.write([], [], [
        {"server_id": server, "source_id": source, "byte_offset": offset, "feature": feature,
         "daemon": "vendor", "user_name": f"user{offset}", "host": "h", "count": count,
         "borrowed": borrowed, "start_at": MIDNIGHT + start,
         "end_at": None if end is None else MIDNIGHT + end,
         "end_kind": "still_open" if end is None else "in", "end_reason": None}
        for offset, (feature, start, end, count, borrowed) in enumerate(sessions)])


async def levels(store: HistoryStore) -> list[list[tuple]]:
    """The rows of the minute, hour and day levels, as (feature, at from midnight, peak,
    mean, borrowed)."""
    return [[tuple(row) for row in await store.rows(
                select(t.c.feature, t.c.at - MIDNIGHT, t.c.in_use_peak, t.c.in_use_mean,
                       t.c.borrowed).order_by(t.c.feature, t.c.at))]
            for t in (schema.occupancy_minute, schema.occupancy_hour, schema.occupancy_day)]


def test_sessions_counted_per_minute_and_rolled_up_as_worked_out_by_hand(database):
    async def scenario():
        store, server, _source = await with_sessions(database)
        try:
            written = await count_from_sessions(store, server, MIDNIGHT - 3600, UNTIL)
            await roll_up(store, MIDNIGHT - 3600, UNTIL, server)
            first = await levels(store)
            # counted and rolled up again, whole and in part: the same rows
            await count_from_sessions(store, server, MIDNIGHT - 3600, UNTIL)
            await count_from_sessions(store, server, MIDNIGHT + 30, MIDNIGHT + 90)
            await roll_up(store, MIDNIGHT - 3600, UNTIL, server)
            return written, first, await levels(store)
        finally:
            await store.close()

    written, first, again = asyncio.run(scenario())
    assert written == len(MINUTES)
    assert first == [MINUTES, HOURS, DAYS]
    assert again == first


def test_a_session_ended_since_the_last_count_empties_the_minutes_after_its_end(database):
    async def scenario():
        store, server, source = await with_sessions(database)
        try:
            await count_from_sessions(store, server, MIDNIGHT - 3600, UNTIL)
            # the open FEM session's IN is read: it ended at 1:30
            await write_sessions(store, server, source, [*SESSIONS[:3], ("FEM", 20, 90, 3,
                                                                        False)])
            await count_from_sessions(store, server, MIDNIGHT - 3600, UNTIL)
            await roll_up(store, MIDNIGHT - 3600, UNTIL, server)
            return await levels(store)
        finally:
            await store.close()

    minutes, hours, _days = asyncio.run(scenario())
    assert [row for row in minutes if row[0] == "FEM"] == [
        ("FEM", 0, 3, 2.0, 0), ("FEM", 60, 3, 1.5, 0),  # 30 s of three
        ("FEM", 120, 0, 0.0, 0)]  # counted before, nothing in use now
    assert hours[-1] == ("FEM", 0, 3, pytest.approx(3.5 / 60), 0)


# ---- polls, and what is kept -------------------------------------------------------------------

def test_polls_in_one_minute_are_averaged_and_a_poll_stands_for_the_minutes_before(database):
    async def scenario():
        store = await HistoryStore.open(database)
        try:
            server = await store.server_id("office", manager="flexlm", time_zone="UTC")
            figures = [PollFigures("AutoCAD", 3, 10, 1, 0, 2)]
            await store.upsert_poll_minutes(poll_minutes(server, T0 + 5, None, 30, figures))
            await store.upsert_poll_minutes(poll_minutes(
                server, T0 + 35, T0 + 5, 30, [PollFigures("AutoCAD", 5, 10, 0, 1, 0)]))
            # the next poll, three minutes later (sample and hold: it stands for 10:01-10:03)
            await store.upsert_poll_minutes(poll_minutes(
                server, T0 + 215, T0 + 35, 90, [PollFigures("AutoCAD", 1, 10, 0, 0, 0)]))
            m = schema.occupancy_minute
            return await store.rows(select(m.c.at - T0, m.c.in_use_peak, m.c.in_use_mean,
                                           m.c.issued, m.c.reserved_idle, m.c.borrowed,
                                           m.c.queued, m.c.polls).order_by(m.c.at))
        finally:
            await store.close()

    assert [tuple(row) for row in asyncio.run(scenario())] == [
        (0, 5, 4.0, 10, 1, 1, 2, 2),  # two polls: mean 4, the most seen of the rest
        (60, 1, 1.0, 10, 0, 0, 0, 1), (120, 1, 1.0, 10, 0, 0, 0, 1),
        (180, 1, 1.0, 10, 0, 0, 0, 1)]


def poll(at: int, in_use: int, issued: int, reserved_idle: int, borrowed: int,
         queued: int) -> dict:
    return {"feature": "CAD", "at": at, "in_use": in_use, "issued": issued,
            "reserved_idle": reserved_idle, "borrowed": borrowed, "queued": queued}


def test_the_recorders_polls_of_one_minute_combine(database):
    async def scenario():
        store = await HistoryStore.open(database)
        try:
            server = await store.server_id("office", manager="flexlm", time_zone="UTC")
            await store.write_poll_minutes(server, [poll(MIDNIGHT, 2, 10, 1, 0, 0),
                                                    poll(MIDNIGHT, 4, 10, 0, 1, 2)])
            await store.write_poll_minutes(server, [poll(MIDNIGHT, 3, 12, 0, 0, 1)])
            m = schema.occupancy_minute
            return await store.rows(select(
                m.c.at - MIDNIGHT, m.c.in_use_peak, m.c.in_use_mean, m.c.issued,
                m.c.reserved_idle, m.c.borrowed, m.c.queued, m.c.polls, m.c.from_log))
        finally:
            await store.close()

    # in use: the most and the mean of three polls; the rest: the most seen
    assert [tuple(row) for row in asyncio.run(scenario())] == [
        (0, 4, 3.0, 12, 1, 1, 2, 3, False)]


@pytest.mark.parametrize("polled_first", [True, False])
def test_a_logs_seats_stand_and_polls_add_what_it_cannot_tell_whatever_comes_first(
        database, polled_first):
    async def scenario():
        store, server, _source = await with_sessions(database, [("CAD", 0, 60, 1, False)])
        try:
            async def polled():
                await store.write_poll_minutes(server, [poll(MIDNIGHT, 5, 10, 1, 2, 3)])

            if polled_first:
                await polled()
            await count_from_sessions(store, server, MIDNIGHT, MIDNIGHT + 60)
            if not polled_first:
                await polled()
            m = schema.occupancy_minute
            return await store.rows(select(
                m.c.in_use_peak, m.c.in_use_mean, m.c.issued, m.c.reserved_idle,
                m.c.borrowed, m.c.queued, m.c.polls, m.c.from_log))
        finally:
            await store.close()

    assert [tuple(row) for row in asyncio.run(scenario())] == [(1, 1.0, 10, 1, 0, 3, 1, True)]


def test_a_poll_after_a_long_silence_stands_for_its_own_minute_only():
    rows = poll_minutes(1, T0 + 3600, T0, 30, [PollFigures("AutoCAD", 1, 10, 0, 0, 0)])
    assert [row["at"] - T0 for row in rows] == [3600]


def test_retention_deletes_what_is_older_than_its_level_keeps(database, tmp_path):
    log = tmp_path / "adskflex.log"
    log.write_text(LOG)
    asyncio.run(imported(database, log))

    async def scenario():
        store = await HistoryStore.open(database)
        try:
            now = T0 + 91 * 86400  # 91 days on: minutes (90 days) go, hours and days stay
            deleted = await apply_retention(store, Retention(), now)
            await roll_up(store, T0, T0 + 7200)  # rolling up again changes nothing
            left = [len(await store.rows(select(t))) for t in (
                schema.events, schema.occupancy_minute, schema.occupancy_hour,
                schema.occupancy_day, schema.sessions)]
            return deleted, left
        finally:
            await store.close()

    deleted, left = asyncio.run(scenario())
    assert deleted == {"events": 0, "occupancy_minute": 4, "occupancy_hour": 0}
    assert left == [6, 0, 3, 2, 3]


def test_each_level_keeps_what_is_younger_than_its_retention_to_the_second(database):
    async def scenario():
        store, server, _source = await with_sessions(database)
        try:
            await count_from_sessions(store, server, MIDNIGHT - 3600, UNTIL)
            await roll_up(store, MIDNIGHT - 3600, UNTIL, server)
            now = MIDNIGHT + 2 * 3600 + 120
            deleted = await apply_retention(
                store, Retention(events=None, minutes=2 * 3600, hours=3 * 3600, days=None),
                now)
            return deleted, await levels(store)
        finally:
            await store.close()

    deleted, (minutes, hours, days) = asyncio.run(scenario())
    # minutes before 0:02 go, the one at 0:02 stays; the hour before midnight goes
    assert deleted == {"occupancy_minute": 6, "occupancy_hour": 1}
    assert minutes == [("FEM", 120, 3, 3.0, 0)]
    assert hours == HOURS[1:]
    assert days == DAYS  # kept for ever


def test_a_later_import_into_an_hour_whose_minutes_are_gone_rolls_it_up_whole(database,
                                                                              tmp_path):
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    first.write_text(LOG)
    second.write_text("10:29:00 (lmgrd) TIMESTAMP 3/2/2026\n"
                      '10:30:00 (adskflex) OUT: "AutoCAD" d@h4\n'
                      '10:31:00 (adskflex) IN: "AutoCAD" d@h4\n')

    async def forget_the_minutes():
        store = await HistoryStore.open(database)
        try:
            await apply_retention(store, Retention(), T0 + 91 * 86400)
        finally:
            await store.close()

    asyncio.run(imported(database, first))
    asyncio.run(forget_the_minutes())
    _minutes, hours, days = asyncio.run(imported(database, second))
    # 10:00: a and b's 2 seat-minutes, counted again from their sessions, and d's 1
    assert hours[0] == ("AutoCAD", 0, 2, pytest.approx(3 / 60), True)
    assert days[0] == ("AutoCAD", -10 * 3600, 2, pytest.approx(3 / 60 / 24), True)


def test_a_session_open_at_the_end_of_an_import_is_held_to_its_last_line_only(database,
                                                                               tmp_path):
    log = tmp_path / "adskflex.log"
    log.write_text(" 9:59:00 (lmgrd) TIMESTAMP 3/2/2026\n"
                   '10:00:30 (adskflex) OUT: "AutoCAD" a@h1\n'
                   '10:01:30 (adskflex) OUT: "Revit" c@h3\n'
                   '10:01:59 (adskflex) IN: "Revit" c@h3\n')
    minutes, _hours, _days = asyncio.run(imported(database, log))
    assert [tuple(row) for row in minutes] == [  # a's seat: up to 10:02:00, not midnight
        ("AutoCAD", 0, 1, 0.5, True), ("AutoCAD", 60, 1, 1.0, True),
        ("Revit", 60, 1, pytest.approx(29 / 60), True)]


# ---- history info ------------------------------------------------------------------------------

def test_history_info_says_how_long_each_level_is_kept(tmp_path):
    config = tmp_path / "lmconsole.toml"
    config.write_text('[retention]\nminutes = "30d"\nevents = "forever"\n')

    def info(*format_option: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "lmconsole", "--config", str(config), "history", "info",
             "--database", f"sqlite:///{tmp_path / 'history.db'}", *format_option],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")})
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert json.loads(info("--format", "json"))["retention"] == {
        "events": "forever", "minutes": "30d", "hours": "3y", "days": "forever"}
    assert "retention       events forever, minutes 30d, hours 3y, days forever\n" in info()
