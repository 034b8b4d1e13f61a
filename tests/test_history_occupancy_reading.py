"""The occupancy an import counts as it reads, against the sweep over the sessions written
(`count_imported`, which imports used before): after each import the minute, hour and day
rows are dumped, counted again by the sweep over the same span, and dumped again: the two
must be the same, row for row and byte for byte. The corpus logs, generated busy logs, and
logs written here for the moments that are easy to get wrong: seats ending together at a
minute's start, a seat taken and given back in one second, a restart, files given out of
order, files that overlap and a file imported again. On PostgreSQL the hours' and days'
means may differ in their last bit (the order of a sum), not more."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lmconsole.adapters import ADAPTERS
from lmconsole.history import schema
from lmconsole.history.importer import Importer
from lmconsole.history.occupancy import ReadingCount, count_imported, minutes_in_use
from lmconsole.history.store import HistoryStore

from .corpus import corpus_file
from .postgres import postgres_fixture  # noqa: F401 - registers `postgres`

CORPUS = [corpus_file("flexlm", "debuglog", name) for name in (
    "upm_adskflex_reread_dup_vendor_unsupported_mixed_time_format_EXCERPT.log.txt",
    "upm_mlm_unsupported_hex_out_in_EXCERPT.log.txt",
    "upm_maplelmg_mixed_versions_blank_line_localized_tz_EXCERPT.log.txt")]
LEVELS = (schema.occupancy_minute, schema.occupancy_hour, schema.occupancy_day)
NOW = datetime(2027, 1, 4, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request, tmp_path):
    """A function that gives the URL of a new, empty database each time."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres").new_database
    names = (f"sqlite:///{tmp_path / f'history-{n}.db'}" for n in itertools.count())
    return lambda: next(names)


def named(row: tuple, table=schema.occupancy_minute) -> dict:
    return dict(zip((column.name for column in table.columns), row))


async def levels(store: HistoryStore) -> list[list[tuple]]:
    """Every row of the three levels, every column, in a fixed order."""
    return [[tuple(row) for row in await store.rows(
                select(table).order_by(table.c.server_id, table.c.feature, table.c.at))]
            for table in LEVELS]


async def import_and_sweep(database: str, *imports: list[Path],
                           tz: str = "Europe/Madrid") -> list[list[list[tuple]]]:
    """Each list of files imported in turn; after each, the levels as the import counted
    them are checked against the sweep's over the same span. The levels after each."""
    store = await HistoryStore.open(database)
    after = []
    try:
        for files in imports:
            importer = Importer(store, ADAPTERS["flexlm"], server="upm", tz=ZoneInfo(tz),
                                time_zone=tz, now=NOW)
            summary = await importer.run(files)
            assert not summary.refused
            counted = await levels(store)
            server = await store.server_id("upm", manager="flexlm", time_zone=tz)
            since = int(summary.first_at.timestamp())
            until = int(summary.written_to.timestamp()) + 1  # its last timed line
            assert await count_imported(store, server, since, until) == summary.minutes
            for table, read, swept in zip(LEVELS, counted, await levels(store)):
                if store.dialect != "sqlite" and table is not schema.occupancy_minute:
                    # PostgreSQL's sum() of the minutes' means goes in the order their rows
                    # lie, which an UPDATE changes: the last bit of an hour's mean may too
                    swept = [pytest.approx(row, rel=1e-12) for row in swept]
                assert read == swept, table.name
            after.append(counted)
    finally:
        await store.close()
    return after


def write_log(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_corpus_logs_one_by_one_and_together(new_database):
    asyncio.run(import_and_sweep(new_database(), *([log] for log in CORPUS)))
    [(minutes, _hours, _days)] = asyncio.run(import_and_sweep(new_database(), CORPUS[::-1]))
    assert len(minutes) > 100  # the logs held seats: there is something to compare


# Seats a, b and c end at 10:01:00, the start of a minute, d one second later; e is taken
# and given back in the same second (nothing held), f is taken as a ends. The minute of
# 10:01 held two seats at most (d and f), never the level between the ends.
TOGETHER = """\
 9:59:00 (lmgrd) TIMESTAMP 3/2/2026
10:00:10 (adskflex) OUT: "CAD" a@h1
10:00:20 (adskflex) OUT: "CAD" b@h2  (2 licenses)
10:00:30 (adskflex) OUT: "CAD" c@h3
10:00:40 (adskflex) OUT: "CAD" d@h4
10:01:00 (adskflex) IN: "CAD" a@h1
10:01:00 (adskflex) OUT: "CAD" f@h6
10:01:00 (adskflex) IN: "CAD" b@h2  (2 licenses)
10:01:00 (adskflex) IN: "CAD" c@h3
10:01:01 (adskflex) IN: "CAD" d@h4
10:01:30 (adskflex) OUT: "CAD" e@h5
10:01:30 (adskflex) IN: "CAD" e@h5
10:02:00 (adskflex) IN: "CAD" f@h6
"""


def test_seats_ending_together_leave_the_peak_of_what_stays(new_database, tmp_path):
    log = write_log(tmp_path / "together.log", TOGETHER)
    [(minutes, _hours, _days)] = asyncio.run(import_and_sweep(new_database(), [log],
                                                              tz="UTC"))
    minute = int(datetime(2026, 3, 2, 10, 1, tzinfo=UTC).timestamp())
    counted = {row["at"]: (row["in_use_peak"], row["in_use_mean"])
               for row in map(named, minutes)}
    assert counted[minute - 60] == (5, pytest.approx((50 + 2 * 40 + 30 + 20) / 60))
    # d and f: a, b and c gone at its first second; d for 1 s, f all minute
    assert counted[minute] == (2, pytest.approx((1 + 60) / 60))


RESTARTED = """\
 9:59:00 (lmgrd) TIMESTAMP 3/2/2026
10:00:10 (adskflex) OUT: "CAD" a@h1
10:00:20 (adskflex) OUT: "FEM" b@h2  (3 licenses)
23:59:30 (adskflex) OUT: "CAD" c@h3
 0:00:30 (lmgrd) REStarted adskflex (internet tcp_port 27009 pid 77)
 0:00:30 (adskflex) OUT: "CAD" a@h1
 0:02:10 (adskflex) OUT: "FEM" d@h4
"""


def test_a_restart_across_midnight_and_seats_open_at_the_end(new_database, tmp_path):
    log = write_log(tmp_path / "restarted.log", RESTARTED)
    [(minutes, _hours, _days)] = asyncio.run(import_and_sweep(new_database(), [log],
                                                              tz="UTC"))
    midnight = int(datetime(2026, 3, 3, tzinfo=UTC).timestamp())
    assert [(row["feature"], row["at"] - midnight, row["in_use_peak"], row["in_use_mean"])
            for row in map(named, minutes) if row["at"] >= midnight] == [
        ("CAD", 0, 2, 1.5),  # a and c up to the restart at 0:00:30, a's new seat after it
        ("CAD", 60, 1, 1.0),  # held to the end
        ("CAD", 120, 1, 11 / 60),  # to the end of the last line's second, 0:02:10
        ("FEM", 0, 3, 1.5),  # b's three seats, ended by the restart
        ("FEM", 120, 1, 1 / 60)]  # d, taken in the last second


EARLY = """\
 8:00:00 (lmgrd) TIMESTAMP 3/2/2026
 8:00:10 (adskflex) OUT: "CAD" a@h1
 9:00:00 (adskflex) OUT: "CAD" b@h2
 9:30:00 (adskflex) IN: "CAD" b@h2
"""
LATE = """\
12:00:00 (lmgrd) TIMESTAMP 3/2/2026
12:00:10 (adskflex) OUT: "CAD" c@h3
12:10:00 (adskflex) IN: "CAD" a@h1
13:00:00 (adskflex) IN: "CAD" c@h3
 9:00:00 (lmgrd) TIMESTAMP 3/3/2026
 9:00:10 (adskflex) OUT: "FEM" d@h4
"""
OVERLAPPING = """\
 8:30:00 (lmgrd) TIMESTAMP 3/2/2026
 8:30:10 (adskflex) OUT: "CAD" e@h5
12:05:00 (adskflex) IN: "CAD" e@h5
"""


def test_files_in_any_order_one_after_another_overlapping_and_again(new_database,
                                                                       tmp_path):
    early = write_log(tmp_path / "early.log", EARLY)
    late = write_log(tmp_path / "late.log", LATE)
    overlapping = write_log(tmp_path / "overlapping.log", OVERLAPPING)
    [(_minutes, _hours, days)] = asyncio.run(import_and_sweep(new_database(), [late, early]))
    # a's seat, taken in the early log, is given back in the late one, under b's and c's
    assert [(row["feature"], row["in_use_peak"]) for row in map(named, days)] == [
        ("CAD", 2), ("FEM", 1)]
    one_by_one = asyncio.run(import_and_sweep(
        new_database(),
        [early],  # a left open
        [late],  # which closes it: the day it was open in is counted again
        [late],  # again: nothing changes
        [overlapping],  # a seat among those of the other two
        [early, late, overlapping]))
    assert one_by_one[1] == one_by_one[2]


def generated(path: Path, workload: str, days: int, per_day: int) -> Path:
    """bench/debuglog.py's generated busy log (the import benchmark's)."""
    bench = Path(__file__).resolve().parents[1] / "bench" / "debuglog.py"
    spec = importlib.util.spec_from_file_location("bench_debuglog", bench)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = getattr(module, workload)(days, per_day, 3)
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.mark.parametrize("workload", ["seated_lines", "generated_lines"])
def test_a_generated_busy_log(workload, tmp_path):
    log = generated(tmp_path / "busy.log", workload, days=4, per_day=6_000)
    [whole] = asyncio.run(import_and_sweep(f"sqlite:///{tmp_path / 'whole.db'}", [log],
                                           tz="Europe/Berlin"))
    assert len(whole[0]) > 4 * 1440  # seats in use most minutes
    # its two halves, one after the other: the second closes what the first left open
    text = log.read_text().splitlines(keepends=True)
    middle = next(n for n in itertools.count(len(text) // 2) if "TIMESTAMP" in text[n])
    first = write_log(tmp_path / "first.log", "".join(text[:middle]))
    second = write_log(tmp_path / "second.log", "".join(text[middle:]))
    halves = asyncio.run(import_and_sweep(f"sqlite:///{tmp_path / 'halves.db'}", [first],
                                          [second], tz="Europe/Berlin"))
    assert halves[-1] == whole


# Two daemons serving one feature write their lines a little out of order: the changes of
# CAD step back 20 s, then forward again.
OUT_OF_ORDER = """\
 9:59:00 (lmgrd) TIMESTAMP 3/2/2026
10:00:10 (vendA) OUT: "CAD" a@h1
10:00:50 (vendA) OUT: "CAD" b@h2
10:00:30 (vendB) OUT: "CAD" c@h3
10:00:40 (vendB) IN: "CAD" c@h3
10:01:30 (vendA) IN: "CAD" a@h1
10:03:00 (vendA) IN: "CAD" b@h2
"""


def test_lines_a_little_out_of_order(new_database, tmp_path):
    log = write_log(tmp_path / "out-of-order.log", OUT_OF_ORDER)
    [(minutes, _hours, _days)] = asyncio.run(import_and_sweep(new_database(), [log],
                                                              tz="UTC"))
    assert [row["in_use_peak"] for row in map(named, minutes)] == [2, 2, 1]


OUT_OF_ORDER_LAST = """\
 9:59:00 (lmgrd) TIMESTAMP 3/2/2026
10:00:10 (vendA) OUT: "CAD" a@h1
10:00:50 (vendB) OUT: "FEM" b@h2
10:00:30 (vendA) IN: "CAD" a@h1
"""


def test_a_last_line_earlier_than_the_one_before(new_database, tmp_path):
    log = write_log(tmp_path / "out-of-order-last.log", OUT_OF_ORDER_LAST)
    [(minutes, _hours, _days)] = asyncio.run(import_and_sweep(new_database(), [log],
                                                              tz="UTC"))
    # the import ends at 10:00:51, after the latest line read (10:00:50), not the last one:
    # b's seat, still out, is held to there, as the sweep holds it
    assert [(row["feature"], row["in_use_peak"], row["in_use_mean"])
            for row in map(named, minutes) if row["in_use_peak"]] == [
        ("CAD", 1, pytest.approx(20 / 60)), ("FEM", 1, pytest.approx(1 / 60))]


# ---- the count itself, against the sweep ---------------------------------------------------

spans = st.lists(st.tuples(st.integers(0, 400), st.integers(0, 200), st.integers(1, 3),
                           st.booleans()), max_size=12)


@settings(max_examples=300, deadline=None)
@given(spans, st.randoms(use_true_random=False))
def test_changes_in_time_order_count_what_the_sweep_counts(drawn, random):
    spans = sorted((start, start + length, seats, borrowed)
                   for start, length, seats, borrowed in drawn)
    changes = [(start, seats, seats if borrowed else 0)
               for start, _end, seats, borrowed in spans]
    changes += [(end, -seats, -seats if borrowed else 0)
                for _start, end, seats, borrowed in spans]
    random.shuffle(changes)
    changes.sort(key=lambda change: change[0])  # a second's own in any order
    count = ReadingCount(1)
    for at, seats, borrowed in changes:
        count.change("CAD", at, seats, borrowed)
    count.finish(max((end for _start, end, _seats, _borrowed in spans), default=0) + 1)
    assert [row[2:6] for row in count.rows] == list(minutes_in_use(spans))
    assert not count.recount_days and not count.spoiled


def test_a_change_earlier_than_the_last_has_its_days_counted_again():
    count = ReadingCount(1)
    day = 86400
    count.change("CAD", 3 * day + 10, 1, 0)
    count.change("CAD", 3 * day + 20, -1, 0)
    count.change("CAD", 2 * day + 5, 1, 0)  # the day before
    assert count.recount_days == {2 * day, 3 * day}
