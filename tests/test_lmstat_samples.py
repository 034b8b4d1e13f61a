"""The lmstat parser on lines from real outputs it had not seen before (a review's samples).

Each test quotes the lines it needs; the comment names where they come from. Lines marked
"lm_stat.c" are built from the printf formats of FLEXlm 9.x lm_stat.c: no published output
shows them, but lmstat prints them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.adapters.flexlm.lmstat_identity import split_identity
from lmconsole.model import BORROWED

from .corpus import read_corpus

HEAD = """lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved.
Flexible License Manager status on Sun 11/22/2026 10:05

"""
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def feature_of(lines: str, header: str = "Users of f:  (Total of 9 licenses issued;  "
                                          "Total of 9 licenses in use)\n"):
    report = parse_lmstat(HEAD + header + lines)
    assert report.diagnostics == (), report.diagnostics
    (server,) = report.servers
    return server.features[-1]


def seats_of(lines: str):
    return feature_of(lines).checkouts


# ---- 1.1 and 1.2: who holds the seat --------------------------------------------------------

def test_extra_token_after_the_display_is_vendor_data():
    # Alliance (Compute Canada) Ansys documentation, https://docs.alliancecan.ca/wiki/Ansys:
    # `lmstat | grep "Users of\|$USER"` on an ANSYS 2025 server
    first, second = seats_of(
        "    roberpj c630 c630.nibi.sharcnet 1238925 (v2025.0506) "
        "(license1.computecanada.ca/1055 2579), start Wed 3/11 16:46, 4 licenses, PID: 1239140\n"
        "    roberpj c627 c627.nibi.sharcnet 509821 (v2025.0506) "
        "(license1.computecanada.ca/1055 5716), start Wed 3/11 16:48, 28 licenses, PID: 510058\n")
    assert (first.user, first.host, first.display, first.extra) == (
        "roberpj", "c630", "c630.nibi.sharcnet", "1238925")
    assert (first.count, first.pid, first.handle) == (4, 1239140, 2579)
    assert (second.user, second.host, second.extra) == ("roberpj", "c627", "509821")


def test_x_display_followed_by_words():
    # mjtrangoni/flexlm_exporter issue #27 (redacted by its reporter)
    plain, extra = seats_of(
        "    user sever server:1 (v6.170) (sever/11111 22222), start Tue 3/3 14:14\n"
        "    user sever server:1 Placeholder One (v18.100) (sever/11111 22222), "
        "start Tue 3/3 14:11, 2 licenses\n")
    assert (plain.user, plain.host, plain.display, plain.extra) == (
        "user", "sever", "server:1", None)
    assert (extra.user, extra.host, extra.display, extra.extra, extra.count) == (
        "user", "sever", "server:1", "Placeholder One", 2)


def test_x_displays_quoted_in_code_comments():
    # lines quoted in code comments (review samples 27_…: find_string ids 45379605156 and
    # 32442062989) and flexlm_exporter issue #10
    linc, cheng, biggs = seats_of(
        "    linc.jepson octocore.internal.caustic.com octocore.internal.caustic.com:74 "
        "(v8.100) (tatou/5280 197), start Mon 1/31 15:50\n"
        "cheng sv4h102 13359.sv4h102:0 (v2011.11) (licsrv05.amd.com/27003 100246), "
        "start Mon 10/8 11:20\n"
        "    biggs lts04 /dev/tty (v7.0) (licserv.test.com/27040 101), start Thu 2/7 13:23  "
        "(linger: 12899 / 86400)\n")
    assert (linc.user, linc.display) == ("linc.jepson", "octocore.internal.caustic.com:74")
    assert (cheng.host, cheng.display, cheng.handle) == ("sv4h102", "13359.sv4h102:0", 100246)
    assert (biggs.linger_s, biggs.linger_total_s) == (12899, 86400)


# CharlesWB/LicenseStatus MockUtil/LmStatTest.cs: a mock written to exercise names with
# spaces; its author's expectation (comments there) is user, host, display as below. The
# last two are the ones it calls "known to not parse correctly" without more knowledge.
MOCK_SPACES = """    user100 host100 display100 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user 110 host110 display110 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user111 host111 display 111 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user112 host112 display112 A (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user 113 host113 display113 A (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user 114 host114 display 114A (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user A B 115 host115 display115 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user200 host200 display200 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user203 host200 display A203 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user A B205 host200 display A B205 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user  ABC  DE F206 host206 display206 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user 302 host300 host3000.0 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user 303 host303 host300 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    host300 host304 host 304 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    host300 host300 host 305 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user501 host500 display A501 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user503 host500 display503 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user300 host300 host300 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
    user 400 host400 display AB400 (v22.0) (SERVER001/27001 100), start Wed 3/14 10:21
"""


def test_user_names_and_displays_with_spaces_split_as_the_mock_intends():
    seats = [(s.user, s.host, s.display) for s in seats_of(MOCK_SPACES)]
    assert seats[:-1] == [
        ("user100", "host100", "display100"),
        ("user 110", "host110", "display110"),
        ("user111", "host111", "display 111"),
        ("user112", "host112", "display112 A"),
        ("user 113", "host113", "display113 A"),
        ("user 114", "host114", "display 114A"),
        ("user A B 115", "host115", "display115"),
        ("user200", "host200", "display200"),
        ("user203", "host200", "display A203"),  # host200 is known from the line above
        ("user A B205", "host200", "display A B205"),
        ("user  ABC  DE F206", "host206", "display206"),  # spaces kept as printed
        ("user 302", "host300", "host3000.0"),
        ("user 303", "host303", "host300"),
        ("host300", "host304", "host 304"),
        ("host300", "host300", "host 305"),  # host300 is known from a later line
        ("user501", "host500", "display A501"),
        ("user503", "host500", "display503"),
        ("user300", "host300", "host300"),
    ]
    assert seats[-1] == ("user 400 host400", "display", "AB400")  # no way to know


def test_corpus_names_with_spaces_keep_their_split():
    # shared corpus exporter_app1 (feature100): the real user names with spaces
    john = split_identity("John Doe John_D \"U,K$`Ct`0'\"C iQwgGsne<&!", "61.4")
    jane = split_identity("Jane Doe Jr. jane icc&f3rU7|<7R/oW/r`?Fj_K5", "10.1")
    assert john[:4] == ("John Doe", "John_D", "\"U,K$`Ct`0'\"C iQwgGsne<&!", None)
    assert jane[:4] == ("Jane Doe Jr.", "jane", "icc&f3rU7|<7R/oW/r`?Fj_K5", None)


# ---- 1.3: the vendor daemon whose list a feature is in --------------------------------------

TWO_VENDOR_BLOCKS = HEAD + """License server status: 27000@licsrv
    License file(s) on licsrv: /opt/flexlm/license.dat:

    licsrv: license server UP (MASTER) v11.16.2

Vendor daemon status (on licsrv):

       MLM: UP v11.16.2
Feature usage info:

Users of solver:  (Total of 4 licenses issued;  Total of 1 license in use)

Vendor daemon status (on licsrv):

       cdslmd: UP v11.16.2
Feature usage info:

Users of solver:  (Total of 8 licenses issued;  Total of 2 licenses in use)

Users of layout:  (Total of 2 licenses issued;  Total of 0 licenses in use)
"""  # ThomasWagnerJKU/check_flexlm tests/fixtures/two_vendors_a.txt


def test_features_after_a_second_vendor_block_belong_to_its_daemon():
    (server,) = parse_lmstat(TWO_VENDOR_BLOCKS).servers
    assert [(f.name, f.vendor, f.issued) for f in server.features] == [
        ("solver", "MLM", 4), ("solver", "cdslmd", 8), ("layout", "cdslmd", 2)]


def test_daemons_announced_inside_the_feature_list():
    # https://web3.physics.miami.edu/~agleason/matlab/pct14.html (HTML collapsed the spaces)
    text = """lmstat - Copyright (c) 1989-2012 Flexera Software LLC. All Rights Reserved.
Flexible License Manager status on Thu 9/18/2014 13:31
License server status: 28518@m2
License file(s) on m2: /share/opt/flexlm/server.lic:
m2: license server UP (MASTER) v11.11
Vendor daemon status (on m2):
INTEL: UP v11.11
Feature usage info:
Users of AdvXEl: (Total of 5 licenses issued; Total of 0 licenses in use)
pgroupd: UP v11.11
Feature usage info:
Users of PGI71-cdk-linux: (Total of 2 licenses issued; Total of 0 licenses in use)
MLM: UP v11.11
Feature usage info:
Users of MATLAB: (Total of 6901 licenses issued; Total of 6 licenses in use)
"""
    (server,) = parse_lmstat(text).servers
    assert [(f.name, f.vendor) for f in server.features] == [
        ("AdvXEl", "INTEL"), ("PGI71-cdk-linux", "pgroupd"), ("MATLAB", "MLM")]


def test_one_list_for_several_daemons_attributes_nothing_by_position():
    # shared corpus exporter_app3: daemon1 and DAEMON2 share one "Feature usage info:"
    report = parse_lmstat(read_corpus(
        "flexlm", "lmstat", "exporter_app3_two_vendor_daemons_large_user_list.txt"))
    features = report.servers[0].features
    assert {f.vendor for f in features if not f.pools} == {None}
    assert {f.vendor for f in features if f.pools} == {"vendor1"}  # from the pool lines


# ---- 1.5: linger ----------------------------------------------------------------------------

def test_linger_with_nothing_left_is_a_live_seat_not_a_borrow():
    # a Cliosoft server at BNL, Python test constant `_LMSTAT_A` (review sample 05_…)
    (seat,) = seats_of(
        "    smandal asic8.inst.bnl.gov /dev/tty (v2024.0610) "
        "(iolicense2.inst.bnl.gov/7188 901), start Fri 5/29 12:46  (linger: 0 / 86400)\n")
    assert (seat.borrowed, seat.linger_s, seat.linger_total_s) == (False, 0, 86400)


def test_autodesk_borrow_shown_as_linger_stays_a_borrow():
    # shared corpus flexlm_stat_json_two_servers…: an Autodesk borrow, 49 days left of 63
    (seat,) = seats_of(
        "    1 GM-007028 GM-007028 (v1.000) (iss.samba.gazpromproject.ru/27000 37583), "
        "start Thu 10/1 11:44  (linger: 4263164 / 5487240)\n")
    assert (seat.borrowed, seat.linger_s, seat.linger_total_s) == (True, 4263164, 5487240)


# ---- 2.1 and 2.2: forms lmstat prints that were dropped ------------------------------------

def test_cannot_get_users_keeps_the_feature_with_its_error_and_code():
    # CharlesWB/LicenseStatus MockUtil/LmStatErrors.cs (format: lm_stat.c)
    text = HEAD + (
        "Users of Catia_GCO: Cannot get users of Catia_GCO: No such feature exists. (-5,222)\n"
        "Users of GCO_UG: Cannot get users of GCO_UG: No socket connection to license server "
        "manager. (-7,10015)\n")
    report = parse_lmstat(text)
    assert report.diagnostics == ()
    catia, gco = report.servers[0].features
    assert (catia.name, catia.error, catia.error_code) == (
        "Catia_GCO", "No such feature exists.", "-5,222")
    assert (catia.issued, catia.in_use) == (None, None)
    assert (gco.error, gco.error_code) == (
        "No socket connection to license server manager.", "-7,10015")


def test_users_of_none_is_a_feature_nobody_holds():
    feature = feature_of("", header="Users of f: None\n")  # lm_stat.c
    assert (feature.name, feature.issued, feature.in_use, feature.error) == ("f", None, 0, None)


def test_borrowable_licences_and_their_pool_and_seats():
    feature = feature_of(  # lm_stat.c
        '  "f" v1.0, vendor: v\n  floating license\n\n'
        "    u h d (v1.0) (a/27000 1), start Sun 11/22 9:00\n",
        header="Users of f:  (Total of 5 borrowable licenses issued;  "
               "Total of 1 license in use)\n")
    assert (feature.issued, feature.in_use, len(feature.pools), len(feature.checkouts)) == (
        5, 1, 1, 1)


def test_single_number_linger_is_the_whole_period():
    # CharlesWB/LicenseStatus MockUtil/LmStatTest.cs (format: lm_stat.c ` (linger: %ld)`);
    # the status line says 10:43, so 25 minutes of the 167 days have gone
    text = """lmutil - Copyright (c) 1989-2006 Macrovision Europe Ltd. and/or Macrovision Corporation. All Rights Reserved.
Flexible License Manager status on Wed 3/14/2012 10:43

Users of Feature_With_Borrow:  (Total of 16 licenses issued;  Total of 4 licenses in use)

  "Feature_With_Borrow" v22.0, vendor: testdaemon
  floating license

    user005 comp005 comp005 (v22.0) (SERVER001/27001 601), start Wed 3/14 10:18 (linger: 14437140)
    user014 comp014 comp014 (v22.0) (SERVER001/27001 2219), start Wed 3/14 10:15, 2 licenses (linger: 14437140)
"""
    report = parse_lmstat(text)
    assert report.diagnostics == ()
    one, two = report.servers[0].features[0].checkouts
    assert (one.borrowed, one.linger_s, one.linger_total_s) == (True, 14437140 - 25 * 60,
                                                                14437140)
    assert (two.count, two.borrowed, two.linger_total_s) == (2, True, 14437140)


def test_single_number_linger_that_has_run_out_is_not_a_borrow():
    (seat,) = seats_of("    u h d (v1.0) (a/27000 1), start Sun 11/22 9:00 (linger: 3600)\n")
    assert (seat.borrowed, seat.linger_s, seat.linger_total_s) == (False, 0, 3600)


def test_borrow_return_is_a_borrow_until_that_time():
    (seat,) = seats_of(  # lm_stat.c `, borrow-return %s %d/%d %d:%s%d`
        "    u h d (v1.0) (a/27000 1), start Fri 11/20 14:29, 2 licenses, "
        "borrow-return Sat 1/2 14:29\n")
    assert (seat.count, seat.borrowed) == (2, True)
    assert seat.linger_total_s == 43 * 86400  # from the start to 2 January 2027
    assert seat.linger_s == 43 * 86400 - (2 * 86400 - (14 * 60 + 29 - 10 * 60 - 5) * 60)


def test_seat_lines_without_version_or_handle():
    no_version, no_handle, neither = seats_of(  # lm_stat.c leaves out each when it is 0
        "    u1 h1 d1 (a/27000 7), start Sun 11/22 9:00\n"
        "    u2 h2 d2 (v1.0), start Sun 11/22 9:01, 3 licenses\n"
        "    u3 h3 d3, start Sun 11/22 9:02\n")
    assert (no_version.user, no_version.version, no_version.handle) == ("u1", None, 7)
    assert (no_handle.display, no_handle.version, no_handle.server, no_handle.count) == (
        "d2", "1.0", None, 3)
    assert (neither.user, neither.host, neither.display, neither.version) == (
        "u3", "h3", "d3", None)


def test_package_and_borrowed_reservations():
    feature = feature_of(  # lm_stat.c
        "\t3 RESERVATIONs (UH) for PACKAGE pkg, user:host (srv/27000)\n"
        "\t2 RESERVATIONs for DAEMON on hostx (srv/27000)\n"
        "\t1 RESERVATION for USER rachel (srv/27000)\n")
    package, borrowed, user = feature.reservations
    assert (package.count, package.kind, package.name, package.port) == (
        3, "PACKAGE", "pkg, user:host", 27000)
    assert (borrowed.count, borrowed.kind, borrowed.name, borrowed.server) == (
        2, BORROWED, "hostx", "srv")
    assert (feature.reserved, feature.borrowed) == (3 + 1, 2)


# ---- 3: small things -----------------------------------------------------------------------

def test_vendor_string_escapes_are_kept_as_the_licence_file_has_them():
    # mjtrangoni/flexlm_exporter issue #80: Cameo writes spaces in its vendor string as the
    # Java escape \u0020 (six characters in the licence file); lmstat prints them verbatim
    feature = feature_of(
        '  "CC888888Connections" v2022, vendor: cameo, expiry: 02-jun-2025\n'
        "  vendor_string: product=CC4TWC|profile=0|edition=10\\u0020Connections|"
        "licenseType=Floating|\n  floating license\n")
    assert feature.pools[0].vendor_string == (
        "product=CC4TWC|profile=0|edition=10\\u0020Connections|licenseType=Floating|")


def test_echoed_command_line_is_ignored():
    # Wildsong/arctic-monitor lmstat.txt (commit 6d965e92)
    text = """./lmutil lmstat -c service.txt -a
lmutil - Copyright (c) 1989-2018 Flexera. All Rights Reserved.
Flexible License Manager status on Fri 7/12/2019 11:03

[Detecting lmgrd processes...]
License server status: 27000@myserver-GIS
    License file(s) on myserver-GIS: C:\\Program Files (x86)\\ArcGIS\\LicenseManager\\bin\\service.txt:

    myserver-GIS: license server UP (MASTER) v11.16.2

Vendor daemon status (on myserver-GIS):

    ARCGIS: UP v11.16.2
Feature usage info:

Users of ARC/INFO:  (Total of 6 licenses issued;  Total of 2 licenses in use)

  "ARC/INFO" v10.1, vendor: ARCGIS, expiry: permanent(no expiration date)
  floating license

    jsmith machine1 w%.=H@QVO!;~_8' (v10.1) (MYSERVER-GIS/27000 101), start Fri 7/12 8:42
"""
    report = parse_lmstat(text)
    assert report.diagnostics == ()
    (seat,) = report.servers[0].features[0].checkouts
    assert (seat.user, seat.host, seat.display) == ("jsmith", "machine1", "w%.=H@QVO!;~_8'")


@pytest.mark.parametrize("line", [
    "    u h d (v1.0) (a/27000 1), start Sun 11/22 9:00, borrow-return Tue 2/30 9:00",
    "     (v1.0) (a/27000 1), start Sun 11/22 9:00",
    "    u, start Sun 11/22 9:00",
])
def test_odd_seat_lines_never_raise(line):
    parse_lmstat(HEAD + "Users of f:  (Total of 1 license issued;  Total of 1 license in use)\n"
                 + line + "\n", now=NOW)
