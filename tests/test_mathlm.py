"""The MathLM adapter: monitorlm run through the template lmconsole ships, its output read
line by line; the template reaching a server that has none (written there by the status
command, run here against a stand-in monitorlm that fills it in as monitorlm does); and
monitorlm's own text layout, saved by an administrator, read into the same features."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import UTC, datetime, timedelta

import pytest

from lmconsole.adapters import ADAPTERS, detect_manager
from lmconsole.adapters.mathlm import template_text
from lmconsole.adapters.mathlm.monitorlm import parse_monitorlm
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.model import Status

from .test_cli_snapshot import lmconsole

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)

# What monitorlm prints through config/mathlm-monitorlm.template for the server of Wolfram's
# "Monitoring MathLM" tutorial (reference.wolfram.com/language/tutorial/MonitoringMathLM.html:
# its text-format sample, Mathematica 2 of 20, MathKernel 4 of 40, the Sub processes 0 of
# 80, durations as its Duration column prints them).
TUTORIAL = """\
LMCONSOLE-MATHLM SERVER v11.2
LMCONSOLE-MATHLM COUNT Mathematica 2 20
LMCONSOLE-MATHLM COUNT MathKernel 4 40
LMCONSOLE-MATHLM COUNT SubMathematica 0 80
LMCONSOLE-MATHLM COUNT SubMathKernel 0 80
LMCONSOLE-MATHLM SEAT Mathematica~username~client1.domain.com~08:49
LMCONSOLE-MATHLM SEAT Mathematica~username~client2.domain.com~06:33
LMCONSOLE-MATHLM SEAT MathKernel~username~client1.domain.com~08:44
LMCONSOLE-MATHLM SEAT MathKernel~username~client2.domain.com~06:52
LMCONSOLE-MATHLM SEAT MathKernel~username~client2.domain.com~06:52
LMCONSOLE-MATHLM SEAT MathKernel~username~client2.domain.com~06:30
LMCONSOLE-MATHLM END
"""

# monitorlm's default text layout, from the same tutorial.
DEFAULT_LAYOUT = """\
MathLM Version 11.2
MathLM Server hostname.domain.com
Date : Thursday, August 29 2017 14:11:59
License Usage Summary:
"""


def test_the_tutorials_server_reads_as_a_person_reads_it():
    report = parse_monitorlm(TUTORIAL, name="math", now=NOW)
    assert report.recognised and report.diagnostics == () and report.truncated_at is None
    (server,) = report.servers
    assert (server.name, server.status, server.manager, server.hosts[0].version) == (
        "math", Status.UP, "mathlm", "v11.2")
    assert [(f.name, f.issued, f.in_use, len(f.checkouts)) for f in server.features] == [
        ("Mathematica", 20, 2, 2), ("MathKernel", 40, 4, 4), ("SubMathematica", 80, 0, 0),
        ("SubMathKernel", 80, 0, 0)]
    seat = server.features[0].checkouts[0]
    assert (seat.user, seat.host, seat.start) == (
        "username", "client1.domain.com", NOW - timedelta(hours=8, minutes=49))


def test_odd_seats_and_counts_are_diagnosed_and_a_missing_end_is_a_truncation():
    text = ("LMCONSOLE-MATHLM COUNT Mathematica x 20\n"
            "LMCONSOLE-MATHLM COUNT MathKernel 1\n"
            "LMCONSOLE-MATHLM SEAT MathKernel~a~b~c~2d 01:00\n"
            "LMCONSOLE-MATHLM SEAT MathKernel~ann~pc~99:99\n"
            "LMCONSOLE-MATHLM SEAT MathKernel~ann\n"
            "LMCONSOLE-MATHLM NEWS hello\n"
            "stray\n")
    report = parse_monitorlm(text, now=NOW)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (1, "licences out is not a number"),
        (2, "count line without program, out and authorized"),
        (4, "unreadable duration"),
        (5, "seat line without program, user, host and duration"),
        (6, "unknown LMCONSOLE-MATHLM line"), (7, "unrecognised line")]
    assert report.truncated_at == 7
    mathematica, kernel = report.servers[0].features
    assert (mathematica.issued, mathematica.in_use) == (20, None)
    assert [(c.user, c.host, c.start) for c in kernel.checkouts] == [
        ("a~b", "c", NOW - timedelta(days=2, hours=1)), ("ann", "pc", None)]


def test_an_error_alone_is_not_monitorlm_output_and_counts_missing_is_an_error():
    report = parse_monitorlm("Error: could not connect to MathLM server mathsrv\n", now=NOW)
    assert not report.recognised and report.servers[0].status is Status.DOWN
    report = parse_monitorlm("LMCONSOLE-MATHLM SERVER v\nLMCONSOLE-MATHLM END\n", now=NOW)
    assert report.recognised and report.servers[0].status is Status.ERROR


def test_the_default_layout_without_its_tables_is_an_error_not_an_empty_server():
    assert detect_manager(DEFAULT_LAYOUT).kind == "mathlm"
    assert detect_manager(TUTORIAL).kind == "mathlm"
    report = parse_monitorlm(DEFAULT_LAYOUT, now=NOW)
    (server,) = report.servers
    assert report.recognised and report.diagnostics == ()
    assert (server.name, server.status, server.error) == (
        "hostname.domain.com", Status.ERROR, "no licence counts in monitorlm output")
    assert report.reported_at == datetime(2017, 8, 29, 14, 11, 59, tzinfo=UTC)


def test_snapshot_from_file_names_the_manager():
    result = lmconsole("snapshot", "--from-file", "-", "--format", "json",
                       stdin=TUTORIAL.encode())
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["manager"] == "mathlm" and server["features"][1]["in_use"] == 4


def test_the_template_is_shipped_and_uses_monitorlms_own_tags():
    text = template_text()
    assert "%TEXT" in text and "%REP_GENERAL_CHECKOUT_LINE%REP_GENERAL_SUB_CHECKOUT_LINE" in text
    assert "LMCONSOLE-MATHLM END" in text


@pytest.fixture
def fake_monitorlm(tmp_path):
    """A stand-in monitorlm: fills lmconsole's template in as monitorlm does (constant tags,
    then one line per seat), for the server named first."""
    script = tmp_path / "monitorlm"
    script.write_text(
        "#!/bin/sh\n"
        'test "$1" = mathsrv && test "$2" = -template || { echo "usage" >&2; exit 2; }\n'
        'sed -n \'/^%TEXT$/,$p\' "$3" | sed \'1d\' '
        "| sed -e 's/%CONST_SERVER_VERSION/13.1/' -e 's/%CONST_TOTAL_FE_OUT/1/' "
        "-e 's/%CONST_TOTAL_[A-Z_]*_OUT/0/' -e 's/%CONST_TOTAL_[A-Z_]*_AUTHORIZED/10/' "
        "-e 's/^%REP_GENERAL_CHECKOUT_LINE%REP_GENERAL_SUB_CHECKOUT_LINE$/"
        "LMCONSOLE-MATHLM SEAT Mathematica~eve~pc7~1:05/'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_the_status_command_takes_the_template_to_the_server(fake_monitorlm, tmp_path,
                                                             monkeypatch):
    class Server:
        name, lmutil, license = "math", str(fake_monitorlm), "16286@mathsrv"

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # where mktemp writes the template
    adapter = ADAPTERS["mathlm"]
    result = asyncio.run(LocalTransport().run(adapter.status_argv(Server()), timeout=30))
    assert result.exit_code == 0, result.stderr
    assert list(scratch.iterdir()) == []  # the template written there is gone
    report = adapter.parse_status(result.stdout, name="math", tz=UTC, now=NOW)
    assert report.diagnostics == () and report.truncated_at is None
    mathematica = report.servers[0].features[0]
    assert (mathematica.issued, mathematica.in_use) == (10, 1)
    assert [(c.user, c.start) for c in mathematica.checkouts] == [
        ("eve", NOW - timedelta(hours=1, minutes=5))]
