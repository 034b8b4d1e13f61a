"""The lmxendutil parsers: every real LM-X output of the shared corpus with the figures a
person reading the file gives (read off the files by hand), then the layouts real outputs
show elsewhere that the corpus lacks (formats.md section 7, public parsers' fixtures):
4-space indents and trailing spaces, HOST USER VIRTUAL sharing, sessions sharing one seat,
a borrowed seat, no users, a HAL triad with one server down, Windows line endings,
localised dates; and the same status as `-licstatxml`, with its denied counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.lmx.licstat import parse_licstat
from lmconsole.adapters.lmx.licstat_xml import parse_licstat_xml
from lmconsole.model import Status

from .corpus import CORPUS, read_corpus

NOW = datetime(2022, 2, 18, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
LMX = ADAPTERS["lmx"]
BANNER = ("LM-X End-user Utility v4.9.3\n"
          "Copyright (C) 2002-2018 X-Formation. All rights reserved.\n\n")


def corpus(file_name: str, **kwargs):
    return parse_licstat(read_corpus("lmx", "licstat", file_name),
                         **{"tz": UTC, "now": NOW, **kwargs})


def counts(server) -> dict[str, tuple]:
    """feature -> (vendor, issued, in_use, uncounted, version, expiry, seats listed)"""
    return {f.name: (f.vendor, f.issued, f.in_use, f.uncounted, f.pools[0].version,
                     f.pools[0].expiry, f.seats_listed) for f in server.features}


def test_every_corpus_licstat_file_is_covered():
    names = {p.name for p in (CORPUS / "lmx" / "licstat").glob("*.txt")}
    assert names == {"license_manager_doc_lmxendutil_unable_to_connect.txt",
                     "license_manager_lmxendutil_licstat_altair_shared_custom.txt",
                     "license_manager_lmxendutil_no_servers_available.txt"}


def test_the_altair_server_with_token_features():
    report = corpus("license_manager_lmxendutil_licstat_altair_shared_custom.txt")
    assert report.recognised and report.diagnostics == () and report.truncated_at is None
    (server,) = report.servers
    assert (server.name, server.source, server.status, server.manager) == (
        "6200@licserv0013.com", "6200@licserv0013.com", Status.UP, "lmx")
    (host,) = server.hosts
    assert (host.host, host.port, host.status, host.version) == (
        "licserv0013.com", 6200, Status.UP, "v5.1")
    assert [v.name for v in server.vendors] == ["ALTAIR"]
    expiry = date(2023, 1, 31)
    assert counts(server) == {
        "CatiaV5Reader": ("ALTAIR", 3, 0, False, "21.0", expiry, 0),
        "GlobalZoneEU": ("ALTAIR", 1000003, 40000, False, "21.0", expiry, 40000),
        "HWAIFPBS": ("ALTAIR", None, 0, True, "21.0", expiry, 0),  # 2147483647: unlimited
        "HWAWPF": ("ALTAIR", None, 0, True, "21.0", expiry, 0),
        "HWActivate": ("ALTAIR", None, 0, True, "21.0", expiry, 0),
        "HWFlux2D": ("ALTAIR", None, 30000, True, "21.0", expiry, 30000),
        "HyperWorks": ("ALTAIR", 1000000, 25000, False, "21.0", expiry, 25000),
    }
    zone = server.features[1]
    assert zone.pools[0][2:4] == ("exclusive", "sharing: CUSTOM VIRTUAL")
    first, second = zone.checkouts
    assert (first.user, first.host, first.display, first.count, first.start) == (
        "VRAAFG", "RD0082879", "138.106.159.158", 15000, datetime(2022, 2, 18, 9, 29, tzinfo=UTC))
    assert first.extra == "shared on custom string: VRAAFG:RD0082879; login 2022-02-18 09:26"
    assert (second.count, second.start, second.borrowed) == (
        25000, datetime(2022, 2, 18, 9, 26, tzinfo=UTC), False)


def test_an_unreachable_server_is_down_with_the_utilitys_words():
    report = corpus("license_manager_doc_lmxendutil_unable_to_connect.txt")
    assert report.recognised and report.diagnostics == ()  # the `$ ... -licstat` echo too
    (server,) = report.servers
    assert (server.source, server.status, server.error) == (
        "6300@licserv0003", Status.DOWN, "Unable to connect to license server!")
    assert [(h.host, h.port, h.status) for h in server.hosts] == [
        ("licserv0003", 6300, Status.DOWN)]


def test_no_servers_available_is_an_error_with_a_meaning_not_an_empty_status():
    report = corpus("license_manager_lmxendutil_no_servers_available.txt", name="lmx1")
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert (server.name, server.status, server.error, server.features) == (
        "lmx1", Status.DOWN, "There are no license server(s) available.", ())


FEMFAT = BANNER + """++++++++++++++++++++++++++++++++++++++++
LM-X License Server on 6300@licserv0003.scom:

Server version: v4.9.3 Uptime: 10 day(s) 16 hour(s) 54 min(s) 21 sec(s)
----------------------------------------
Feature: FEMFAT_VISUALIZER Version: 2024.0 Vendor: abc
Start date: NONE Expire date: 2024-06-30
Key type: EXCLUSIVE License sharing: HOST USER VIRTUAL

2 of 2 license(s) used:

1 license(s) used by fdsva1@dcv046.com_ver2023 [10.123.321.20]
    Login time: 2024-03-11 12:50   Checkout time: 2024-03-11 12:50\x20
    Shared on username: fdsva1   Shared on hostname: dcv046.com_ver2023\x20

1 license(s) used by asdsc1@dcv048.com_ver2022a [10.123.321.10]
    Login time: 2024-03-11 17:29   Checkout time: 2024-03-11 17:29\x20
    Shared on username: asdsc1   Shared on hostname: dcv048.com_ver2022a\x20
"""


def test_indented_details_trailing_spaces_and_host_user_virtual_sharing():
    report = parse_licstat(FEMFAT, tz=BERLIN, now=NOW)
    assert report.diagnostics == ()
    (feature,) = report.servers[0].features
    assert (feature.name, feature.vendor, feature.issued, feature.in_use) == (
        "FEMFAT_VISUALIZER", "abc", 2, 2)
    assert feature.pools[0].expiry == date(2024, 6, 30)  # Start date: NONE is no problem
    assert [(c.user, c.host, c.count, c.start, c.extra) for c in feature.checkouts] == [
        ("fdsva1", "dcv046.com_ver2023", 1, datetime(2024, 3, 11, 12, 50, tzinfo=BERLIN),
         "shared on username: fdsva1, hostname: dcv046.com_ver2023"),
        ("asdsc1", "dcv048.com_ver2022a", 1, datetime(2024, 3, 11, 17, 29, tzinfo=BERLIN),
         "shared on username: asdsc1, hostname: dcv048.com_ver2022a")]


SHARED_SEAT = BANNER + """++++++++++++++++++++++++++++++++++++++++
LM-X License Server on 6200@lic1:

Server version: v5.4 Uptime: 1 day(s) 0 hour(s) 0 min(s) 1 sec(s)
----------------------------------------
Feature: Viewer Version: 3.0 Vendor: ACME
Start date: 2026-01-01 Expire date: 2026-12-31
Key type: EXCLUSIVE License sharing: HOST USER

2 of 5 license(s) used:

1 license(s) used by bob@pc1 [10.0.0.1]
    Login time: 2026-12-03 08:00   Checkout time: 2026-12-03 08:00
    Shared on username: bob   Shared on hostname: pc1

1 license(s) used by bob@pc1 [10.0.0.1]
    Login time: 2026-12-03 09:15   Checkout time: 2026-12-03 09:15
    Shared on username: bob   Shared on hostname: pc1

1 license(s) used by bob@pc1 [10.0.0.1]
    Login time: 2026-12-03 09:40   Checkout time: 2026-12-03 09:40
    Shared on username: bob   Shared on hostname: pc1

1 license(s) used by ann@pc2 [10.0.0.2]
    Login time: 2026-12-03 09:00   Checkout time: 2026-12-03 09:00
    Shared on username: ann   Shared on hostname: pc2
----------------------------------------
Feature: Solver Version: 3.0 Vendor: ACME
Start date: 2026-01-01 Expire date: 2026-12-31
Key type: EXCLUSIVE License sharing: VIRTUAL

0 of 4 license(s) used
"""


def test_sessions_sharing_one_seat_hold_it_once():
    report = parse_licstat(SHARED_SEAT, tz=UTC, now=NOW)
    assert report.diagnostics == ()
    viewer, solver = report.servers[0].features
    assert (viewer.in_use, viewer.seats_listed, len(viewer.checkouts)) == (2, 2, 4)
    assert [(c.user, c.count) for c in viewer.checkouts] == [
        ("bob", 1), ("bob", 0), ("bob", 0), ("ann", 1)]
    assert (solver.in_use, solver.issued, solver.checkouts) == (0, 4, ())  # no users


BORROWED_HAL = BANNER.replace("\n", "\r\n") + """++++++++++++++++++++++++++++++++++++++++\r
LM-X License Server on 6200@hal1:\r
\r
Server version: v5.5 Uptime: 3 day(s) 1 hour(s) 0 min(s) 0 sec(s)\r
----------------------------------------\r
Feature: CAD Version: 2.0 Vendor: ACME\r
Start date: 01.01.2026 Expire date: 31.12.2027\r
Key type: ADDITIVE License sharing: HOST USER VIRTUAL\r
\r
2 of 10 license(s) used:\r
\r
1 license(s) used by carla@laptop7 [10.0.0.7]\r
    Borrow expire time: 05.12.2026 18:00\r
\r
1 license(s) used by dan@ws2 [10.0.0.9]\r
    Login time: 04.12.2026 08:05   Checkout time: 04.12.2026 08:06\r
++++++++++++++++++++++++++++++++++++++++\r
LM-X License Server on 6200@hal2:\r
\r
Server version: v5.5 Uptime: 3 day(s) 1 hour(s) 0 min(s) 0 sec(s)\r
----------------------------------------\r
Feature: CAD Version: 2.0 Vendor: ACME\r
Start date: 01.01.2026 Expire date: 31.12.2027\r
Key type: ADDITIVE License sharing: HOST USER VIRTUAL\r
\r
2 of 10 license(s) used:\r
\r
1 license(s) used by carla@laptop7 [10.0.0.7]\r
    Borrow expire time: 05.12.2026 18:00\r
\r
1 license(s) used by dan@ws2 [10.0.0.9]\r
    Login time: 04.12.2026 08:05   Checkout time: 04.12.2026 08:06\r
++++++++++++++++++++++++++++++++++++++++\r
LM-X License Server on 6200@hal3:\r
\r
XF Error: Unable to connect to license server!\r
"""


def test_a_hal_triad_counts_its_mirrored_seats_once_and_names_the_server_down():
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    report = parse_licstat(BORROWED_HAL, tz=UTC, now=now)
    assert report.diagnostics == ()
    (server,) = report.servers
    assert server.status == Status.UP and server.source == "6200@hal1,6200@hal2,6200@hal3"
    assert [(h.host, h.status, h.error) for h in server.hosts] == [
        ("hal1", Status.UP, None), ("hal2", Status.UP, None),
        ("hal3", Status.DOWN, "Unable to connect to license server!")]
    (cad,) = server.features
    assert (cad.issued, cad.in_use, cad.borrowed, cad.pools[0].license_type) == (
        10, 2, 1, "additive")
    assert cad.pools[0].expiry == date(2027, 12, 31)  # day.month.year: a German server
    carla, dan = cad.checkouts
    assert (carla.borrowed, carla.start, carla.linger_s) == (True, None, 32 * 3600)
    assert (dan.borrowed, dan.start) == (False, datetime(2026, 12, 4, 8, 6, tzinfo=UTC))
    assert dan.extra == "login 2026-12-04 08:05"


@pytest.mark.parametrize("written, expected", [
    ("2026-03-04 09:12", datetime(2026, 3, 4, 9, 12)),
    ("04.03.2026 09:12", datetime(2026, 3, 4, 9, 12)),
    ("3/4/2026 9:12 PM", datetime(2026, 3, 4, 21, 12)),
    ("13/04/2026 09:12:30", datetime(2026, 4, 13, 9, 12, 30)),
    ("2026/03/04 12:00 AM", datetime(2026, 3, 4, 0, 0)),
    ("04-Mar-2026 09:12", datetime(2026, 3, 4, 9, 12)),
    ("04.Mär.2026 09:12", datetime(2026, 3, 4, 9, 12)),
    ("2026-03-04T09:12:05", datetime(2026, 3, 4, 9, 12, 5)),
])
def test_localised_checkout_times(written, expected):
    text = SHARED_SEAT.replace("Checkout time: 2026-12-03 08:00", f"Checkout time: {written}")
    report = parse_licstat(text, tz=UTC, now=NOW)
    assert report.diagnostics == ()
    assert report.servers[0].features[0].checkouts[0].start == expected.replace(tzinfo=UTC)


OLDER = """LM-X End-user Utility v3.0
Vendor ENVENTIVE:
  Server version: v3.1 Uptime: 0 day(s) 1 hour(s) 0 min(s) 0 sec(s)
Feature: Viewer Version: 2.0
Start date: 2026-01-01 Expire date: 2026-12-31
Key type: EXCLUSIVE License sharing: HOST
1 of 3 licenses used:
1 license used by rita@pc4 [10.0.0.4]
Login time: 2026-12-03 07:58   Checkout time: 2026-12-03 08:00
"""


def test_an_older_layout_with_the_vendor_above_and_no_blank_lines():
    report = parse_licstat(OLDER, tz=UTC, now=NOW)
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert (server.hosts[0].version, [v.name for v in server.vendors]) == ("v3.1", ["ENVENTIVE"])
    (viewer,) = server.features
    assert (viewer.vendor, viewer.issued, viewer.in_use, viewer.checkouts[0].user) == (
        "ENVENTIVE", 3, 1, "rita")


def test_a_capture_cut_in_a_feature_is_truncated_and_odd_lines_are_diagnosed():
    text = FEMFAT.split("2 of 2")[0]
    report = parse_licstat(text, tz=UTC, now=NOW)
    assert report.truncated_at == 9  # the Feature: line whose count never came
    report = parse_licstat(FEMFAT + "Frobnicated: 7\n", tz=UTC, now=NOW)
    assert [(d.line, d.message) for d in report.diagnostics] == [(22, "unrecognised line")]


def test_the_adapter_reads_either_form_and_runs_the_xml_one():
    text = read_corpus("lmx", "licstat", "license_manager_lmxendutil_licstat_altair_shared_custom.txt")
    report = LMX.parse_status(text, name="alt", tz=UTC, now=NOW)
    assert report.servers[0].name == "alt" and len(report.servers[0].features) == 7
    report = LMX.parse_status(XML, name="alt", tz=UTC, now=NOW)
    assert report.servers[0].features[0].denied == 3

    class Query:
        name, lmutil, license, vendor = "alt", "lmutil", "6200@lic1", None

    assert LMX.status_argv(Query) == ["lmxendutil", "-licstatxml", "-host", "lic1",
                                      "-port", "6200"]
    Query.license, Query.vendor, Query.lmutil = "6200@a:6200@b:6200@c", "ALTAIR", "/opt/lmxendutil"
    assert LMX.status_argv(Query) == ["/opt/lmxendutil", "-licstatxml", "-hal",
                                      "6200@a,6200@b,6200@c", "-vendor", "ALTAIR"]
    with pytest.raises(ValueError, match="web UI"):
        LMX.remove_argv(Query, None, "CAD", None)
    with pytest.raises(ValueError, match="no re-read"):
        LMX.reread_argv(Query)
    assert LMX.config_problems({"options_file": "/x"})[0][0] == "options_file"


XML = BANNER + """<?xml version="1.0" encoding="UTF-8" ?>
<LM-X>
  <LICENSE_PATH TYPE="NETWORK" HOST="6200@lic1" SERVER_VERSION="5.5" UPTIME="8 hour(s) 38 min(s) 33 sec(s)" STATUS="SUCCESS">
    <FEATURE NAME="HyperWorks" VERSION="22.0" VENDOR="ALTAIR" START="2020-04-25" END="2025-12-31" USED_LICENSES="46000" TOTAL_LICENSES="1150000" DENIED_LICENSES="3" SHARE="CUSTOM ,VIRTUAL">
      <USER NAME="user1" HOST="client1" IP="10.0.0.8" USED_LICENSES="21000" LOGIN_TIME="2022-02-01 15:12" CHECKOUT_TIME="2022-02-01 15:12" SHARE_CUSTOM="user1:client1"/>
      <USER NAME="José" HOST="client2" IP="10.0.0.9" USED_LICENSES="25000" BORROW_EXPIRE_TIME="2022-02-20 10:00" SHARE_CUSTOM="José:client2"/>
    </FEATURE>
    <FEATURE NAME="Unlimited" VERSION="22.0" VENDOR="ALTAIR" START="2020-04-25" END="2025-12-31" USED_LICENSES="0" TOTAL_LICENSES="2147483647" DENIED_LICENSES="0" SHARE="HOST ,USER ,VIRTUAL">
    </FEATURE>
  </LICENSE_PATH>
</LM-X>
"""


def test_the_xml_form_gives_the_same_model_and_the_denied_counts():
    report = parse_licstat_xml(XML, tz=UTC, now=NOW)
    assert report.recognised and report.diagnostics == () and report.truncated_at is None
    (server,) = report.servers
    assert (server.source, server.status, server.hosts[0].version) == (
        "6200@lic1", Status.UP, "5.5")
    works, unlimited = server.features
    assert (works.issued, works.in_use, works.denied, works.borrowed) == (1150000, 46000, 3, 25000)
    assert works.pools[0].expiry == date(2025, 12, 31)
    one, jose = works.checkouts
    assert (one.user, one.host, one.display, one.count, one.start, one.extra) == (
        "user1", "client1", "10.0.0.8", 21000, datetime(2022, 2, 1, 15, 12, tzinfo=UTC),
        "shared on custom string: user1:client1")
    assert (jose.user, jose.borrowed, jose.linger_s) == ("José", True, 48 * 3600)
    assert (unlimited.uncounted, unlimited.issued, unlimited.denied) == (True, None, 0)


def test_the_xml_of_a_server_that_did_not_answer_and_a_document_cut_short():
    down = XML.replace('STATUS="SUCCESS"', 'STATUS="FAILURE"')
    (server,) = parse_licstat_xml(down, tz=UTC, now=NOW).servers
    assert (server.status, server.error) == (Status.DOWN, "FAILURE")
    cut = XML[:XML.index("<USER NAME=\"José\"")]
    report = parse_licstat_xml(cut, tz=UTC, now=NOW)
    assert report.truncated_at is not None and report.servers[0].features[0].seats_listed == 21000
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><LM-X>&b;</LM-X>')
    report = parse_licstat_xml(bomb, tz=UTC, now=NOW)
    assert [d.message for d in report.diagnostics] == ["XML declares entities: not read"]
