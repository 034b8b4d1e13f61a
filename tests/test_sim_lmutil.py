"""The simulator's lmutil command line: output layout, admin commands and exit codes."""

from __future__ import annotations

from lmconsole.adapters.flexlm.sim import SimulatedServer

from .test_sim_rules import events, quiet_server

BANNER = "lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved."
CANT_CONNECT = ('Error getting status: Cannot connect to license server system. '
                '(-15,570:111 "Connection refused")')


def test_lmstat_a_matches_the_real_layout_line_for_line(tmp_path):
    server = quiet_server(tmp_path)
    ann = server.checkout("ann", "ann-pc", "CAD")
    server.advance(61)
    bob = server.checkout("bob", "BOB-PC", "CAD", count=2, version="1.5")
    plot = server.checkout("cyd", "cyd-pc", "Plotter", display="/dev/pts/3")
    code, out, err = server.lmutil(["lmstat", "-a"])
    assert (code, err) == (0, "")
    assert out == f"""\
{BANNER}
Flexible License Manager status on Sun 3/1/2026 9:31

License server status: 27000@lic01
    License file(s) on lic01: {tmp_path / "demo.lic"}:

lic01: license server UP (MASTER) v11.19.6

Vendor daemon status (on lic01):

      demo: UP v11.19.6
Feature usage info:

Users of CAD:  (Total of 3 licenses issued;  Total of 3 licenses in use)

  "CAD" v2.0, vendor: demo, expiry: 31-dec-2026
  floating license

    ann ann-pc ann-pc (v2.0) (lic01/27000 {ann.handle}), start Sun 3/1 9:30
    bob BOB-PC BOB-PC (v1.5) (lic01/27000 {bob.handle}), start Sun 3/1 9:31, 2 licenses

Users of Viewer:  (Total of 5 licenses issued;  Total of 0 licenses in use)

Users of Solver:  (Total of 2 licenses issued;  Total of 0 licenses in use)

Users of Plotter:  (Total of 1 license issued;  Total of 1 license in use)

  "Plotter" v1.0, vendor: demo, expiry: 31-dec-2026
  vendor_string: site:hq
  floating license

    cyd cyd-pc /dev/pts/3 (v1.0) (lic01/27000 {plot.handle}), start Sun 3/1 9:31

"""


def test_lmstat_without_a_shows_servers_only_and_f_one_feature(tmp_path):
    server = quiet_server(tmp_path)
    server.checkout("ann", "ann-pc", "Viewer")
    plain = server.lmutil(["lmstat", "-c", "27000@lic01"])[1]
    assert plain.endswith("      demo: UP v11.19.6\n") and "Feature usage" not in plain
    one = server.lmutil(["lmstat", "-f", "Viewer"])[1]
    assert "Users of Viewer:" in one and "Users of CAD:" not in one
    for spec in ("@lic01", "27000@LIC01", str(tmp_path / "demo.lic"), "27000@other,27000@lic01"):
        assert server.lmutil(["lmstat", "-a", "-c", spec])[0] == 0


def test_lmstat_against_another_server_cannot_connect(tmp_path):
    server = quiet_server(tmp_path)
    code, out, _ = server.lmutil(["lmstat", "-a", "-c", "27001@lic01"])
    assert code == 241
    status_line = "Flexible License Manager status on Sun 3/1/2026 9:30"
    assert out == f"{BANNER}\n{status_line}\n\n{CANT_CONNECT}\n"


def test_lmreread_applies_an_edited_options_file(tmp_path):
    server = quiet_server(tmp_path)
    (tmp_path / "demo.opt").write_text("EXCLUDE CAD USER ann\n")
    assert server.checkout("ann", "ann-pc", "Viewer").kind == "out"
    assert server.checkout("ann", "ann-pc", "CAD").kind == "out"  # not re-read yet
    assert server.lmutil(["lmreread", "-c", "27000@lic01"]) == (
        0, f"{BANNER}\nlmreread successful\n", "")
    assert server.checkout("ann", "ann-pc", "CAD").kind == "denied"
    assert events(server)[-1] == (
        'DENIED: "CAD" ann@ann-pc  (User/host on EXCLUDE list for feature. (-38,348))')
    text = "\n".join(server.log.lines)
    for line in ("(lmgrd) Rereading license file... Requested from lmadmin@lic01",
                 "(demo) Rereading license file...", "(lmgrd) Done rereading",
                 "(demo) Updating feature CAD", "(demo) Rereading options file...",
                 "(demo) ...Finished rereading"):
        assert line in text
    assert server.lmutil(["lmreread", "-vendor", "demo"])[0] == 0
    assert server.lmutil(["lmreread", "-vendor", "nosuch"])[0] == 159  # -97


def test_lmreread_of_a_broken_licence_file_fails_and_keeps_the_old_one(tmp_path):
    server = quiet_server(tmp_path)
    (tmp_path / "demo.lic").write_text("INCREMENT CAD demo 2.0 31-dec-2026 3 SIGN=0\n")
    code, out, _ = server.lmutil(["lmreread"])
    assert code == 254
    assert out.endswith("lmreread failed: Invalid license file syntax. (-2,0)\n")
    assert server.checkout("ann", "ann-pc", "Viewer").kind == "out"


def test_lmreread_serves_the_queue_when_a_new_options_file_frees_seats(tmp_path):
    server = quiet_server(tmp_path, "RESERVE 3 CAD USER boss")
    assert server.checkout("ann", "ann-pc", "CAD", queue=True).kind == "queued"
    (tmp_path / "demo.opt").write_text("")
    server.lmutil(["lmreread"])
    assert events(server)[-2:] == ['DEQUEUED: "CAD" ann@ann-pc  ', 'OUT: "CAD" ann@ann-pc  ']


def test_lmremove_by_user_host_display_frees_every_such_seat(tmp_path):
    server = quiet_server(tmp_path)
    for _ in range(2):
        server.checkout("ann", "ann-pc", "CAD")
    waiting = server.checkout("bob", "bob-pc", "CAD", count=2, queue=True)
    assert server.lmutil(["lmremove", "CAD", "ann", "ann-pc", "ann-pc"])[0] == 192  # too soon
    server.advance(120)
    assert server.lmutil(["lmremove", "-c", "27000@lic01", "CAD", "ann", "ann-pc", "ann-pc"]) == (
        0, f"{BANNER}\n", "")
    assert events(server)[-4:] == ['IN: "CAD" ann@ann-pc  (REMOVED) ',
                                   'DEQUEUED: "CAD" bob@bob-pc  (2 licenses) ',
                                   'OUT: "CAD" bob@bob-pc  (2 licenses) ',
                                   'IN: "CAD" ann@ann-pc  (REMOVED) ']
    assert server.daemons.seat(waiting.handle).count == 2
    code, out, _ = server.lmutil(["lmremove", "CAD", "ann", "ann-pc", "ann-pc"])
    assert code == 215 and out.endswith("lmremove failed: Feature was never checked out. (-41,0)\n")


def test_lmremove_by_handle(tmp_path):
    server = quiet_server(tmp_path)
    seat = server.checkout("ann", "ann-pc", "CAD")
    server.advance(300)
    assert server.lmutil(["lmremove", "-h", "CAD", "lic02", "27000", str(seat.handle)])[0] == 241
    assert server.lmutil(["lmremove", "-h", "CAD", "lic01", "27000", str(seat.handle)])[0] == 0
    assert server.daemons.seat(seat.handle) is None
    assert server.lmutil(["lmremove", "-h", "Nope", "lic01", "27000", "1"])[0] == 251  # -5


def test_lmdown_then_lmstat_cannot_connect_until_lmgrd_starts_again(tmp_path):
    server = quiet_server(tmp_path)
    server.checkout("ann", "ann-pc", "CAD")
    assert server.lmutil(["lmdown", "-c", "27000@lic01", "-q"]) == (
        0, f"{BANNER}\n1 FlexNet License Server shut down\n", "")
    assert server.lmutil(["lmstat", "-a"])[:2] == (
        241, f"{BANNER}\nFlexible License Manager status on Sun 3/1/2026 9:30\n\n{CANT_CONNECT}\n")
    for argv in (["lmreread"], ["lmremove", "CAD", "a", "b", "c"], ["lmdown", "-q"]):
        code, out, _ = server.lmutil(argv)
        assert code == 241 and "Cannot connect to license server system." in out
    assert server.log.lines[-1].endswith("(lmgrd) EXITING DUE TO SIGNAL 15")
    assert server.checkout("bob", "bob-pc", "CAD").kind == "down"
    server.advance(600)
    server.start()
    assert server.lmutil(["lmstat", "-a"])[0] == 0
    assert server.daemons.seats == []  # the daemons forgot their seats


def test_lmdown_asks_first_and_refuses_while_licences_are_borrowed(tmp_path):
    server = quiet_server(tmp_path)
    code, out, _ = server.lmutil(["lmdown", "-c", "27000@lic01"], stdin="n\n")
    assert code == 0 and out.endswith("Are you sure (y/n)?  \n") and server.lmgrd_up
    server.checkout("ann", "ann-nb", "CAD", borrow_s=86400)
    code, out, _ = server.lmutil(["lmdown", "-c", "27000@lic01"], stdin="y\n")
    assert code == 136
    assert out.endswith("lmdown failed: Cannot lmdown the server when licenses are borrowed. "
                        "(-120,0)\n")
    assert server.lmutil(["lmdown", "-c", "27000@lic01", "-q", "-force"])[0] == 0
    server.start()
    assert [s.user for s in server.daemons.seats] == ["ann"]  # the notebook kept its seat


def test_lmdown_of_one_vendor_daemon_leaves_lmgrd_up_and_lmreread_restarts_it(tmp_path):
    server = quiet_server(tmp_path)
    server.checkout("ann", "ann-pc", "CAD")
    assert server.lmutil(["lmdown", "-vendor", "demo", "-q"])[1].endswith(
        "Vendor daemon demo shut down\n")
    out = server.lmutil(["lmstat", "-a"])[1]
    assert "      demo: The desired vendor daemon is down. (-97,121)\n" in out
    assert "Users of CAD:  (Error: 3 licenses, unsupported by licensed server)\n" in out
    assert server.checkout("ann", "ann-pc", "CAD").kind == "down"
    assert server.lmutil(["lmreread"])[0] == 0
    assert any("(lmgrd) REStarted demo (internet tcp_port" in line for line in server.log.lines)
    assert server.checkout("ann", "ann-pc", "CAD").kind == "out"


def test_bad_command_lines_print_the_usage_and_fail(tmp_path):
    server = quiet_server(tmp_path)
    for argv in (["lmfoo"], [], ["lmstat", "-z"], ["lmstat", "-c"], ["lmremove", "CAD", "ann"],
                 ["lmremove", "-h", "CAD", "lic01", "port", "1"], ["lmdown", "extra"]):
        code, out, err = server.lmutil(argv)
        assert code == 1 and out.startswith(f"{BANNER}\nusage: lmutil lmstat") and err, argv
    assert server.lmutil(["-help"])[0] == 0


def test_scenarios_print_what_they_serve():
    server = SimulatedServer.from_scenario("engineering", seed=5)
    out = server.lmutil(["lmstat", "-a", "-c", "27100@lic2.eng.example.com"])[1]
    assert ("License server status: 27100@lic1.eng.example.com,27100@lic2.eng.example.com,"
            "27100@lic3.eng.example.com\n") in out
    assert "lic2.eng.example.com: license server UP (MASTER) v11.19.6\n" in out
    assert "  ansyslmd: UP v11.18.2\n" in out
    assert '  "LSDYNA" v2025.0, vendor: ansyslmd, expiry: 1-jan-0\n' in out
    assert "Users of ANSYS_Mechanical:  (Total of 8 licenses issued;" in out
    assert "Users of MATLAB:  (Total of 20 licenses issued;" in out
