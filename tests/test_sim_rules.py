"""The simulated vendor daemon enforces its options file, logging real denial lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lmconsole.adapters.flexlm.sim import SimulatedServer

LICENCE = """\
SERVER lic01 ANY 27000
VENDOR demo options=demo.opt
INCREMENT CAD demo 2.0 31-dec-2026 3 SIGN=0
INCREMENT Viewer demo 1.0 permanent 5 SIGN=0
INCREMENT Solver demo 1.0 31-dec-2026 1 SIGN=0
INCREMENT Solver demo 2.0 31-dec-2026 1 SIGN=0
INCREMENT Plotter demo 1.0 31-dec-2026 1 VENDOR_STRING=site:hq SIGN=0
"""
LINE = re.compile(r"^[ \d]\d:\d\d:\d\d \(demo\) (.*)$")


def quiet_server(directory: Path, options: str = "") -> SimulatedServer:
    """A server with no workload: only what the test checks out happens."""
    (directory / "demo.lic").write_text(LICENCE)
    (directory / "demo.opt").write_text(options)
    return SimulatedServer.from_scenario("reserved", licence_path=directory / "demo.lic",
                                         workload=False)


def events(server: SimulatedServer, since: int = 0) -> list[str]:
    """The vendor daemon's usage lines (without the time and daemon prefix)."""
    found = [LINE.match(line) for line in server.log.lines[since:]]
    return [m[1] for m in found if m and m[1].split(":")[0] in
            ("OUT", "IN", "DENIED", "QUEUED", "DEQUEUED", "UNSUPPORTED")]


def take(server: SimulatedServer, user: str, feature: str = "CAD", **kwargs) -> str:
    return server.checkout(user, f"{user}-pc", feature, **kwargs).kind


def test_pool_size_is_honoured_and_the_next_user_is_denied_with_minus_4(tmp_path):
    server = quiet_server(tmp_path)
    assert [take(server, u) for u in ("ann", "bob", "cyd", "dee")] == ["out"] * 3 + ["denied"]
    assert take(server, "eve", count=2) == "denied"
    assert events(server) == [
        'OUT: "CAD" ann@ann-pc  ', 'OUT: "CAD" bob@bob-pc  ', 'OUT: "CAD" cyd@cyd-pc  ',
        'DENIED: "CAD" dee@dee-pc  (Licensed number of users already reached. (-4,342))',
        'DENIED: "CAD" eve@eve-pc  (Licensed number of users already reached. (-4,342))']


def test_multi_seat_checkouts_count_every_seat(tmp_path):
    server = quiet_server(tmp_path)
    out = server.checkout("ann", "ann-pc", "CAD", count=2)
    assert take(server, "bob", count=2) == "denied"
    assert take(server, "bob") == "out"
    assert server.checkin(out.handle)
    assert events(server)[0] == 'OUT: "CAD" ann@ann-pc  (2 licenses) '
    assert events(server)[-1] == 'IN: "CAD" ann@ann-pc  (2 licenses) '


@pytest.mark.parametrize("options", [
    "EXCLUDE CAD USER ann",
    "HOST_GROUP labs ann-*\nEXCLUDE CAD HOST_GROUP labs",
    "EXCLUDEALL USER ann",
    "GROUPCASEINSENSITIVE ON\nGROUP cad_users ANN\nEXCLUDE CAD GROUP cad_users",
    "INCLUDE CAD USER ann\nEXCLUDE CAD USER ann",  # EXCLUDE is checked first
])
def test_exclude_denies_with_minus_38(tmp_path, options):
    server = quiet_server(tmp_path, options)
    assert take(server, "ann") == "denied"
    assert take(server, "bob") == ("denied" if "INCLUDE" in options else "out")
    assert events(server)[0] == (
        'DENIED: "CAD" ann@ann-pc  (User/host on EXCLUDE list for feature. (-38,348))')


@pytest.mark.parametrize("options", ["INCLUDE CAD USER ann", "GROUP g ann\nINCLUDEALL GROUP g"])
def test_an_include_list_shuts_out_everyone_else_with_minus_39(tmp_path, options):
    server = quiet_server(tmp_path, options)
    assert take(server, "ann") == "out"
    assert take(server, "bob") == "denied"
    assert take(server, "bob", "Viewer") == ("denied" if "INCLUDEALL" in options else "out")
    assert events(server)[1] == (
        'DENIED: "CAD" bob@bob-pc  (User/host not on INCLUDE list for feature. (-39,349))')


def test_max_caps_a_group_as_a_whole_with_minus_87(tmp_path):
    server = quiet_server(tmp_path, "GROUP eng ann bob\nMAX 1 CAD GROUP eng")
    assert [take(server, u) for u in ("ann", "bob", "cyd")] == ["out", "denied", "out"]
    assert events(server)[1] == (
        'DENIED: "CAD" bob@bob-pc  (Checkout exceeds MAX specified in options file. (-87,353))')


def test_max_all_users_caps_each_user(tmp_path):
    server = quiet_server(tmp_path, "MAX 2 Viewer USER ALL_USERS")
    assert take(server, "ann", "Viewer", count=2) == "out"
    assert take(server, "ann", "Viewer") == "denied"
    assert take(server, "bob", "Viewer", count=2) == "out"


def test_reserved_seats_count_as_in_use_and_are_kept_for_their_group(tmp_path):
    server = quiet_server(tmp_path, "GROUP engineers rachel chen natal\n"
                                    "RESERVE 2 Viewer GROUP engineers")
    assert [take(server, u, "Viewer") for u in ("ann", "bob", "cyd", "dee")] == (
        ["out"] * 3 + ["denied"])
    assert events(server)[-1] == (
        'DENIED: "Viewer" dee@dee-pc  (All licenses are reserved for others. (-101,359))')
    out = server.lmutil(["lmstat", "-a"])[1]
    assert "Users of Viewer:  (Total of 5 licenses issued;  Total of 5 licenses in use)" in out
    assert "\t2 RESERVATIONs for GROUP engineers (lic01/27000)\n" in out
    assert take(server, "rachel", "Viewer") == "out"
    assert "\t1 RESERVATION for GROUP engineers (lic01/27000)\n" in server.lmutil(
        ["lmstat", "-a"])[1]
    assert [take(server, u, "Viewer") for u in ("chen", "natal")] == ["out", "denied"]
    assert events(server)[-1] == (
        'DENIED: "Viewer" natal@natal-pc  (Licensed number of users already reached. (-4,342))')


def test_a_reservation_is_granted_before_max_and_include_are_checked(tmp_path):
    server = quiet_server(tmp_path, "RESERVE 1 CAD USER ann\nINCLUDE CAD USER bob\n"
                                    "MAX 0 CAD USER ann")
    assert [take(server, u) for u in ("ann", "bob", "cyd")] == ["out", "out", "denied"]


def test_a_pool_qualifier_steers_users_to_another_pool(tmp_path):
    server = quiet_server(tmp_path, "EXCLUDE Solver:VERSION=1.0 USER ann")
    ann = server.checkout("ann", "ann-pc", "Solver")
    bob = server.checkout("bob", "bob-pc", "Solver")
    assert server.daemons.seat(ann.handle).pool == 1  # the 2.0 pool
    assert server.daemons.seat(bob.handle).pool == 0
    out = server.lmutil(["lmstat", "-a"])[1]
    assert '  "Solver" v1.0, vendor: demo, expiry: 31-dec-2026\n' in out
    assert '  "Solver" v2.0, vendor: demo, expiry: 31-dec-2026\n' in out


def test_idle_seats_are_checked_in_as_inactive_after_the_timeout(tmp_path):
    # The daemon never times out sooner than 900 s, whatever the options file asks.
    server = quiet_server(tmp_path, "TIMEOUT CAD 60")
    seat = server.checkout("ann", "ann-pc", "CAD")
    server.go_idle(seat.handle)
    server.advance(899)
    assert server.daemons.seat(seat.handle) is not None
    server.advance(1)
    assert server.daemons.seat(seat.handle) is None
    assert events(server)[-1] == 'IN: "CAD" ann@ann-pc  (INACTIVE) '


def test_nolog_silences_those_events(tmp_path):
    server = quiet_server(tmp_path, "NOLOG OUT\nNOLOG DENIED")
    for user in ("ann", "bob", "cyd", "dee"):
        take(server, user)
    assert events(server) == []


def test_an_unknown_feature_is_logged_as_unsupported(tmp_path):
    server = quiet_server(tmp_path)
    assert take(server, "ann", "NoSuchThing") == "unsupported"
    assert re.fullmatch(r'UNSUPPORTED: "NoSuchThing" \(([0-9A-F]{4} ){4}\) ann@ann-pc  '
                        r"\(No such feature exists\. \(-5,346\)\)", events(server)[0])
