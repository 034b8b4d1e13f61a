"""`lmconsole report` against answers computed by hand, on a real SQLite file and a real
PostgreSQL server: a small debug log imported with `lmconsole import` (sessions, denials and
the seats in use per minute, as an admin fills the history), and a poll-only server's
minutes. The figures below are worked out in the comments, not taken from the program."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmconsole.history.store import HistoryStore

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures

# Times in UTC (--server-tz UTC). Seats: anna 8:00-9:00, ben 8:30-9:30, dora 9:10:04-9:40.
# carl is denied at 9:00:05 (true) and again at 9:00:08 (a repeat: false); dora is denied at
# 9:10:00 and gets a seat 4 s later (false); erik is denied at 10:00:00 (true), the log's
# last line.
LOG = """\
8:00:00 (lmgrd) TIMESTAMP 3/2/2026
8:00:00 (adskflex) OUT: "AutoCAD" anna@ws1
8:30:00 (adskflex) OUT: "AutoCAD" ben@ws2
9:00:00 (adskflex) IN: "AutoCAD" anna@ws1
9:00:05 (adskflex) DENIED: "AutoCAD" carl@ws3  (Licensed number of users already reached. (-4,342))
9:00:08 (adskflex) DENIED: "AutoCAD" carl@ws3  (Licensed number of users already reached. (-4,342))
9:10:00 (adskflex) DENIED: "AutoCAD" dora@ws4  (Licensed number of users already reached. (-4,342))
9:10:04 (adskflex) OUT: "AutoCAD" dora@ws4
9:30:00 (adskflex) IN: "AutoCAD" ben@ws2
9:40:00 (adskflex) IN: "AutoCAD" dora@ws4
10:00:00 (adskflex) DENIED: "AutoCAD" erik@ws5  (User/host not on INCLUDE list for feature. (-39,147))
"""
PERIOD = ("--from", "2026-03-02T08:00", "--to", "2026-03-02T11:00", "--tz", "UTC")
T8 = 1_772_438_400  # 2026-03-02 08:00 UTC


def lmconsole(tmp_path: Path, url: str, *args: str) -> str:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "lmconsole", *args, "--database", url],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def history(tmp_path, url) -> str:
    log = tmp_path / "adskflex.log"
    log.write_text(LOG)
    lmconsole(tmp_path, url, "import", str(log), "--server", "arch", "--server-tz", "UTC")
    return url


def report(tmp_path: Path, url: str, *args: str) -> dict:
    return json.loads(lmconsole(tmp_path, url, "report", *args, *PERIOD, "--format", "json"))


def test_utilisation_of_a_log_computed_by_hand(tmp_path, history):
    (row,) = report(tmp_path, history, "utilisation")["rows"]
    # seat-seconds 3600 (anna) + 3600 (ben) + 1796 (dora) = 8996 over the 7200 s observed
    # (8:00, the first record, to 10:00, the last): 1.249
    # minute peaks: 0 x20 (9:40-9:59), 1 x50, 2 x50 (8:30-8:59, 9:10-9:29): 95 % of 120
    # minutes (114) are at most 2
    assert row == {"server": "arch", "feature": "AutoCAD", "issued": None, "peak": 2,
                   "average": 1.25, "p95": 2, "at_full_pct": None, "denials": 4,
                   "denial_hours": 2, "never_used": None, "reserved_idle_avg": 0.0,
                   "peak_with_reserved": 2}


def test_utilisation_of_polled_minutes_computed_by_hand(tmp_path, url):
    # a server with no log: ten polled minutes from 8:00, 2 issued, in use 2 2 1 1 0 0 0 0 2 2,
    # one seat reserved and idle in the last two
    in_use = [2, 2, 1, 1, 0, 0, 0, 0, 2, 2]

    async def fill() -> None:
        store = await HistoryStore.open(url)
        server_id = await store.server_id("cad", manager="flexlm", time_zone="UTC")
        await store.upsert_poll_minutes([
            {"server_id": server_id, "feature": "Revit", "at": T8 + 60 * n,
             "in_use_peak": seats, "in_use_mean": float(seats), "issued": 2,
             "reserved_idle": 1 if n >= 8 else 0, "borrowed": 0, "queued": 0,
             "from_log": False, "polls": 1} for n, seats in enumerate(in_use)])
        await store.close()

    asyncio.run(fill())
    (row,) = report(tmp_path, url, "utilisation", "--server", "cad")["rows"]
    # 10 seat-minutes over 10 minutes; 4 of the 10 at 2 of 2; 95 % of 10 minutes (9.5) need 2
    assert row == {"server": "cad", "feature": "Revit", "issued": 2, "peak": 2,
                   "average": 1.0, "p95": 2, "at_full_pct": 40.0, "denials": 0,
                   "denial_hours": 0, "never_used": 0, "reserved_idle_avg": 0.2,
                   "peak_with_reserved": 3}


def test_true_denials_leave_out_retries_and_repeats(tmp_path, history):
    by_user = report(tmp_path, history, "denials", "--by", "user")
    assert [(r["user"], r["denials"], r["true"], r["false"]) for r in by_user["rows"]] == [
        ("carl", 2, 1, 1), ("dora", 1, 0, 1), ("erik", 1, 1, 0)]
    assert "2 of 4 taken out as false" in by_user["rules"][0]
    wider = report(tmp_path, history, "denials", "--by", "user", "--window", "3")
    # within 3 s: carl's repeat (3 s after) is still false, dora's checkout (4 s) is not
    assert [(r["user"], r["true"]) for r in wider["rows"]] == [
        ("carl", 1), ("dora", 1), ("erik", 1)]


def test_denials_by_hour_on_the_readers_clock_and_by_reason(tmp_path, history):
    berlin = json.loads(lmconsole(tmp_path, history, "report", "denials", "--by", "hour",
                                  "--from", "2026-03-02", "--to", "2026-03-02", "--tz",
                                  "Europe/Berlin", "--format", "json"))
    assert [(r["hour"], r["denials"]) for r in berlin["rows"]] == [(10, 3), (11, 1)]
    by_reason = report(tmp_path, history, "denials", "--by", "reason")["rows"]
    assert [(r["reason"], r["denials"]) for r in by_reason] == [
        ("-4,342 Licensed number of users already reached.", 3),
        ("-39,147 User/host not on INCLUDE list for feature.", 1)]


def test_a_report_says_its_period_rules_and_gaps_in_its_table(tmp_path, history):
    table = lmconsole(tmp_path, history, "report", "utilisation", *PERIOD)
    lines = table.splitlines()
    assert lines[0] == "Utilisation per feature"
    assert lines[1] == "period: 2026-03-02 08:00 to 2026-03-02 11:00 (UTC)"
    assert "read from the minute level" in table and "gaps in the period: none" in table
    assert lines[-1].split() == ["arch", "AutoCAD", "-", "2", "1.25", "2", "-", "4", "2",
                                 "-", "0.0", "2"]
    rows = list(csv.DictReader(io.StringIO(
        lmconsole(tmp_path, history, "report", "denials", *PERIOD, "--format", "csv"))))
    assert [(r["feature"], r["denials"], r["true"]) for r in rows] == [("AutoCAD", "4", "2")]


def test_every_report_is_offered_by_the_command_line():
    from lmconsole.cli.report import REPORT_NAMES
    from lmconsole.reports import REPORTS

    assert set(REPORT_NAMES) == set(REPORTS)


@pytest.mark.parametrize("args, said", [
    (("utilisation", "--from", "2026-03-02", "--to", "2026-03-01"), "is not after"),
    (("nonsense",), "invalid choice"),
    (("denials", "--window", "-1"), "--window -1"),
    (("denials", "--tz", "Mars/Olympus"), "unknown time zone"),
])
def test_bad_input_exits_2_and_says_why(tmp_path, args, said):
    result = subprocess.run([sys.executable, "-m", "lmconsole", "report", *args, "--database",
                             f"sqlite:///{tmp_path / 'h.db'}"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and said in result.stderr, result.stderr


def test_the_true_denial_window_comes_from_the_configuration(tmp_path):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    log = tmp_path / "adskflex.log"
    log.write_text(LOG)
    lmconsole(tmp_path, url, "import", str(log), "--server", "arch", "--server-tz", "UTC")
    config = tmp_path / "config.toml"
    config.write_text("[true_denial]\nwindow_s = 3\n")
    document = json.loads(lmconsole(tmp_path, url, "--config", str(config), "report",
                                    "denials", "--by", "user", *PERIOD, "--format", "json"))
    # as with --window 3: dora's checkout 4 s after her denial is too late to make it false
    assert [(r["user"], r["true"]) for r in document["rows"]] == [
        ("carl", 1), ("dora", 1), ("erik", 1)]


def test_denials_of_a_corpus_log_as_counted_in_the_log_itself(tmp_path):
    """A real debug log (UPM's MLM excerpt: UNSUPPORTED lines among OUT and IN): the report
    finds every denial the log holds, per user, as a plain reading of its lines counts."""
    from collections import Counter

    from .corpus import corpus_file

    log = corpus_file("flexlm", "debuglog", "upm_mlm_unsupported_hex_out_in_EXCERPT.log.txt")
    url = f"sqlite:///{tmp_path / 'history.db'}"
    lmconsole(tmp_path, url, "import", str(log), "--server", "upm", "--server-tz",
              "Europe/Madrid")
    # the user of "... user@host  (reason)": the last word before the reason
    counted = Counter(line.split("  (")[0].split()[-1].partition("@")[0]
                      for line in log.read_text().splitlines()
                      if " UNSUPPORTED: " in line or " DENIED: " in line)
    document = json.loads(lmconsole(tmp_path, url, "report", "denials", "--by", "user",
                                    "--from", "2000-01-01", "--to", "2030-01-01", "--tz",
                                    "Europe/Madrid", "--format", "json"))
    assert {r["user"]: r["denials"] for r in document["rows"]} == dict(counted)
    assert all(r["true"] + r["false"] == r["denials"] for r in document["rows"])
    assert sum(counted.values()) == 4
