"""`lmconsole report reservations|borrowing|users` against answers computed by hand, on a
real SQLite file and a real PostgreSQL server: a small debug log imported with `lmconsole
import` (checkouts, two borrowed seats, denials), the idle reservations polls saw on the same
server, and a poll-only server last seen at 11:30. The figures are worked out in the
comments, not taken from the program."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lmconsole.history.store import HistoryStore

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures
from .test_reports import lmconsole

# Server arch, times in UTC on 2 March 2026 (--server-tz UTC). Checkouts: anna AutoCAD
# 8:00-10:00 and Inventor 9:30-13:00; ben borrows AutoCAD to laptop7 from 8:30 (still out)
# and takes a floating one on ws2 10:15-10:45; gina borrows one to laptop9 8:40-11:30; dora
# from 11:00, still open. Denied: frank 8:45, carl 10:20 and 11:20, ivan 10:40, hans 11:40,
# joe 12:30 (AutoCAD); kim@ws9 11:30 and lars 11:35 (Inventor). The log ends at 13:00.
LOG = """\
8:00:00 (lmgrd) TIMESTAMP 3/2/2026
8:00:00 (adskflex) OUT: "AutoCAD" anna@ws1
8:30:00 (adskflex) OUT: "AutoCAD" ben@laptop7  (BORROW)
8:40:00 (adskflex) OUT: "AutoCAD" gina@laptop9  (BORROW)
8:45:00 (adskflex) DENIED: "AutoCAD" frank@ws11  (Licensed number of users already reached. (-4,342))
9:30:00 (adskflex) OUT: "Inventor" anna@ws1
10:00:00 (adskflex) IN: "AutoCAD" anna@ws1
10:15:00 (adskflex) OUT: "AutoCAD" ben@ws2
10:20:00 (adskflex) DENIED: "AutoCAD" carl@ws3  (Licensed number of users already reached. (-4,342))
10:40:00 (adskflex) DENIED: "AutoCAD" ivan@ws7  (Licensed number of users already reached. (-4,342))
10:45:00 (adskflex) IN: "AutoCAD" ben@ws2
11:00:00 (adskflex) OUT: "AutoCAD" dora@ws4
11:20:00 (adskflex) DENIED: "AutoCAD" carl@ws3  (Licensed number of users already reached. (-4,342))
11:30:00 (adskflex) IN: "AutoCAD" gina@laptop9
11:30:00 (adskflex) DENIED: "Inventor" kim@ws9  (Licensed number of users already reached. (-4,342))
11:35:00 (adskflex) DENIED: "Inventor" lars@ws6  (Licensed number of users already reached. (-4,342))
11:40:00 (adskflex) DENIED: "AutoCAD" hans@ws8  (Licensed number of users already reached. (-4,342))
12:30:00 (adskflex) DENIED: "AutoCAD" joe@ws10  (Licensed number of users already reached. (-4,342))
13:00:00 (adskflex) IN: "Inventor" anna@ws1
"""
PERIOD = ("--from", "2026-03-02T09:00", "--to", "2026-03-02T12:00", "--tz", "UTC")
T0 = 1_772_409_600  # 2026-03-02 00:00 UTC
H, M = 3600, 60



def poll_session(server_id: int, feature: str, user: str, start: int, end: int | None,
                 count: int = 1, *, reserved: bool = False, host: str | None = None) -> dict:
    return {"server_id": server_id, "poll_key": f"{feature}\x1f{user}\x1f{start}",
            "feature": feature, "user_name": user, "host": host, "display": None,
            "handle": None, "version": None, "count": count, "borrowed": False,
            "reserved": reserved, "start_at": start, "end_at": end,
            "end_kind": "still_open" if end is None else "seen_by_poll"}


async def fill_polls(url: str) -> None:
    """Idle reservations on arch: GROUP engineers (AutoCAD) 2 seats 8:00-10:30 and 1 seat
    from 11:15, still open; USER carl (AutoCAD) 10:00-10:30; HOST ws9 (Inventor) from 8:50.
    Server cad, polled only, seen 11:00-11:30: erik holds 2 Revit seats from 11:00, anna
    held one 9:00-9:20; GROUP designers reserves one Revit seat from 11:10."""
    store = await HistoryStore.open(url)
    arch = await store.server_id("arch", manager="flexlm", time_zone="UTC")
    cad = await store.server_id("cad", manager="flexlm", time_zone="UTC")
    await store.upsert_poll_sessions([
        poll_session(arch, "AutoCAD", "GROUP engineers", T0 + 8 * H, T0 + 10 * H + 30 * M, 2,
                     reserved=True),
        poll_session(arch, "AutoCAD", "GROUP engineers", T0 + 11 * H + 15 * M, None,
                     reserved=True),
        poll_session(arch, "AutoCAD", "USER carl", T0 + 10 * H, T0 + 10 * H + 30 * M,
                     reserved=True),
        poll_session(arch, "Inventor", "HOST ws9", T0 + 8 * H + 50 * M, None, reserved=True),
        poll_session(cad, "Revit", "erik", T0 + 11 * H, None, 2, host="ws5"),
        poll_session(cad, "Revit", "anna", T0 + 9 * H, T0 + 9 * H + 20 * M, host="ws1"),
        poll_session(cad, "Revit", "GROUP designers", T0 + 11 * H + 10 * M, None,
                     reserved=True)])
    await store.upsert_poll_minutes([
        {"server_id": cad, "feature": "Revit", "at": T0 + 11 * H + n * M, "in_use_peak": 2,
         "in_use_mean": 2.0, "issued": 4, "reserved_idle": 1 if n >= 10 else 0,
         "borrowed": 0, "queued": 0, "from_log": False, "polls": 1} for n in range(30)])
    await store.close()


@pytest.fixture
def history(tmp_path, url) -> str:
    log = tmp_path / "adskflex.log"
    log.write_text(LOG)
    lmconsole(tmp_path, url, "import", str(log), "--server", "arch", "--server-tz", "UTC")
    asyncio.run(fill_polls(url))
    return url


def report(tmp_path: Path, url: str, *args: str, period=PERIOD) -> dict:
    return json.loads(lmconsole(tmp_path, url, "report", *args, *period, "--format", "json"))


def test_reservations_idle_seat_hours_and_the_denials_meanwhile(tmp_path, history):
    rows = report(tmp_path, history, "reservations")["rows"]
    assert rows == [
        # 9:00-10:30 with 2 seats (1.5 h, 3 seat-hours) and 11:15-12:00 with 1 (0.75, 0.75);
        # denied meanwhile: carl 10:20 and 11:20, hans 11:40 (frank 8:45 is before the
        # period, ivan 10:40 between the spells, joe 12:30 after the period)
        {"server": "arch", "feature": "AutoCAD", "reservation": "GROUP engineers",
         "seats": 2, "spells": 2, "idle_hours": 2.25, "idle_seat_hours": 3.75,
         "denials_while_idle": 3, "denied_users": 2},
        # 10:00-10:30; carl's denial at 10:20 is carl's own: not another user's
        {"server": "arch", "feature": "AutoCAD", "reservation": "USER carl", "seats": 1,
         "spells": 1, "idle_hours": 0.5, "idle_seat_hours": 0.5, "denials_while_idle": 0,
         "denied_users": 0},
        # from 8:50, still open: 9:00-12:00 (the log's minutes reach 12:00); kim@ws9 is the
        # reserved host's, lars is another
        {"server": "arch", "feature": "Inventor", "reservation": "HOST ws9", "seats": 1,
         "spells": 1, "idle_hours": 3.0, "idle_seat_hours": 3.0, "denials_while_idle": 1,
         "denied_users": 1},
        # from 11:10, still open, on a server last seen at 11:30: 20 minutes
        {"server": "cad", "feature": "Revit", "reservation": "GROUP designers", "seats": 1,
         "spells": 1, "idle_hours": 0.33, "idle_seat_hours": 0.33, "denials_while_idle": 0,
         "denied_users": 0}]


def test_reservations_denials_of_the_users_asked_for(tmp_path, history):
    rows = report(tmp_path, history, "reservations", "--user", "hans", "--feature", "AutoCAD")
    assert [(r["reservation"], r["denials_while_idle"], r["denied_users"])
            for r in rows["rows"]] == [("GROUP engineers", 1, 1), ("USER carl", 0, 0)]


def test_borrowed_seats_and_a_floating_one_held_meanwhile(tmp_path, history):
    rows = report(tmp_path, history, "borrowing")["rows"]
    assert rows == [
        # still out: 9:00-12:00; ben held a floating AutoCAD on ws2 10:15-10:45 meanwhile
        {"user": "ben", "host": "laptop7", "feature": "AutoCAD", "server": "arch",
         "since": "2026-03-02T08:30:00+00:00", "until": None, "still_out": True,
         "hours": 3.0, "floating_hosts": 1},
        # back at 11:30: 9:00-11:30
        {"user": "gina", "host": "laptop9", "feature": "AutoCAD", "server": "arch",
         "since": "2026-03-02T08:40:00+00:00", "until": "2026-03-02T11:30:00+00:00",
         "still_out": False, "hours": 2.5, "floating_hosts": 0}]
    later = report(tmp_path, history, "borrowing", period=(
        "--from", "2026-03-02T11:00", "--to", "2026-03-02T12:00", "--tz", "UTC"))["rows"]
    # from 11:00 ben's floating seat (back at 10:45) is no longer in the period
    assert [(r["user"], r["hours"], r["floating_hosts"]) for r in later] == [
        ("ben", 1.0, 0), ("gina", 0.5, 0)]


def test_users_hours_seat_hours_and_long_sessions(tmp_path, history):
    rows = {r["user"]: r for r in report(tmp_path, history, "users", "--long", "2.5")["rows"]}
    assert sorted(rows) == ["anna", "ben", "dora", "erik", "gina"]  # no reservation
    # anna: AutoCAD 9:00-10:00 (1 h), Inventor 9:30-12:00 (2.5 h), Revit on cad 9:00-9:20
    # (1/3 h): 3.83 h; the Inventor session is 3.5 h long in all (9:30-13:00): over 2.5
    assert rows["anna"] == {"user": "anna", "sessions": 3, "hours": 3.83, "seat_hours": 3.83,
                            "features": 3, "first": "2026-03-02T09:00:00+00:00",
                            "last": "2026-03-02T12:00:00+00:00", "days_since_last": 0,
                            "long": 1}
    # ben: borrowed 9:00-12:00 (3.5 h since 8:30, but borrowed: not a long session), ws2
    # 10:15-10:45
    assert (rows["ben"]["sessions"], rows["ben"]["hours"], rows["ben"]["long"]) == (2, 3.5, 0)
    # erik: 2 seats from 11:00 on cad, last seen at 11:30: 0.5 h, 1 seat-hour
    assert rows["erik"] == {"user": "erik", "sessions": 1, "hours": 0.5, "seat_hours": 1.0,
                            "features": 1, "first": "2026-03-02T11:00:00+00:00",
                            "last": "2026-03-02T11:30:00+00:00", "days_since_last": 0,
                            "long": 0}
    assert (rows["dora"]["hours"], rows["gina"]["hours"]) == (1.0, 2.5)


def test_users_days_since_last_use(tmp_path, history):
    rows = report(tmp_path, history, "users", "--user", "anna", "--user", "erik", period=(
        "--from", "2026-03-02T09:00", "--to", "2026-03-05T12:00", "--tz", "UTC"))["rows"]
    # anna last held a seat until 13:00 on the 2nd (Inventor 9:30-13:00: 3.5 h, so 4.83 h):
    # 2 days 23 hours before the 5th at noon; erik until 11:30, when cad was last seen: 3 days
    assert [(r["user"], r["hours"], r["last"], r["days_since_last"]) for r in rows] == [
        ("anna", 4.83, "2026-03-02T13:00:00+00:00", 2),
        ("erik", 0.5, "2026-03-02T11:30:00+00:00", 3)]


def test_users_per_host(tmp_path, history):
    rows = report(tmp_path, history, "users", "--per", "host", "--user", "ben")["rows"]
    assert [(r["user"], r["host"], r["sessions"], r["hours"]) for r in rows] == [
        ("ben", "laptop7", 1, 3.0), ("ben", "ws2", 1, 0.5)]


def test_distinct_users_per_day_on_the_readers_clock(tmp_path, history):
    # In Auckland (UTC+13 in March) the 3rd begins at 11:00 UTC on the 2nd. Before: anna,
    # ben, gina (9:00-11:30 UTC spans both days). From 11:00: anna (Inventor to 13:00), ben
    # (borrowed), gina, dora (from 11:00) and erik (from 11:00). The reservations are no one.
    period = ("--from", "2026-03-02", "--to", "2026-03-03", "--tz", "Pacific/Auckland")
    days = report(tmp_path, history, "users", "--distinct", "day", period=period)["rows"]
    assert days == [{"day": "2026-03-02", "users": 3}, {"day": "2026-03-03", "users": 5}]
    months = report(tmp_path, history, "users", "--distinct", "month", period=period)["rows"]
    assert months == [{"month": "2026-03", "users": 5}]


def test_distinct_users_over_more_days_than_one_query_takes(tmp_path, history):
    # 730 days: more than the 500 SELECTs SQLite takes in one UNION ALL; on the 2nd (UTC)
    # anna, ben, dora, erik and gina, no one on any other day
    period = ("--from", "2025-01-01", "--to", "2026-12-31", "--tz", "UTC")
    days = report(tmp_path, history, "users", "--distinct", "day", period=period)["rows"]
    assert len(days) == 730
    assert [day for day in days if day["users"]] == [{"day": "2026-03-02", "users": 5}]


def test_a_people_report_as_a_table(tmp_path, history):
    table = lmconsole(tmp_path, history, "report", "borrowing", *PERIOD)
    assert table.splitlines()[0] == "Borrowed seats"
    assert table.splitlines()[-2].split() == [
        "ben", "laptop7", "AutoCAD", "arch", "2026-03-02", "08:30", "-", "True", "3.0", "1"]


@pytest.mark.parametrize("args, said", [
    (("users", "--long", "0"), "--long 0"),
    (("users", "--long", "inf"), "--long inf"),
    (("users", "--per", "host", "--distinct", "day"), "does not go with --per host"),
    (("users", "--distinct", "week"), "invalid choice"),
    (("users", "--per", "display"), "invalid choice"),
])
def test_bad_input_exits_2_and_says_why(tmp_path, args, said):
    result = subprocess.run([sys.executable, "-m", "lmconsole", "report", *args, "--database",
                             f"sqlite:///{tmp_path / 'h.db'}"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and said in result.stderr, result.stderr
