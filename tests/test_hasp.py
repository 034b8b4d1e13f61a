"""The Sentinel HASP adapter: the licence manager's answers on port 1947 fetched by the
status command from a real HTTP server on 127.0.0.1 (started here, serving answers in the
recorded format) and parsed; a refused connection and an HTTP error told as such; odd
answers diagnosed."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from lmconsole.adapters import ADAPTERS, detect_manager
from lmconsole.adapters.hasp.acc import parse_acc
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.model import Status

from .test_cli_snapshot import lmconsole

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
VIENNA = ZoneInfo("Europe/Vienna")

# The recorded format of /_int_/tab_feat.html and /_int_/tab_sessions.html: comments around
# comma-separated objects of string values, and the page's filter-state object. Field names
# as the public readers of these pages use them: fid, fn, lic ("Perpetual" or "Expiration
# date: Wed Jan 1, 2025 00:00"), logc, logl for features, fid, fn, usr for sessions
# (sarlalian/prometheus-license-exporter, src/hasp.rs); the machine mch, client address cli
# and login time lt of a session as public PowerShell readers of tab_sessions.html select
# them. Values here are invented.
FEATURES = """\
/*JSON:features*/
{"ndx":"1","haspid":"1047385962","vendorid":"37515","fid":"1","fn":"Modeller","lic":"Perpetual","logc":"3","logl":"10"},
{"ndx":"2","haspid":"1047385962","vendorid":"37515","fid":"2","fn":"Solver","lic":"Expiration date: Fri Jan 1, 2027 00:00","logc":"1","logl":"2"},
{"ndx":"3","haspid":"2093847561","vendorid":"37515","fid":"1","fn":"Modeller","lic":"Perpetual","logc":"0","logl":"5"},
{"ndx":"4","haspid":"2093847561","vendorid":"37515","fid":"9","fn":"Viewer","lic":"Perpetual","logc":"0","logl":"Unlimited"},
{"fhaspid":"0","fprod":"-1","ffea":"-1"}
/*admin_status*/
"""
SESSIONS = """\
/*JSON:sessions*/
{"ndx":"1","sid":"41","vendorid":"37515","fid":"1","fn":"Modeller","usr":"anna","mch":"WS-017","cli":"10.1.4.17","lt":"Thu Dec 3, 2026 08:12:40"},
{"ndx":"2","sid":"42","vendorid":"37515","fid":"1","fn":"Modeller","usr":"bernd","mch":"WS-022","cli":"10.1.4.22","lt":"Thu Dec 3, 2026 09:01:05"},
{"ndx":"3","sid":"43","vendorid":"37515","fid":"1","fn":"Modeller","usr":"Zoë","mch":"","cli":"10.1.4.30","lt":"Thu Dec 3, 2026 09:30:00"},
{"ndx":"4","sid":"44","vendorid":"37515","fid":"2","fn":"Solver","usr":"anna","mch":"WS-017","cli":"10.1.4.17","lt":"Thu Dec 3, 2026 09:45:00"},
{"fhaspid":"0","fprod":"-1","ffea":"-1"}
/*admin_status*/
"""


def check(report):
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert (server.status, server.manager) == (Status.UP, "hasp")
    modeller, solver, viewer = server.features
    assert (modeller.name, modeller.vendor, modeller.issued, modeller.in_use) == (
        "Modeller", "37515", 15, 3)  # on two keys: 10 + 5 logins
    assert [p.vendor_string for p in modeller.pools] == ["key 1047385962", "key 2093847561"]
    assert [(c.user, c.host, c.extra) for c in modeller.checkouts] == [
        ("anna", "WS-017", "address 10.1.4.17"), ("bernd", "WS-022", "address 10.1.4.22"),
        ("Zoë", "10.1.4.30", None)]
    assert (solver.issued, solver.in_use, solver.earliest_expiry) == (2, 1, date(2027, 1, 1))
    assert (viewer.issued, viewer.uncounted, viewer.in_use) == (None, True, 0)
    return server


def test_the_answers_read_as_a_person_reads_them():
    server = check(parse_acc(FEATURES + SESSIONS, name="dongle", tz=VIENNA))
    assert server.name == "dongle"
    assert server.features[0].checkouts[0].start == datetime(2026, 12, 3, 8, 12, 40,
                                                             tzinfo=VIENNA)


class _AdminPages(BaseHTTPRequestHandler):
    """The licence manager's two pages, as it serves them; anything else is a 404."""

    pages = {"/_int_/tab_feat.html": FEATURES, "/_int_/tab_sessions.html": SESSIONS}
    requested: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        path, _, query = self.path.partition("?")
        self.requested.append(query)
        body = self.pages.get(path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write((body or "<html>not found</html>").encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def admin_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AdminPages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def needs_curl() -> str:
    """curl, which the status command runs; without it skip, except under CI (CI=true)."""
    curl = shutil.which("curl")
    if curl is None:
        reason = "curl is not installed (apt-get install curl): the HASP status command runs it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return curl


class Config:
    name, lmutil = "dongle", "lmutil"

    def __init__(self, license: str) -> None:
        self.license = license


def fetch(license: str):
    adapter = ADAPTERS["hasp"]
    result = asyncio.run(LocalTransport().run(adapter.status_argv(Config(license)), timeout=60))
    return result, adapter.parse_status(result.stdout, name="dongle", tz=VIENNA, now=NOW)


def test_the_status_command_fetches_both_pages_from_a_real_server(admin_server):
    needs_curl()
    port = admin_server.server_address[1]
    result, report = fetch(f"{port}@127.0.0.1")
    assert result.exit_code == 0, result.stderr
    server = check(report)
    assert (server.source, server.hosts[0].host, server.hosts[0].port) == (
        f"{port}@127.0.0.1", "127.0.0.1", port)
    assert all("featureid=-1" in query for query in _AdminPages.requested[-2:])


def test_a_refused_connection_and_an_http_error_are_said(admin_server):
    needs_curl()
    port = admin_server.server_address[1]
    admin_server.shutdown()
    admin_server.server_close()
    result, report = fetch(f"{port}@127.0.0.1")
    assert result.exit_code != 0 and report.recognised
    (server,) = report.servers
    assert server.status is Status.DOWN
    assert server.error.startswith(f"no answer from http://127.0.0.1:{port}/_int_/tab_feat")
    report = parse_acc("<html>login</html>\n/*lmconsole-hasp 401 http://h:1947/_int_/x*/\n",
                       tz=UTC)
    assert report.servers[0].status is Status.DOWN
    assert "HTTP 401 from http://h:1947/_int_/x" in report.servers[0].error
    assert "ask for a password" in report.servers[0].error


def test_odd_answers_are_diagnosed():
    text = ('{"fid":"1","fn":"A","lic":"Expiration date: Feb 30, 2027 00:00","logc":"x",'
            '"logl":"' + "9" * 5000 + '"},\n{"colour":"blue"}\n[1]\nplain words\n{"fid": \n'
            "/* never ends")
    report = parse_acc(text, tz=UTC)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (1, "unreadable expiry date"), (1, "login limit out of range"),
        (1, "logins in use not a number"), (2, "object neither a feature nor a session"),
        (3, "unrecognised value"), (4, "unrecognised text"), (5, "unreadable object"),
        (6, "comment without its end")]
    (feature,) = report.servers[0].features
    assert (feature.issued, feature.in_use) == (None, None)


def test_snapshot_from_file_detects_and_names_it(tmp_path):
    assert detect_manager(FEATURES).kind == "hasp"
    path = tmp_path / "acc.txt"
    path.write_text(FEATURES + SESSIONS, encoding="utf-8")
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["manager"] == "hasp" and server["features"][0]["in_use"] == 3


def test_the_console_polls_it_live_and_offers_no_command_to_free_a_session(admin_server,
                                                                             tmp_path):
    """The console's monitor polls the Sentinel server through the local transport; its
    features arrive as any manager's, and freeing a session is refused, saying why."""
    needs_curl()
    from lmconsole.app import LMConsoleApp, console_server
    from lmconsole.audit import AuditLog
    from lmconsole.config import parse_config
    from lmconsole.screens.seats import Seat

    port = admin_server.server_address[1]
    config = parse_config(f'[[servers]]\nname = "dongle"\nmanager = "hasp"\n'
                          f'license = "{port}@127.0.0.1"\ntimezone = "Europe/Vienna"\n',
                          "config.toml").servers[0]
    server = console_server(config, ADAPTERS["hasp"], LocalTransport())
    notices = []

    async def scenario():
        app = LMConsoleApp([server], poll_interval_s=0.5,
                           audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"))
        app.notify = lambda message, **kwargs: notices.append(message)
        async with app.run_test() as pilot:
            for _ in range(200):
                await asyncio.sleep(0.05)
                if app.data.states["dongle"].status is not None:
                    break
            status = app.data.states["dongle"].status
            assert (status.status, status.manager) == (Status.UP, "hasp")
            modeller = status.features[0]
            assert (modeller.name, modeller.in_use, modeller.issued) == ("Modeller", 3, 15)
            app.request_lmremove([Seat("dongle", "Modeller", modeller.checkouts[0])])
            await pilot.pause()
            app.open_seats("dongle", "Modeller")
            await pilot.pause()
            seats = app.screen
            assert seats.check_action("free_seats", ()) is False  # not offered: no key shown
            await pilot.press("x")
            await pilot.pause()
            assert app.screen is seats  # no confirmation asked, nothing run

    asyncio.run(scenario())
    assert notices == ["dongle: Sentinel HASP has no command that frees a seat"]
