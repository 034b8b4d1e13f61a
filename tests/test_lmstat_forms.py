"""The lmstat forms that real servers print but the corpus does not show, one test each.

Each sample follows a layout documented in shared/reference/formats.md or flexlm-admin.md.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.model import Status

HEAD = """lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved.
Flexible License Manager status on Sun 11/22/2026 10:05

"""

TRIAD_ONE_DOWN = HEAD + """License server status: 27001@lic1,27001@lic2,27001@lic3
    License file(s) on lic1: /opt/flexlm/license.dat:

lic1: license server UP (MASTER) v11.19.6
lic2: license server UP v11.19.6
lic3: Cannot connect to license server system. (-15,570:115 "Operation now in progress")

Vendor daemon status (on lic1):

  ansyslmd: UP v11.19.6
  cdslmd: The desired vendor daemon is down. (-97,121)
Feature usage info:

Users of cfd_base:  (Total of 1 license issued;  Total of 1 license in use)

  "cfd_base" v2025.0, vendor: ansyslmd, expiry: permanent(no expiration date)
  nodelocked license, locked to "ID=12345"

    jdoe ws1 ws1 (v2025.0) (lic1/27001 101), start Sun 11/22 9:00, 1 license
Users of fem_addon:  (Error: 2 licenses, unsupported by licensed server)
Users of viewer:  (Total of 5 licenses issued;  Total of 4 licenses in use)

  "viewer" v1.0, vendor: ansyslmd, expiry: 31-dec-2026
  uncounted nodelocked license locked to NOTHING (hostid=ANY)

        2 RESERVATIONs for GROUP engineers (lic1/27001)
        1 RESERVATION for USER rachel (lic1/27001)
\t1 RESERVATION for HOST_GROUP lab (lic1/27001)
\t1 RESERVATION for DISPLAY :0.0 (lic1/27001)
\t1 RESERVATION for INTERNET 10.1.2.* (lic1/27001)
\t1 RESERVATION for PROJECT apollo (lic1/27001)
    tia4108 /dev/pts/1 (v48) (lic1/27001 7), start Sat 11/21 23:59
    bob h3 h3 2.0 (v1.0) (lic1/27001 9) queued for 2 licenses
"""


def test_triad_member_down_keeps_the_server_up():
    (server,) = parse_lmstat(TRIAD_ONE_DOWN, name="eng").servers
    assert server.name == "eng" and server.status is Status.UP
    down = server.hosts[2]
    assert (down.host, down.port, down.status) == ("lic3", 27001, Status.DOWN)
    assert down.error == "Cannot connect to license server system."
    assert down.error_code == '-15,570:115 "Operation now in progress"'


def test_vendor_daemon_down_with_error():
    (server,) = parse_lmstat(TRIAD_ONE_DOWN).servers
    up, down = server.vendors
    assert (up.name, up.status) == ("ansyslmd", Status.UP)
    assert (down.name, down.status) == ("cdslmd", Status.DOWN)
    assert down.error == "The desired vendor daemon is down. (-97,121)"


def test_singular_forms_nodelocked_and_permanent_expiry():
    report = parse_lmstat(TRIAD_ONE_DOWN)
    assert report.diagnostics == ()
    cfd = report.servers[0].features[0]
    assert (cfd.issued, cfd.in_use) == (1, 1)
    assert cfd.pools[0].license_type == "nodelocked"
    assert cfd.pools[0].locked_to == "ID=12345"
    assert cfd.pools[0].expiry is None
    assert cfd.checkouts[0].count == 1


def test_feature_header_with_error_and_no_blank_lines_between_headers():
    features = parse_lmstat(TRIAD_ONE_DOWN).servers[0].features
    error = features[1]
    assert error.name == "fem_addon"
    assert error.error == "2 licenses, unsupported by licensed server"
    assert error.issued is None and error.in_use is None
    assert [f.name for f in features] == ["cfd_base", "fem_addon", "viewer"]


def test_every_reservation_kind_and_indent():
    viewer = parse_lmstat(TRIAD_ONE_DOWN).servers[0].features[2]
    assert [(r.count, r.kind, r.name) for r in viewer.reservations] == [
        (2, "GROUP", "engineers"), (1, "USER", "rachel"), (1, "HOST_GROUP", "lab"),
        (1, "DISPLAY", ":0.0"), (1, "INTERNET", "10.1.2.*"), (1, "PROJECT", "apollo"),
    ]
    assert viewer.pools[0].license_type == "uncounted"
    assert viewer.pools[0].locked_to == "ANY"
    assert viewer.pools[0].expiry == date(2026, 12, 31)


def test_two_token_user_line_and_queued_for_several():
    viewer = parse_lmstat(TRIAD_ONE_DOWN).servers[0].features[2]
    (seat,) = viewer.checkouts
    assert (seat.user, seat.host, seat.display) == ("tia4108", None, "/dev/pts/1")
    assert seat.start == datetime(2026, 11, 21, 23, 59, tzinfo=UTC)
    (queued,) = viewer.queued
    assert (queued.user, queued.host, queued.display, queued.count) == ("bob", "h3", "h3", 2)


def test_lmgrd_not_running_marks_the_server_down():
    text = HEAD + """License server status: 27000@lic9
    License file(s) on lic9: /opt/license.dat:

lmgrd is not running: License server machine is down or not responding. (-96,7:2 "No such file or directory")
"""
    (server,) = parse_lmstat(text).servers
    assert server.status is Status.DOWN
    assert server.error == "License server machine is down or not responding."
    assert server.error_code == '-96,7:2 "No such file or directory"'


def test_debug_noise_and_a_second_daemon_in_the_feature_list():
    text = HEAD + """License server status: 1717@fpga
    License file(s) on fpga: /opt/lic.dat:

fpga: license server UP (MASTER) v11.16.4

Vendor daemon status (on fpga):

     alterad: UP v11.16.4
Feature usage info:

12:59:48 (mgcld) TCP_NODELAY NOT enabled
     mgcld: UP v11.16.4
Feature usage info:

Users of quartus:  (Total of 3 licenses issued;  Total of 0 licenses in use)
"""
    report = parse_lmstat(text)
    assert report.diagnostics == ()
    assert [v.name for v in report.servers[0].vendors] == ["alterad", "mgcld"]
    # lmstat lists each daemon's features after its own "Feature usage info:" line
    assert report.servers[0].features[0].vendor == "mgcld"


def test_crlf_bom_whitespace_lines_and_zero_padded_date():
    text = ("\ufefflmstat - Copyright (c) 1989-2004 by Macrovision Corporation. All rights "
            "reserved.\r\nFlexible License Manager status on Wed 03/31/2021 09:12\r\n  \r\n"
            "License server status: 27000@a\r\n    License file(s) on a: C:\\lic.dat:\r\n"
            "a: license server UP (MASTER) v10.8\r\n \r\nVendor daemon status (on a):\r\n"
            "  v: UP v10.8\r\nFeature usage info:\r\n"
            "Users of f:  (Total of 2 licenses issued;  Total of 1 license in use)\r\n  \r\n"
            '"f" v1.0, vendor: v\r\n  floating license\r\n'
            "    u h d (v1.0) (a/27000 1), start Wed 3/31 8:00\r\n")
    report = parse_lmstat(text, tz=ZoneInfo("America/New_York"))
    assert report.diagnostics == ()
    assert report.reported_at == datetime(2021, 3, 31, 9, 12, tzinfo=ZoneInfo("America/New_York"))
    assert report.servers[0].license_files == ("C:\\lic.dat",)
    seat = report.servers[0].features[0].checkouts[0]
    assert seat.start.utcoffset().total_seconds() == -4 * 3600  # EDT in March


def test_start_on_29_february_goes_back_to_a_leap_year():
    text = HEAD.replace("11/22/2026", "3/1/2027") + """Users of f:  (Total of 2 licenses issued;  Total of 1 license in use)
  "f" v1.0, vendor: v
  floating license
    u h d (v1.0) (a/27000 1), start Thu 2/29 8:00
"""
    seat = parse_lmstat(text).servers[0].features[0].checkouts[0]
    assert seat.start.date() == date(2024, 2, 29)


def test_unknown_lines_become_diagnostics_with_line_numbers():
    text = HEAD + "Users of f:  (Total of 2 licenses issued;  Total of 0 licenses in use)\n" \
                  "this is not lmstat\n"
    report = parse_lmstat(text)
    (diagnostic,) = report.diagnostics
    assert diagnostic.line == 5 and diagnostic.text == "this is not lmstat"
    assert diagnostic.message == "unrecognised line"


def test_text_that_is_not_lmstat_is_not_recognised():
    assert not parse_lmstat("hello\nworld\n").recognised
    assert not parse_lmstat("").recognised


def test_truncations_are_located():
    cut_mid_line = HEAD + """Users of f:  (Total of 2 licenses issued;  Total of 1 license in use)
  "f" v1.0, vendor: v
  floating license
    u h d (v1.0) (a/27000 1), sta"""
    assert parse_lmstat(cut_mid_line).truncated_at == 7
    cut_after_header = HEAD + "Users of f:  (Total of 2 licenses issued;  Total of 1 license in use)\n"
    assert parse_lmstat(cut_after_header).truncated_at == 4
    cut_in_server_block = HEAD + "License server status: 27000@a\n    License file(s) on a: /l:\n"
    assert parse_lmstat(cut_in_server_block).truncated_at == 5
    complete = HEAD + "Users of f:  (Total of 2 licenses issued;  Total of 0 licenses in use)\n"
    assert parse_lmstat(complete).truncated_at is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text):
    report = parse_lmstat(text)
    assert all(d.line >= 1 for d in report.diagnostics)


lmstat_like_lines = st.sampled_from(TRIAD_ONE_DOWN.splitlines() + ["", "...", "  (linger: 1 / 2)"])


@settings(max_examples=300, deadline=None)
@given(st.lists(lmstat_like_lines, max_size=40), st.text(max_size=20))
def test_never_raises_on_shuffled_real_lines(lines, noise):
    parse_lmstat("\n".join(lines) + noise)


def test_uncounted_pool_locked_to_a_quoted_hostid():
    text = HEAD + """Users of f:  (Uncounted, node-locked)
  "f" v1.0, vendor: v, expiry: 1-jan-0
  uncounted nodelocked license locked to "ID=42"
    u h d (v1.0) (a/27000 1), start Sun 11/22 9:00
"""
    feature = parse_lmstat(text).servers[0].features[0]
    assert feature.pools[0].license_type == "uncounted"
    assert feature.pools[0].locked_to == "ID=42"
    assert feature.uncounted and len(feature.checkouts) == 1
