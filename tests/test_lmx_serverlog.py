"""The LM-X server-log reader: the start-up lines real servers write, checkouts, check-ins
and denials in the words of different log formats, lines it cannot place; live follow by
the monitor (a denial arriving as it is written) and `lmconsole import` of a log into a
real SQLite history through a configured LM-X server."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.lmx.serverlog import ServerLogReader, parse_serverlog
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.monitor import CallbackListener, Monitor, ServerMonitor

from .test_history_import import database, listed, lmconsole, summary
from .test_monitor import Server
from .test_parsers_never_raise import HUGE, mutated

VIENNA = ZoneInfo("Europe/Vienna")
LMX = ADAPTERS["lmx"]
# The start-up lines as a real LM-X 4.9 server wrote them (the Softing image's README),
# then a day's usage.
LOG = """\
[2026-12-03 13:38:30] LM-X License Server v4.9.23 build 74220bf8 on lic1 (Linux_x64)
[2026-12-03 13:38:30] Copyright (C) 2002-2020 X-Formation. All rights reserved.
[2026-12-03 13:38:30] License server has pid 1.
[2026-12-03 13:38:30] Serving licenses for vendor SOFTING.
[2026-12-03 13:38:30]
[2026-12-03 13:38:30] License server using TCP IPv4 port 6200.
[2026-12-03 13:38:30] Log file path: /licsrv/lmx-serv.log
[2026-12-03 13:38:30] edgeConnector (v1.0) (5 license(s)) shared on: HOST USER VIRTUAL license type: additive
[2026-12-03 13:38:30] Ready to serve...
[2026-12-03 14:00:05] Checkout edgeConnector v1.0 by anna.berg@pc1 (10.0.0.1), 1 license(s)
[2026-12-03 14:02:00] Checkout of feature 'edgeConnector' (1 license(s)) by bob@pc2 [10.0.0.2] granted
[2026-12-03 14:03:10] Denied edgeConnector v1.0 to eve@lab3 (10.0.0.3), 1 license(s): License limit reached
[2026-12-03 14:03:11] Checkout denied: user eve host lab3 feature edgeConnector: No licenses available
[2026-12-03 15:10:00] Checkin edgeConnector v1.0 by anna.berg@pc1 (10.0.0.1), 1 license(s)
[2026-12-03 16:00:00] Checkin of feature 'edgeConnector' by bob@pc2, 1 license(s)
[2026-12-03 16:00:01] Checkout somewhere by nobody
[2026-12-03 18:00:00] License server shutting down.
"""


def test_start_up_usage_and_shutdown_lines_become_events():
    events, diagnostics = parse_serverlog(LOG, tz=VIENNA, server="edge")
    assert [(e.kind.value, e.daemon, e.feature, e.user, e.host, e.count, e.reason)
            for e in events] == [
        ("STARTED", "lmx", None, None, None, 1, "serving vendor SOFTING"),
        ("OUT", "lmx", "edgeConnector", "anna.berg", "pc1", 1, None),
        ("OUT", "lmx", "edgeConnector", "bob", "pc2", 1, None),
        ("DENIED", "lmx", "edgeConnector", "eve", "lab3", 1, "License limit reached"),
        ("DENIED", "lmx", "edgeConnector", "eve", "lab3", 1, "No licenses available"),
        ("IN", "lmx", "edgeConnector", "anna.berg", "pc1", 1, None),
        ("IN", "lmx", "edgeConnector", "bob", "pc2", 1, None),
        ("SHUTDOWN", "lmx", None, None, None, 1, None)]
    assert events[1].at == datetime(2026, 12, 3, 14, 0, 5, tzinfo=VIENNA)
    assert events[1].line == 10 and events[1].server == "edge"
    assert [(d.line, d.message) for d in diagnostics] == [
        (16, "OUT line without its feature or user")]


def test_the_reader_names_the_logs_first_date_and_reads_localised_stamps():
    reader = ServerLogReader(tz=VIENNA, server="edge")
    assert reader.feed("not a log line") is None and reader.log_start_date is None
    event = reader.feed("[03.12.2026 14:00:05] Checkout CAD v2 by ann@pc1, 2 license(s)")
    assert (event.at, event.count) == (datetime(2026, 12, 3, 14, 0, 5, tzinfo=VIENNA), 2)
    assert reader.log_start_date == datetime(2026, 12, 3).date()
    assert reader.feed("[2026-13-45 99:00:00] Checkout CAD v2 by ann@pc1") is None
    assert [d.message for d in reader.diagnostics] == ["usage line with an unreadable date"]
    assert reader.latest_at == event.at
    assert reader.feed("[03.12.2026 18:30:00] Statistics: 3 clients connected") is None
    assert reader.latest_at == datetime(2026, 12, 3, 18, 30, tzinfo=VIENNA)  # not an event
    assert reader.flush() is None
    assert LMX.denial_words(None, "License limit reached") == "License limit reached"
    assert LMX.denial_words("-4", None) == "denied (LM-X status -4)"


@settings(max_examples=200, deadline=None)
@given(mutated([LOG]))
def test_the_server_log_reader_never_raises(text):
    parse_serverlog(text, tz=VIENNA)


def test_huge_counts_and_long_lines_are_read_in_linear_time():
    events, diagnostics = parse_serverlog(
        f"[2026-12-03 14:00:05] Checkout CAD v2 by ann@pc1, {HUGE} license(s)\n"
        f"[2026-12-03 14:00:06] Checkout CAD v2 by ann@pc1, 99999999999 license(s)\n",
        tz=VIENNA)
    assert [e.count for e in events] == [1]  # no count it can read: one seat, as for none
    assert [d.message for d in diagnostics] == ["licence count out of range"]
    for line in ("Checkout " + "a" * 300_000 + " b@c", "Checkout x " + "@" * 300_000,
                 "Denied " + " " * 300_000 + "x", "Checkin " + "user " * 60_000):
        started = time.perf_counter()
        parse_serverlog(f"[2026-12-03 14:00:05] {line}\n", tz=VIENNA)
        assert time.perf_counter() - started < 2, line[:30]


def test_a_denial_arrives_while_the_log_is_followed(tmp_path: Path):
    log = tmp_path / "lmx-serv.log"
    log.write_text(LOG)
    events = []
    monitor = ServerMonitor(Server("edge", "/bin/false", poll_interval_s=3600,
                                   debug_log=str(log)),
                            LMX, LocalTransport(), CallbackListener(on_event=events.append))

    async def main():
        group = Monitor([monitor])
        group.start()
        try:
            await asyncio.sleep(0.3)
            with log.open("a") as file:
                file.write("[2026-12-04 09:00:00] Denied edgeConnector v1.0 to eve@lab3 "
                           "(10.0.0.3), 1 license(s): License limit reached\n")
            for _ in range(100):
                if events:
                    break
                await asyncio.sleep(0.05)
        finally:
            await group.stop()

    asyncio.run(main())
    assert [(e.kind.value, e.user, e.daemon, e.at.hour) for e in events] == [
        ("DENIED", "eve", "lmx", 9)]


def test_import_of_a_server_log_through_a_configured_lmx_server(tmp_path: Path):
    config = tmp_path / "config" / "lmconsole" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[[servers]]\nname = "edge"\nmanager = "lmx"\nlicense = "6200@lic1"\n'
                      'timezone = "Europe/Vienna"\n')
    log = tmp_path / "lmx-serv.log"
    log.write_text(LOG)
    result = summary(lmconsole(tmp_path, "import", str(log), "--server", "edge",
                               "--database", database(tmp_path)))
    assert result["events"] == "8 (8 new)"
    assert result["denials"] == "2"
    assert result["sessions"].startswith("2 (0 still open)")
    denials = listed(tmp_path, "denials")
    assert [(d["feature"], d["user"], d["at"]) for d in denials] == [
        ("edgeConnector", "eve", "2026-12-03T13:03:10+00:00"),
        ("edgeConnector", "eve", "2026-12-03T13:03:11+00:00")]
    sessions = listed(tmp_path, "sessions")
    assert sorted((s["user"], s["duration_s"]) for s in sessions) == [
        ("anna.berg", 70 * 60 - 5), ("bob", 118 * 60)]
