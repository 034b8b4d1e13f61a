"""The olixtool parser (OLicense): the corpus sample read as a person reads it, a locked
licence and an uncounted one in the same layout, and the outputs that are an error or not
olixtool's at all."""

from __future__ import annotations

import json
from datetime import date

from lmconsole.adapters.olicense.olixtool import parse_olixtool
from lmconsole.model import Status

from .corpus import CORPUS, read_corpus
from .test_cli_snapshot import lmconsole

SAMPLE = CORPUS / "olicense" / "olixtool" / "license_manager_olixtool_floats_locked.txt"

# The corpus layout (TABs after the keys and between the cells), a second application
# whose licence is locked to a host and one of unlimited floats.
LOCKED = """\
olixtool 4.8.0 - OLicense XML Status Application
Server: <lic9:31212:0> (Proxy: <>)
List of requested licenses:
==============================================
Application:\tftire
VersionRange:\t0-2024
Licenser:\tcosin scientific software
License-ID:\tftire-1@lic9
Modules:
  Name; LicenseType; FloatCount; Expiration
  --------------------------------------------
  ftire_sim;         \tNodeLocked;\t2;\t2027-06-30 23:59:59;
    1 NodesLockedBy:
      Åsa Öberg@ws-12 #1
  ftire_view;         \tFreeFloating;\tunlimited;\tnever;
"""


def test_the_corpus_sample_reads_as_a_person_reads_it():
    report = parse_olixtool(read_corpus("olicense", "olixtool", SAMPLE.name), name="tyres")
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert (server.name, server.source, server.status, server.manager) == (
        "tyres", "31212@138.106.32.97", Status.UP, "olicense")
    (feature,) = server.features  # one module, in two licences: 3 + 1 floats, 3 locked
    assert (feature.name, feature.vendor, feature.issued, feature.in_use) == (
        "ftire_adams", "cosin", 4, 3)
    assert [(p.version, p.expiry, p.license_type, p.vendor_string) for p in feature.pools] == [
        ("0-20231", date(2022, 12, 31), "floating", "cosin-faf71fdc@cos550218"),
        ("0-20231", date(2023, 2, 28), "floating", "cosin-faf71fdc@cos558164")]
    assert [(c.user, c.host, c.count, c.pool) for c in feature.checkouts] == [
        ("sbhyma", "RD0087712", 1, 0), ("sbhyma", "RD0087713", 1, 0),
        ("user22", "RD0087713", 1, 0)]


def test_locked_and_unlimited_licences():
    report = parse_olixtool(LOCKED)
    assert report.diagnostics == ()
    locked, unlimited = report.servers[0].features
    assert (locked.name, locked.issued, locked.in_use, locked.pools[0].license_type) == (
        "ftire_sim", 2, 1, "nodelocked")
    assert [(c.user, c.host) for c in locked.checkouts] == [("Åsa Öberg", "ws-12")]
    assert (unlimited.issued, unlimited.uncounted, unlimited.earliest_expiry) == (
        None, True, None)


def test_the_module_table_is_read_by_its_header():
    text = ("olixtool 4.9.1 - OLicense XML Status Application\n"
            "Application:\tcosin\nModules:\n"
            "  Name; FloatCount; Expiration; LicenseType; Borrowable\n"
            "  ftire_sim;\t4;\t2027-06-30 23:59:59;\tFreeFloating;\tno;\n")
    report = parse_olixtool(text)
    assert report.diagnostics == ()
    (feature,) = report.servers[0].features
    assert (feature.name, feature.issued, feature.earliest_expiry) == (
        "ftire_sim", 4, date(2027, 6, 30))


def test_an_error_is_the_server_down_and_other_text_is_not_olixtool():
    report = parse_olixtool("olixtool 4.8.0 - OLicense XML Status Application\n"
                            "Error: could not connect to server lic9:31212\n")
    (server,) = report.servers
    assert report.recognised and server.status is Status.DOWN
    assert server.error == "Error: could not connect to server lic9:31212"
    assert not parse_olixtool("Application: something\n").recognised


def test_what_it_cannot_read_is_diagnosed():
    text = ("olixtool 4.8.0 - OLicense XML Status Application\n"
            "Colour:\tblue\n"
            "  a; FreeFloating\n"
            "  b; FreeFloating; 3; 2022-02-30 10:00:00;\n"
            "    x FloatsLockedBy:\n"
            "stray words\n")
    report = parse_olixtool(text)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (2, "unknown licence field"), (3, "module row without its name and float count"),
        (4, "unreadable expiry date"), (5, "licences in use is not a number"),
        (6, "unrecognised line")]


def test_snapshot_from_file_names_the_manager():
    result = lmconsole("snapshot", "--from-file", str(SAMPLE), "--format", "csv", "--seats")
    assert result.returncode == 0, result.stderr.decode()
    rows = result.stdout.decode().splitlines()
    assert len(rows) == 4 and all(row.endswith(",cosin,olicense") for row in rows[1:])
    result = lmconsole("snapshot", "--from-file", str(SAMPLE), "--format", "json")
    document = json.loads(result.stdout)
    assert document["servers"][0]["manager"] == "olicense"
