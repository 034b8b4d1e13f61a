"""Sentinel RMS's lsmon: the corpus sample with the counts a person reading it gives; the
"unlimited" counts (the word and the sentinels 2,097,150 and 4,294,967,294) shown as
unlimited, never as counts; clients, held and commuter licences, queued clients; an
unreachable server; what the adapter asks and refuses; and the parser never raises."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given, settings

from lmconsole.adapters import ADAPTERS, detect_manager
from lmconsole.adapters.rms.lsmon import parse_lsmon
from lmconsole.model import Snapshot, Status
from lmconsole.output import render_json, render_table

from .corpus import CORPUS, read_corpus
from .test_cli_snapshot import lmconsole
from .test_parsers_never_raise import CHICAGO, HUGE, mutated, render_all

NOW = datetime(2020, 11, 3, 12, 0, tzinfo=UTC)
SAMPLE = ("rms", "lsmon", "lsmon_to_json_aveva_features_licenses_clients.txt")
BANNER = """\
  Sentinel RMS Development Kit 8.6.1.0500 Application Monitor
  Copyright (C) 2014 SafeNet, Inc.

 [Contacting Sentinel RMS Development Kit server on host "lic2"]

"""
FEATURE = """\
 |- Feature Information
   |- Feature name                   : "{name}"  \t
   |- Feature version                : "2.0"
   |- License type                   : "Normal License" \x20
   |- Commuter license allowed       : YES
   |- Maximum concurrent user(s)     : {limit}
   |- Unreserved tokens in use       : {unreserved}
   |- Available unreserved           : 3\x20
   |- Reserved tokens in use         : {reserved}
   |- Commuter tokens in use         : 1
   |- License start date             : License is current.
   |- Expiration date                : {expiry}
"""
CLIENT = """\
   |- Client Information
     |- User name                      : {user}
     |- Host name                      : {host}
     |- X display name                 : {host}
     |- Group name                     : DefaultGrp
     |- Status                         : {status}
     |- Number of tokens used          : {tokens}
     |- Is commuter token              : {commuter}
"""
QUEUED = """\
   |- Queued Client Information:
     |- User name                      : zoe
     |- Host name                      : pc9
     |- No of tokens requested         : 2
     |- Status                         : Queued since Tue Nov  3 11:50:00 2020
"""


def feature(**values) -> str:
    return FEATURE.format(**{"name": "SOLVER", "limit": "10", "unreserved": "2",
                             "reserved": "0", "expiry": "License has no expiration", **values})


def client(**values) -> str:
    return CLIENT.format(**{"user": "ann", "host": "pc1", "tokens": "1", "commuter": "NO",
                            "status": "Running since Tue Nov  3 09:05:07 2020", **values})


def parse(text: str, **kwargs):
    return parse_lsmon(text, tz=UTC, now=NOW, **kwargs)


def messages(report) -> list[str]:
    return [d.message for d in report.diagnostics]


def only_server(report):
    (server,) = report.servers
    return server


# ---- the corpus ------------------------------------------------------------------------------

def test_the_aveva_sample_reads_as_a_person_reads_it():
    report = parse(read_corpus(*SAMPLE), name="aveva")
    server = only_server(report)
    assert report.recognised and report.diagnostics == ()
    assert (server.name, server.status, server.manager) == ("aveva", Status.UP, "rms")
    assert server.source == server.hosts[0].host == "999385-pc.samba.gazpromproject.ru"
    assert [(f.name, f.issued, f.in_use, f.seats_listed, f.uncounted)
            for f in server.features] == [("ARMS_ID", 99999, 0, 0, False),
                                          ("AVEVA201", 130, 13, 3, False)]
    aveva = server.features[1]
    # its inactive licence (expired 2020-06-23) is no pool: the active one expires in 2022
    assert [(p.version, p.expiry) for p in aveva.pools] == [("1.0", date(2022, 11, 19))]
    assert [(c.user, c.host, c.display, c.count) for c in aveva.checkouts] == [
        ("enssap", "OENS-1-8222", "local", 1), ("akotovskii", "CIM-1-8303", "local", 1),
        ("NikishinAV", "aso-34", "local", 1)]
    assert aveva.checkouts[0].start == datetime(2020, 11, 3, 11, 34, 40, tzinfo=UTC)


def test_the_sample_is_detected_as_sentinel_rms():
    detected = detect_manager(read_corpus(*SAMPLE))
    assert (detected.kind, detected.name) == ("rms", "Sentinel RMS")


# ---- unlimited -------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", ["Unlimited", "2097150", "4294967294"])
def test_unlimited_is_shown_as_unlimited_never_as_a_count(limit):
    report = parse(BANNER + feature(limit=limit) + client())
    (solver,) = only_server(report).features
    assert solver.uncounted and solver.issued is None and solver.in_use == 2
    assert solver.pools[0].license_type == "unlimited"
    assert report.diagnostics == ()
    snapshot = Snapshot(NOW, report.servers)
    assert json.loads(render_json(snapshot))["servers"][0]["features"][0]["issued"] is None
    table = render_table(snapshot)
    assert "uncounted" in table and "2097150" not in table and "4294967294" not in table


def test_a_count_above_the_sentinels_range_is_diagnosed():
    report = parse(BANNER + feature(limit="4294967295"))
    assert only_server(report).features[0].issued is None
    assert messages(report) == ["maximum concurrent users out of range (more than "
                                "2,147,483,647)"]


# ---- clients ---------------------------------------------------------------------------------

def test_clients_commuters_held_licences_and_queued_clients():
    text = (BANNER + feature(unreserved="3", reserved="2") + client()
            + client(user="bob", host="pc2", tokens="3", commuter="YES",
                     status="Running since Tue Nov 03 10:00:00 2020")
            + client(user="cy", host="pc3", status="This license is being held.")
            + QUEUED + " Press Enter to continue . . .")
    report = parse(text)
    server = only_server(report)
    assert report.diagnostics == () and server.name == "lic2"
    (solver,) = server.features
    assert (solver.issued, solver.in_use, solver.seats_listed) == (10, 5, 5)
    assert solver.pools[0].expiry is None  # "License has no expiration"
    assert [(c.user, c.count, c.borrowed, c.extra) for c in solver.checkouts] == [
        ("ann", 1, False, None), ("bob", 3, True, "commuter token"), ("cy", 1, True, "held")]
    assert solver.borrowed == 4
    assert solver.checkouts[2].start is None
    assert [(q.user, q.host, q.count) for q in solver.queued] == [("zoe", "pc9", 2)]


def test_an_unreachable_server_is_down_and_no_licence_is_up_and_empty():
    report = parse("  Sentinel RMS Development Kit 9.1.0.0104 Application Monitor\n"
                   "  Copyright (C) 2016 SafeNet, Inc.\n\n"
                   " Unable to contact any servers. Probably no servers running on this "
                   "subnet.\n")
    server = only_server(report)
    assert report.recognised and server.status is not Status.UP
    assert "Unable to contact" in server.error
    report = parse(BANNER + "There is no license in the server lic2\n")
    server = only_server(report)
    assert server.status is Status.UP and server.features == () and report.diagnostics == ()


def test_text_of_another_kind_is_not_recognised():
    for text in ("hello\nworld\n", "", "Application Monitor\n", "|- Name : x\n"):
        report = parse(text)
        assert not report.recognised and report.servers == ()


def test_unknown_lines_and_headings_are_diagnosed():
    report = parse(BANNER + feature() + " |- Team Information\n" + "stray text\n")
    assert messages(report) == ["unknown block heading", "unrecognised line"]


# ---- the adapter -----------------------------------------------------------------------------

def query(**values):
    return SimpleNamespace(**{"name": "rms1", "lmutil": "lmutil", "license": "5093@lic2",
                              **values})


def test_the_status_command_asks_the_configured_host():
    adapter = ADAPTERS["rms"]
    assert adapter.status_argv(query()) == ["lsmon", "lic2"]
    assert adapter.status_argv(query(license="7070@lic2", lmutil="/opt/rms/lsmon")) == [
        "env", "LSPORT=7070", "/opt/rms/lsmon", "lic2"]


def test_rms_offers_no_seat_freeing_nor_re_read():
    adapter = ADAPTERS["rms"]
    assert adapter.frees_seats is False  # the seats view offers no key for it
    seat = only_server(parse(BANNER + feature() + client())).features[0].checkouts[0]
    with pytest.raises(ValueError, match="no command to free"):
        adapter.remove_argv(query(), None, "SOLVER", seat)
    with pytest.raises(ValueError, match="re-read"):
        adapter.reread_argv(query())
    # its debug_log is its usage log (tests/test_rms_usagelog.py); a simulated one serves
    assert dict(adapter.config_problems({"debug_log": "/x", "transport": "sim",
                                         "license_file": "/l"})).keys() == {"license_file"}


# ---- snapshot --from-file --------------------------------------------------------------------

def test_snapshot_reads_an_lsmon_output_in_every_format():
    path = CORPUS.joinpath(*SAMPLE)
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["manager"] == "rms" and server["status"] == "up"
    assert [(f["name"], f["issued"], f["in_use"]) for f in server["features"]] == [
        ("ARMS_ID", 99999, 0), ("AVEVA201", 130, 13)]
    csv = lmconsole("snapshot", "--from-file", str(path), "--format", "csv", "--seats")
    rows = csv.stdout.decode().splitlines()
    assert rows[0].endswith(",manager") and len(rows) == 4
    assert all(row.endswith(",rms") for row in rows[1:])
    prometheus = lmconsole("snapshot", "--from-file", str(path), "--format", "prometheus")
    assert 'manager="rms"' in prometheus.stdout.decode()


def test_snapshot_of_an_unlimited_feature_from_stdin():
    text = BANNER + feature(limit="2097150") + client()
    result = lmconsole("snapshot", "--from-file", "-", "--format", "json",
                       stdin=text.encode())
    assert result.returncode == 0, result.stderr.decode()
    (solver,) = json.loads(result.stdout)["servers"][0]["features"]
    assert (solver["issued"], solver["uncounted"], solver["in_use"]) == (None, True, 2)


# ---- never raises ----------------------------------------------------------------------------

TEXTS = [read_corpus(*SAMPLE), BANNER + feature() + client() + QUEUED]


@settings(max_examples=200, deadline=None)
@given(mutated(TEXTS))
def test_mutated_outputs_never_raise_through_parser_and_renderers(text):
    report = parse(text)
    render_all(Snapshot(NOW, report.servers, report.diagnostics))
    parse_lsmon(text, tz=CHICAGO)


def test_huge_and_unicode_numbers_are_diagnosed_not_read():
    report = parse(BANNER + feature(limit=HUGE, unreserved="٣") + client(tokens="𝟠"))
    (solver,) = only_server(report).features
    assert (solver.issued, solver.in_use, solver.checkouts) == (None, None, ())
    assert messages(report) == [
        "maximum concurrent users out of range (more than 2,147,483,647)",
        "tokens in use is not a number: '٣'", "token count is not a number: '𝟠'"]


def test_impossible_dates_are_diagnosed():
    for stamp in ("Fri Dec 31 23:59:59 99999", "Mon Jan  1 00:00:00 1",
                  "Tue Feb 30 10:00:00 2021", f"Tue Nov  2 23:00:06 {HUGE}",
                  "Tue Nov  2 25:00:06 2021"):
        report = parse(BANNER + feature(expiry=stamp) + client(status=f"Running since {stamp}"))
        (solver,) = only_server(report).features
        assert solver.pools[0].expiry is None and solver.checkouts[0].start is None
        assert messages(report) == ["unreadable date", "unreadable date"], stamp


def test_long_runs_are_parsed_in_linear_time():
    run = " " * 320_000
    texts = [BANNER + feature(name="x" + run + "y"), BANNER + "|-" + run + "x\n",
             BANNER + feature() + "   |- User name" + run + ":" + run + "\n",
             ' [Contacting x server on host "' + run + '\n', "Sentinel" + run + "\n",
             BANNER + feature(limit=run + "1"), BANNER + ":" * 320_000 + "\n",
             "[Contacting " * 30_000 + "\n", "Sentinel RMS " * 30_000 + "\n",
             "|- Feature Information\n" * 10_000]
    for text in texts:
        started = time.perf_counter()
        parse(text)
        assert time.perf_counter() - started < 2, text[:40]


def test_clients_listed_without_their_headings_are_each_a_seat():
    text = BANNER + feature() + client().replace("   |- Client Information\n", "") + client(
        user="bob").replace("   |- Client Information\n", "")
    report = parse(text)
    assert report.diagnostics == ()
    assert [c.user for c in only_server(report).features[0].checkouts] == ["ann", "bob"]
