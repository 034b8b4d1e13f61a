"""The i4blt parser (IBM LUM): a status report read as a person reads it, blocks in another
order, the keys it does not know said, LUM's ADM- errors, and text that is not i4blt's."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lmconsole.adapters import detect_manager
from lmconsole.adapters.lum.i4blt import parse_i4blt
from lmconsole.model import Status

from .test_cli_snapshot import lmconsole

PARIS = ZoneInfo("Europe/Paris")

# No verbatim public `i4blt -s -lc` output was found (shared/reference/formats.md section 11
# lists it as searched for and not found). This report is written to the field names of
# LUM's status report as recalled from IBM's i4blt documentation (Server Name `ip:...`,
# Vendor Name, Product Name, Product Version, Licenses, In Use; per user: User Name, Node
# Name, Group Name, Check-out Date in C's ctime), not checked against a real output: the
# parser therefore reads blocks by their keys and diagnoses keys it does not know.
STATUS = """\
=================================================
========== i4blt Status Report ==================
=================================================

    Server Name: ip:lumsrv1

=================================================
    Vendor Name: Dassault Systemes
    Product Name: MD2
    Product Version: 5.0
    License Type: Concurrent Access
    Exp. Date: Sat Jan  1 23:59:59 2028
    Licenses: 10
    Licenses In Use: 2
    ------------------------------------------
    User Name: jdoe
    Node Name: ws-cad-01
    Group Name: staff
    Check-out Date: Tue Dec  1 08:15:02 2026
    ------------------------------------------
    User Name: Åsa Öberg
    Node Name: ws-cad-02
    Group Name: design
    Check-out Date: Tue Dec  1 09:40:00 2026
=================================================
    Vendor Name: Dassault Systemes
    Product Name: HD2
    Product Version: 5.0
    License Type: Concurrent Nodelocked
    Licenses: 3
    Licenses In Use: 0
"""


def test_a_status_report_reads_as_a_person_reads_it():
    report = parse_i4blt(STATUS, name="catia", tz=PARIS)
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert (server.name, server.source, server.status, server.manager) == (
        "catia", "lumsrv1", Status.UP, "lum")
    md2, hd2 = server.features
    assert (md2.name, md2.vendor, md2.issued, md2.in_use, md2.earliest_expiry) == (
        "MD2", "Dassault Systemes", 10, 2, date(2028, 1, 1))
    assert [(c.user, c.host, c.version, c.extra, c.start) for c in md2.checkouts] == [
        ("jdoe", "ws-cad-01", "5.0", "group staff", datetime(2026, 12, 1, 8, 15, 2, tzinfo=PARIS)),
        ("Åsa Öberg", "ws-cad-02", "5.0", "group design",
         datetime(2026, 12, 1, 9, 40, tzinfo=PARIS))]
    assert (hd2.issued, hd2.in_use, hd2.pools[0].license_type) == (3, 0, "nodelocked")
    assert md2.pools[0].license_type == "floating"


def test_fields_before_the_product_name_and_an_in_use_left_out():
    text = ("Vendor Name: IBM Corporation\nProduct Version: 3.1\nLicenses: 4\n"
            "Product Name: DataMaster\nUser Name: sandra\nNode Name: pc9\n")
    (feature,) = parse_i4blt(text, tz=PARIS).servers[0].features
    assert (feature.name, feature.issued, feature.in_use, feature.pools[0].version) == (
        "DataMaster", 4, 1, "3.1")


def test_what_it_does_not_know_is_said():
    text = ("Vendor Name: V\nProduct Name: P\nLicenses: many\nColour: blue\n"
            "Exp. Date: someday\nUser Name: u\nCheck-out Date: Feb 30 2026 10:00\n"
            "Node Name: x\nsomething odd\n")
    report = parse_i4blt(text, tz=PARIS)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (3, "licence count is not a number"), (4, "unknown field"),
        (5, "unreadable expiry date"), (7, "unreadable check-out date"),
        (9, "unrecognised line")]
    assert parse_i4blt("Node Name: x\n", tz=PARIS).diagnostics[0].message == (
        "user field outside a user block")


def test_an_adm_error_is_the_server_down_and_other_text_is_not_i4blt():
    report = parse_i4blt("ADM-12004: Cannot contact the server ip:lumsrv1\n", tz=PARIS)
    (server,) = report.servers
    assert report.recognised and server.status is Status.DOWN
    assert server.error == "ADM-12004: Cannot contact the server ip:lumsrv1"
    assert not parse_i4blt("hello\n", tz=PARIS).recognised
    assert detect_manager("Product Name: x\nPrice: 3\n") is None


def test_snapshot_from_file_detects_and_names_it():
    assert detect_manager(STATUS).kind == "lum"
    result = lmconsole("snapshot", "--from-file", "-", "--format", "json",
                       stdin=STATUS.encode())
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["manager"] == "lum" and server["features"][0]["in_use"] == 2
