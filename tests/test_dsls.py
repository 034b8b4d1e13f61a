"""The DS License Server's usage outputs: getLicenseUsage's CSV (the corpus samples, with the
counts a person reading them gives) and dslsstat -usage; an unreachable server and a
restricted connection mean something; what the adapter asks and refuses; and the parser
never raises (mutated samples, huge and Unicode digits, impossible dates, long runs)."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given, settings

from lmconsole.adapters import ADAPTERS, detect_manager
from lmconsole.adapters.dsls.usage import parse_dsls
from lmconsole.model import Snapshot, Status

from .corpus import CORPUS, read_corpus
from .test_cli_snapshot import lmconsole
from .test_parsers_never_raise import CHICAGO, HUGE, mutated, render_all

NOW = datetime(2024, 9, 18, 16, 0, tzinfo=UTC)
FOLDER = ("dsls", "licenseusage")
SAMPLES = sorted(p.name for p in (CORPUS / "dsls" / "licenseusage").glob("*.txt"))
HEADER = ("Editor,EditorId,Feature,Model,Commercial Type,Max Release Number,Max Release Date,"
          "Pricing Structure,Max Casual Duration,Expiration Date,Customer ID,Count,Inuse,Tokens,"
          "Casual Usage (mn),Host,User,Internal ID,Active Process,Client Code Version,"
          "Session ID,Granted Since,Last Used At,Granted At,Queue Position,\n")
LICENCE = ("Dassault Systemes,5E756A80,{feature},Token,STD,8,2025-01-01 00:59:00,YLC,0,"
           "{expiry},10001723,{count},{inuse},")
SESSION = ("{tokens},,{host},{user},QXT,/abaqus/standard ( {pid}),6.424,02DBE16,{since},"
           "2024-09-18 15:25:50,{since},{queue},")
DSLSSTAT = """\
Licenses:
+---------+---------+-------+------+--------+-------+------------+-------------+-------------+
| Feature | Version | Model | Type | Number | InUse | Expires    | Server Name | Customer ID |
+---------+---------+-------+------+--------+-------+------------+-------------+-------------+
| QXT     | 423     | Token | STD  | 50     | 10    | 2025-06-30 | lic1        | 200001234   |
        user1@node7 (abaqus job-1, 12345) since 2024-09-18 10:00:00 using 5 licenses
        user2 on node8 (cae, 999) since 2024/09/18 11:30 using 5 licenses
| QAX     | 423     | Token | STD  | 20     | 0     | 2025-06-30 | lic1        | 200001234   |
+---------+---------+-------+------+--------+-------+------------+-------------+-------------+
"""


def csv_output(*rows: str) -> str:
    return ("License Administration Tool Version 6.425.4 Built on May 2, 2023, 6:45:36 PM.\n"
            "admin >\tSoftware version: 6.425.4\n    Server name: lic1   Server id: ZSD-1\n"
            + HEADER + "".join(row + "\n" for row in rows))


def licence(**values) -> str:
    return LICENCE.format(**{"feature": "QXT", "expiry": "2025-01-01 00:59:00", "count": "50",
                             "inuse": "5", **values})


def session(**values) -> str:
    return licence(**values) + SESSION.format(**{
        "tokens": "5", "host": "node7 (263.0)/10.0.0.7", "user": "ann", "pid": "4242",
        "since": "2024-09-17 17:59:34", "queue": "", **values})


def parse(text: str, **kwargs):
    return parse_dsls(text, tz=UTC, now=NOW, **kwargs)


def messages(report) -> list[str]:
    return [d.message for d in report.diagnostics]


def only_server(report):
    (server,) = report.servers
    return server


def counts(server) -> dict[str, tuple]:
    return {f.name: (f.issued, f.in_use, f.seats_listed) for f in server.features}


# ---- the corpus ------------------------------------------------------------------------------

def test_the_token_sample_reads_as_a_person_reads_it():
    report = parse(read_corpus(*FOLDER, "license_manager_dslicsrv_getlicenseusage_csv_tokens.txt"),
                   name="dsls1")
    server = only_server(report)
    assert report.recognised and report.diagnostics == ()
    assert (server.name, server.status, server.manager) == ("dsls1", Status.UP, "dsls")
    assert (server.hosts[0].host, server.hosts[0].version) == ("localhost", "6.425.4")
    assert len(server.features) == 10  # SRU's three sessions are one feature
    found = counts(server)
    assert found["PAC"] == (1, 0, 0) and found["PW8"] == (2000, 0, 0)
    assert found["PW7"] == (2000, 2, 2)
    assert found["SRU"] == (2374, 1559, 1559)  # 493 + 533 + 533 tokens, as Inuse says
    sru = next(f for f in server.features if f.name == "SRU")
    assert sru.vendor == "Dassault Systemes" and len(sru.pools) == 1
    assert sru.pools[0].version == "423" and sru.pools[0].expiry == date(2025, 1, 1)
    assert sru.pools[0].license_type == "token"
    seat = sru.checkouts[1]
    assert (seat.user, seat.host, seat.count, seat.pid) == ("user_3", "nid001601", 533, 2885345)
    assert seat.start == datetime(2024, 9, 17, 18, 48, 17, tzinfo=UTC)
    assert "02DBE17" in seat.extra and not seat.borrowed


def test_the_restricted_connection_warning_is_a_diagnostic_and_the_usage_still_reads():
    report = parse(read_corpus(
        *FOLDER, "license_manager_dslicsrv_getlicenseusage_csv_restricted_warning.txt"))
    server = only_server(report)
    assert server.status is Status.UP and server.name == "localhost"
    assert messages(report) == ["DSLS warning"]
    assert "restricted connection" in report.diagnostics[0].text
    assert len(server.features) == 22
    assert counts(server)["SRU"] == (2374, 493, 493)
    assert counts(server)["PD8"] == (10000, 0, 0)


def test_cannot_connect_is_a_server_down_not_an_empty_status():
    report = parse(read_corpus(*FOLDER, "license_manager_dslicsrv_cannot_connect.txt"))
    server = only_server(report)
    assert report.recognised and server.status is Status.DOWN and server.features == ()
    assert server.error == "Cannot connect to server localhost on port 1234"
    assert server.source == "1234@localhost" and server.hosts[0].port == 1234


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_is_detected_as_dsls(name):
    assert detect_manager(read_corpus(*FOLDER, name)).kind == "dsls"


# ---- forms the corpus does not show ----------------------------------------------------------

def test_several_licences_of_a_feature_are_its_pools_and_their_counts_add_up():
    report = parse(csv_output(licence(count="10", inuse="0"),
                              licence(expiry="2026-06-30 00:00:00", count="5", inuse="0")))
    (feature,) = only_server(report).features
    assert (feature.issued, feature.in_use) == (15, 0)
    assert [p.expiry for p in feature.pools] == [date(2025, 1, 1), date(2026, 6, 30)]
    assert feature.earliest_expiry == date(2025, 1, 1)


def test_a_queued_session_waits_and_holds_nothing():
    report = parse(csv_output(session(), session(user="bob", queue="1", tokens="8")))
    (feature,) = only_server(report).features
    assert [(c.user, c.count) for c in feature.checkouts] == [("ann", 5)]
    assert [(q.user, q.host, q.count) for q in feature.queued] == [("bob", "node7", 8)]


def test_a_licence_held_offline_is_borrowed_until_its_date():
    header = HEADER.replace("Queue Position,", "Queue Position,Offline Until,")
    text = csv_output(session() + "2024-09-20 16:00:00,").replace(HEADER, header)
    (seat,) = only_server(parse(text)).features[0].checkouts
    assert seat.borrowed and seat.linger_s == 2 * 86400
    (feature,) = only_server(parse(text)).features
    assert feature.borrowed == 5


def test_dslsstat_usage_table_and_its_session_lines():
    report = parse("abaqus licensing dslsstat -usage\n" + DSLSSTAT)
    server = only_server(report)
    assert report.recognised and server.status is Status.UP
    assert counts(server) == {"QXT": (50, 10, 10), "QAX": (20, 0, 0)}
    qxt = server.features[0]
    assert qxt.pools[0].expiry == date(2025, 6, 30) and qxt.pools[0].version == "423"
    assert [(c.user, c.host, c.count, c.start) for c in qxt.checkouts] == [
        ("user1", "node7", 5, datetime(2024, 9, 18, 10, 0, tzinfo=UTC)),
        ("user2", "node8", 5, datetime(2024, 9, 18, 11, 30, tzinfo=UTC))]
    assert messages(report) == ["unrecognised line"]  # the echoed command


def test_text_of_another_kind_is_not_recognised():
    for text in ("hello\nworld\n", "", "Editor;EditorId;Feature\n", "Licenses:\nnone\n"):
        report = parse(text)
        assert not report.recognised and report.servers == ()


def test_a_banner_alone_is_recognised_with_no_server_not_an_empty_one():
    report = parse("License Administration Tool Version 6.425.4 Built on ...\n")
    assert report.recognised and report.servers == ()


def test_a_server_not_ready_is_said():
    report = parse(csv_output(licence()).replace("Server name:", "Ready: no\n    Server name:"))
    assert messages(report) == ["the licence server says it is not ready"]


# ---- the adapter -----------------------------------------------------------------------------

def query(**values):
    return SimpleNamespace(**{"name": "dsls1", "lmutil": "lmutil", "license": "4085@lic1",
                              **values})


def test_the_status_command_connects_to_the_configured_port_and_host():
    adapter = ADAPTERS["dsls"]
    assert adapter.status_argv(query()) == [
        "DSLicSrv", "-admin", "-run", "connect lic1 4085; getLicenseUsage -all -csv; quit"]
    assert adapter.status_argv(query(lmutil="/opt/DSLS/bin/DSLicSrv"))[0] == (
        "/opt/DSLS/bin/DSLicSrv")


def test_dsls_offers_no_seat_freeing_nor_re_read():
    adapter = ADAPTERS["dsls"]
    assert adapter.frees_seats is False  # the seats view offers no key for it
    seat = only_server(parse(csv_output(session()))).features[0].checkouts[0]
    with pytest.raises(ValueError, match="no command to free"):
        adapter.remove_argv(query(), None, "QXT", seat)
    with pytest.raises(ValueError, match="no files to re-read"):
        adapter.reread_argv(query())
    with pytest.raises(ValueError, match="stop_command and start_command"):
        adapter.restart_argvs(query())


def test_the_configuration_refuses_what_dsls_does_not_have():
    problems = dict(ADAPTERS["dsls"].config_problems(
        {"license": "lic1", "options_file": "/x.opt", "transport": "sim"}))
    assert set(problems) == {"license", "options_file"}  # a simulated one: tests/test_dsls_sim.py
    assert ADAPTERS["dsls"].config_problems({"license": "4085@lic1"}) == []


# ---- snapshot --from-file --------------------------------------------------------------------

def test_snapshot_reads_a_dsls_output_in_every_format():
    path = CORPUS / "dsls" / "licenseusage" / SAMPLES[-1]
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json",
                       "--server-tz", "UTC")
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["manager"] == "dsls" and server["status"] == "up"
    sru = next(f for f in server["features"] if f["name"] == "SRU")
    assert (sru["issued"], sru["in_use"], len(sru["checkouts"])) == (2374, 1559, 3)
    csv = lmconsole("snapshot", "--from-file", str(path), "--format", "csv", "--seats")
    rows = csv.stdout.decode().splitlines()
    assert rows[0].endswith(",manager") and len(rows) == 5
    assert all(row.endswith(",Dassault Systemes,dsls") for row in rows[1:])
    prometheus = lmconsole("snapshot", "--from-file", str(path), "--format", "prometheus")
    assert ('lmconsole_server_up{app="localhost",manager="dsls",source=""} 1'
            in prometheus.stdout.decode())


def test_snapshot_of_an_unreachable_dsls_server_exits_3():
    path = CORPUS / "dsls" / "licenseusage" / "license_manager_dslicsrv_cannot_connect.txt"
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["servers"][0]["status"] == "down"


# ---- never raises ----------------------------------------------------------------------------

TEXTS = [read_corpus(*FOLDER, name) for name in SAMPLES] + [DSLSSTAT]


@settings(max_examples=200, deadline=None)
@given(mutated(TEXTS))
def test_mutated_outputs_never_raise_through_parser_and_renderers(text):
    report = parse(text)
    render_all(Snapshot(NOW, report.servers, report.diagnostics))
    parse_dsls(text, tz=CHICAGO)  # no `now`


def test_huge_and_unicode_numbers_are_diagnosed_not_read():
    report = parse(csv_output(session(count=HUGE, inuse="٣", tokens="1" + "0" * 20)))
    (feature,) = only_server(report).features
    assert (feature.issued, feature.in_use, feature.checkouts) == (None, None, ())
    assert messages(report) == ["licence count out of range (more than 2,147,483,647)",
                                "licences in use is not a number: '٣'",
                                "token count out of range (more than 2,147,483,647)"]
    report = parse(DSLSSTAT.replace("using 5", "using 𝟠", 1))
    assert [c.user for c in only_server(report).features[0].checkouts] == ["user2"]
    assert messages(report) == ["licence count is not a number: '𝟠'"]


def test_impossible_dates_are_diagnosed():
    for stamp in ("2024-02-30 10:00:00", "99999-01-01 00:00:00", "0001-01-01 00:00:00",
                  "2024-09-17 25:00:00", f"{HUGE}-01-01 00:00:00"):
        report = parse(csv_output(session(since=stamp, expiry=stamp)))
        feature = only_server(report).features[0]
        assert feature.pools[0].expiry is None and feature.checkouts[0].start is None
        assert messages(report) == ["unreadable expiry date", "unreadable time"], stamp


def test_long_runs_are_parsed_in_linear_time():
    run = " " * 320_000
    texts = [csv_output(session(user="ann" + run + "x")), csv_output("," * 320_000),
             DSLSSTAT.replace("using 5", "using" + run + "5"), "Licenses:\n|" + run + "\n",
             "Cannot connect to server" + run + "x\n", "admin >" * 100_000 + "\n",
             DSLSSTAT + "   x using " + "(" * 320_000 + "\n", '"' * 320_000 + ",\n",
             ",Feature," * 40_000 + ",Count,Inuse\n", csv_output("QXT," * 80_000)]
    for text in texts:
        started = time.perf_counter()
        parse(text)
        assert time.perf_counter() - started < 2, text[:40]


def test_a_configured_dsls_and_rms_server_through_real_subprocesses(tmp_path):
    """Each manager's utility is a script that checks the arguments it is given and prints
    a corpus output: the configured servers are asked as their managers ask them."""
    usage = CORPUS / "dsls" / "licenseusage" / SAMPLES[-1]
    lsmon_sample = CORPUS / "rms" / "lsmon" / "lsmon_to_json_aveva_features_licenses_clients.txt"
    dslicsrv, lsmon = tmp_path / "DSLicSrv", tmp_path / "lsmon"
    dslicsrv.write_text("#!/bin/sh\n[ \"$1 $2 $3\" = '-admin -run connect lic1 4085; "
                        f"getLicenseUsage -all -csv; quit' ] || exit 9\ncat '{usage}'\n")
    lsmon.write_text(f"#!/bin/sh\n[ \"$1\" = lic2 ] || exit 9\ncat '{lsmon_sample}'\n")
    for script in (dslicsrv, lsmon):
        script.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[servers]]\nname = "cad"\nmanager = "dsls"\nlmutil = "{dslicsrv}"\n'
        f'license = "4085@lic1"\ntimezone = "UTC"\n'
        f'[[servers]]\nname = "plant"\nmanager = "rms"\nlmutil = "{lsmon}"\n'
        f'license = "5093@lic2"\ntimezone = "UTC"\n')
    result = lmconsole("--config", str(config), "snapshot", "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    cad, plant = json.loads(result.stdout)["servers"]
    assert (cad["name"], cad["manager"], cad["status"], len(cad["features"])) == (
        "cad", "dsls", "up", 10)
    assert (plant["name"], plant["manager"], plant["status"], len(plant["features"])) == (
        "plant", "rms", "up", 2)


def test_a_header_without_editor_id_and_with_more_columns_reads_by_name():
    header = "Editor,Feature,Model,Expiration Date,Count,Inuse,Tokens,Host,User,Granted Since,Extra,"
    text = (header + "\nDS,QXT,Token,2025-01-01 00:00:00,50,5,5,pc1,ann,2024-09-17 10:00:00,x,\n")
    assert detect_manager(text).kind == "dsls"
    report = parse(text)
    (feature,) = only_server(report).features
    assert (feature.name, feature.issued, feature.in_use, feature.seats_listed) == (
        "QXT", 50, 5, 5)
    assert feature.checkouts[0].user == "ann" and report.diagnostics == ()
