"""The beta_lm_stat parser (BETA LM): the corpus sample read as a person reads it, in
credits; several sessions of a feature; and the outputs that are an error or not
beta_lm_stat's at all."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from lmconsole.adapters.betalm.lmstat import CREDITS, parse_beta_lm_stat
from lmconsole.model import Status

from .corpus import CORPUS, read_corpus
from .test_cli_snapshot import lmconsole

SAMPLE = CORPUS / "betalm" / "beta_lm_stat" / "license_manager_doc_beta_lm_stat_ansa.txt"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

# The corpus layout: two sessions of one feature, a user whose feature the status report
# leaves out, a package of one feature of its own name.
TWO_SESSIONS = """\
 Trying 6007@lic2 ....
 Found License daemon on lic2
Usage Report for users: all
   USER NAME@HOST           |  FEATURE   |      PID   |       START
  ann@ws1(:0)               | ANSA       | 4711       | Tue Dec  1 08:00:00 2026
  bo@ws2                    | ANSA       | 0          | Tue Dec  1 09:30:00 2026
  cy@ws3(:1)                | KOMVOS     | 0          | Tue Dec  1 10:00:00 2026

STATUS REPORT
      PACKAGE          |     ISSUED      |     EXPIRE      |   CREDIT
  PRE_POST             | Sun Dec 13 2025 | Tue Mar 30 2027 | 1000
  META_ONLY            | Sun Dec 13 2025 | Tue Mar 30 2027 | 50

   PACKAGE:FEATURE     | MAX CREDIT | CREDIT USED | USED PERCENTAGE | USAGE
  PRE_POST:ANSA        | 1000       | 200         |          20(%)  | 2
  META_ONLY            | 50         | 0           |           0(%)  | 0
"""


def test_the_corpus_sample_reads_as_a_person_reads_it():
    report = parse_beta_lm_stat(read_corpus("betalm", "beta_lm_stat", SAMPLE.name),
                                name="ansa", tz=STOCKHOLM)
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert (server.name, server.source, server.status, server.manager) == (
        "ansa", "6007@l5163p.sss.se.scania.com", Status.UP, "betalm")
    features = {f.name: f for f in server.features}
    assert len(features) == 13  # eleven PRE_POST features, NEW_ANSA_CATIA_V5, PRE_POST itself
    ansa, meta = features["ANSA"], features["META_POST"]
    assert (ansa.vendor, ansa.issued, ansa.in_use) == ("PRE_POST", 2865, 100)
    assert (meta.issued, meta.in_use) == (2865, 33)
    assert [(c.user, c.host, c.display, c.count, c.start) for c in ansa.checkouts] == [
        ("HSARYF", "RD0079221", ":0", 100, datetime(2021, 2, 24, 21, 1, 45, tzinfo=STOCKHOLM))]
    assert [(c.user, c.host, c.display, c.count) for c in meta.checkouts] == [
        ("rafjdg", "dcv040.maas.rnd.scania.com", ":28", 33)]
    package = features["PRE_POST"]  # 133 of its 2865 credits spent
    assert (package.issued, package.in_use, package.earliest_expiry) == (
        2865, 133, date(2021, 3, 30))
    catia = features["NEW_ANSA_CATIA_V5"]
    assert (catia.vendor, catia.issued, catia.in_use) == ("NEW_ANSA_CATIA_V5", 25, 0)
    assert {f.pools[0].license_type for f in features.values()} == {CREDITS}
    assert sum(f.in_use for name, f in features.items() if name != "PRE_POST") == 133


def test_sessions_share_their_features_credits_and_unlisted_features_are_said():
    report = parse_beta_lm_stat(TWO_SESSIONS, tz=UTC)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (7, "usage of a feature the status report does not list")]
    features = {f.name: f for f in report.servers[0].features}
    assert list(features) == ["ANSA", "META_ONLY", "KOMVOS", "PRE_POST"]
    assert [(c.user, c.pid, c.count) for c in features["ANSA"].checkouts] == [
        ("ann", 4711, 100), ("bo", None, 100)]
    assert (features["KOMVOS"].issued, features["KOMVOS"].checkouts[0].count) == (None, 1)
    assert (features["PRE_POST"].issued, features["PRE_POST"].in_use) == (1000, 200)
    assert report.servers[0].source == "6007@lic2"


def test_tables_are_read_by_their_column_names():
    text = ("STATUS REPORT\n"
            "| PACKAGE:FEATURE | USAGE | CREDIT USED | MAX CREDIT | QUEUED |\n"
            "| META:META_POST  | 2     | 66          | 300        | 0      |\n"
            "   PACKAGE  |  CREDIT  | TYPE\n")
    report = parse_beta_lm_stat(text, tz=UTC)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (4, "table without its ISSUED, EXPIRE column(s)")]
    (feature,) = report.servers[0].features
    assert (feature.name, feature.vendor, feature.issued, feature.in_use) == (
        "META_POST", "META", 300, 66)


def test_an_error_is_the_server_down_and_other_text_is_not_beta_lm_stat():
    report = parse_beta_lm_stat(" Trying 6007@lic2 ....\n"
                                " Error: cannot connect to license daemon on lic2\n", tz=UTC)
    (server,) = report.servers
    assert report.recognised and server.status is Status.DOWN
    assert server.error == "Error: cannot connect to license daemon on lic2"
    assert not parse_beta_lm_stat("a | b\n", tz=UTC).recognised


def test_what_it_cannot_read_is_diagnosed():
    text = ("STATUS REPORT\n"
            "      PACKAGE          |     ISSUED      |     EXPIRE      |   CREDIT\n"
            "  P1                   | Sun Dec 13 2020 | Tue Feb 30 2021 | lots\n"
            "  P2                   | Sun Dec 13 2020\n"
            "   USER NAME@HOST           |  FEATURE   |      PID   |       START\n"
            "  ann@ws1              | ANSA       | 0          | yesterday\n")
    report = parse_beta_lm_stat(text, tz=UTC)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (3, "unreadable expiry date"), (3, "credits is not a number"),
        (4, "row without its columns"), (6, "unreadable start time"),
        (6, "usage of a feature the status report does not list")]


def test_snapshot_from_file_names_the_manager():
    result = lmconsole("snapshot", "--from-file", str(SAMPLE), "--format", "json",
                       "--server-tz", "UTC")
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["manager"] == "betalm" and server["features"][0]["checkouts"][0]["start"] == (
        "2021-02-24T21:01:45+00:00")
