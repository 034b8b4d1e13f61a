"""`lmconsole report reservations|borrowing|users` against answers computed by hand, on a
real SQLite file and a real PostgreSQL server: a small debug log imported with `lmconsole
import` (checkouts, two borrowed seats, denials), the idle reservations polls saw on the same
server, and a poll-only server last seen at 11:30. The figures are worked out in the
comments, not taken from the program."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmconsole.history.store import HistoryStore

from .postgres import postgres_fixture  # noqa: F401 - registers `postgres`

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


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return request.getfixturevalue("postgres").new_database()


def lmconsole(tmp_path: Path, url: str, *args: str) -> str:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "lmconsole", *args, "--database", url],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


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


def test_a_people_report_as_a_table(tmp_path, history):
    table = lmconsole(tmp_path, history, "report", "borrowing", *PERIOD)
    assert table.splitlines()[0] == "Borrowed seats"
    assert table.splitlines()[-2].split() == [
        "ben", "laptop7", "AutoCAD", "arch", "2026-03-02", "08:30", "-", "True", "3.0", "1"]
