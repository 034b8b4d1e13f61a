"""The lstc_qrun parser (LS-DYNA): the corpus sample read as a person reads it, the layouts
around it (a USED of any width, a printed CPUS column, several license groups, a Running
Programs table), and the outputs that are an error or not lstc_qrun's at all."""

from __future__ import annotations

import json
from datetime import date

from lmconsole.adapters.lsdyna.qrun import GROUP, SHARED, parse_qrun
from lmconsole.model import Status

from .corpus import CORPUS, read_corpus
from .test_cli_snapshot import lmconsole

SAMPLE = CORPUS / "lsdyna" / "lstc_qrun" / "license_manager_lstc_qrun_mppdyna_group.txt"

# The corpus layout, with a USED of three digits, a printed CPUS column and two groups.
TWO_GROUPS = """\
Using default server 31010@lic7

LICENSE INFORMATION

PROGRAM          EXPIRATION CPUS  USED   FREE    MAX | QUEUE
---------------- ----------      ----- ------ ------ | -----
LS-DYNA          01/31/2027         128     0    128 |     2
 alice       4242@node01  64
 bob         4343@node02  64
                   LICENSE GROUP   128      0    128 |     2
MPPDYNA          06/30/2027   16     12     20     32 |     0
 carol       1717@node03  12
LS-OPT           06/30/2027          -      1      1 |     0
                   LICENSE GROUP    12     20     32 |     0
"""


def features_of(text: str) -> dict:
    (server,) = parse_qrun(text).servers
    return {f.name: f for f in server.features}


def test_the_corpus_sample_reads_as_a_person_reads_it():
    report = parse_qrun(read_corpus("lsdyna", "lstc_qrun", SAMPLE.name), name="dyna")
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert (server.name, server.source, server.status, server.manager) == (
        "dyna", "31010@licserv0004.com", Status.UP, "lsdyna")
    features = {f.name: f for f in server.features}
    assert list(features) == ["MPPDYNA", "MPPDYNA_971", "MPPDYNA_970", "MPPDYNA_960",
                              "LS-DYNA", "LS-DYNA_971", "LS-DYNA_970", "LS-DYNA_960", GROUP]
    mppdyna = features["MPPDYNA"]  # USED `-`: its six jobs are what it uses
    assert (mppdyna.issued, mppdyna.in_use, mppdyna.earliest_expiry) == (
        500, 440, date(2022, 12, 30))
    assert [(c.user, c.host, c.pid, c.count) for c in mppdyna.checkouts] == [
        ("dvds3g", "n-c13.com", 59005, 80), ("ssss1d", "n-c52.com", 10274, 80),
        ("ssss1d", "n-c15.com", 47568, 80), ("ywap0o", "n-c53.com", 239793, 80),
        ("ywap0o", "n-c51.com", 91665, 80), ("ndha1a", "n-c55.com", 91626, 40)]
    assert all((f.issued, f.in_use) == (500, 0) for name, f in features.items()
               if name not in ("MPPDYNA", GROUP))
    assert all(f.pools[0].license_type == SHARED for f in features.values())
    pool = features[GROUP]  # the one pool they all draw on: 440 of 500 CPUs
    assert (pool.issued, pool.in_use, pool.earliest_expiry) == (500, 440, date(2022, 12, 30))


def test_a_used_of_any_width_a_printed_cpus_column_and_two_groups():
    report = parse_qrun(TWO_GROUPS)
    assert report.diagnostics == ()
    features = {f.name: f for f in report.servers[0].features}
    assert report.servers[0].source == "31010@lic7"
    assert [(name, f.issued, f.in_use, len(f.checkouts)) for name, f in features.items()] == [
        ("LS-DYNA", 128, 128, 2), ("MPPDYNA", 32, 12, 1), ("LS-OPT", 1, 0, 0),
        (f"{GROUP} 1", 128, 128, 0), (f"{GROUP} 2", 32, 12, 0)]
    assert features["LS-DYNA"].pools[0].vendor_string == f"{GROUP} 1"
    assert features["LS-OPT"].pools[0].vendor_string == f"{GROUP} 2"


def test_programs_without_a_group_are_floating_on_their_own():
    text = ("PROGRAM          EXPIRATION CPUS  USED   FREE    MAX | QUEUE\n"
            "LS-DYNA          12/30/2022          3      1      4 |     0\n")
    (feature,) = parse_qrun(text).servers[0].features
    assert (feature.issued, feature.in_use, feature.pools[0].license_type) == (4, 3, "floating")


def test_the_running_programs_table_gives_jobs_the_rows_do_not_list():
    text = ("Defaulting to server 1 specified by LSTC_LICENSE_SERVER variable\n"
            "                     Running Programs\n\n"
            "    User             Host          Program              Started       # procs\n"
            "-----------------------------------------------------------------------------\n"
            "eve              2876@node9        LS-DYNA_971     Tue Nov 13 09:29     4\n"
            "No programs queued\n"
            "LICENSE INFORMATION\n"
            "LS-DYNA_971      12/30/2027          4      4      8 |     0\n")
    report = parse_qrun(text)
    assert report.diagnostics == ()
    (feature,) = report.servers[0].features
    assert [(c.user, c.host, c.pid, c.count) for c in feature.checkouts] == [
        ("eve", "node9", 2876, 4)]


def test_an_error_is_the_server_down_and_other_text_is_not_lstc_qrun():
    report = parse_qrun("Using user specified server 31010@lic7\n"
                        "*** Unable to connect to license server 31010@lic7\n")
    (server,) = report.servers
    assert report.recognised and (server.status, server.source) == (Status.DOWN, "31010@lic7")
    assert "Unable to connect" in server.error
    assert not parse_qrun("hello\nworld\n").recognised
    assert not parse_qrun("").recognised


def test_rows_it_cannot_read_are_diagnosed_not_dropped_silently():
    text = ("LICENSE INFORMATION\n"
            "LS-DYNA          13/45/2022          3      1      4 |     0\n"
            "MPPDYNA          12/30/2022      1      4 |     0\n"
            " bob     12@n1   many\n"
            "something else\n")
    report = parse_qrun(text)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (2, "unreadable expiry date"), (3, "row without its USED, FREE and MAX columns"),
        (4, "CPUs of a job is not a number"), (5, "unrecognised line")]
    (feature,) = report.servers[0].features
    assert (feature.name, feature.earliest_expiry, feature.issued) == ("LS-DYNA", None, 4)


def test_snapshot_from_file_reads_it_with_the_manager_named_in_every_format():
    result = lmconsole("snapshot", "--from-file", str(SAMPLE), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert (server["manager"], server["status"], server["features"][0]["in_use"]) == (
        "lsdyna", "up", 440)
    csv = lmconsole("snapshot", "--from-file", str(SAMPLE), "--format", "csv").stdout.decode()
    assert csv.splitlines()[1] == ("31010@licserv0004.com,MPPDYNA,,500,440,0,0,0,false,"
                                   "2022-12-30,,,lsdyna")
    prometheus = lmconsole("snapshot", "--from-file", str(SAMPLE), "--format", "prometheus")
    assert ('lmconsole_server_up{app="31010@licserv0004.com",manager="lsdyna",'
            'source="31010@licserv0004.com"} 1') in prometheus.stdout.decode()
