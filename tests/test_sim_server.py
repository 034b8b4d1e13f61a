"""The simulated server's timeline: determinism, saved state, the workload and the log."""

from __future__ import annotations

import json
import re

import pytest

from lmconsole.adapters.flexlm.sim import ManualClock, SimulatedServer, load_scenario

from .test_sim_rules import events, quiet_server

USAGE = re.compile(r'^[ \d]\d:\d\d:\d\d \((\w+)\) (OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED): ')


def run(scenario: str, seed: int, steps: list[int]) -> tuple[list[str], list[str]]:
    server = SimulatedServer.from_scenario(scenario, seed=seed)
    outputs = []
    for seconds in steps:
        server.advance(seconds)
        outputs.append(server.lmutil(["lmstat", "-a"])[1])
    return outputs, server.log.lines


@pytest.mark.parametrize("scenario", ["architecture", "engineering", "reserved"])
def test_same_seed_same_clock_same_output_and_log(scenario):
    first = run(scenario, 7, [600, 1800, 3600])
    assert first == run(scenario, 7, [600, 1800, 3600])
    assert first != run(scenario, 8, [600, 1800, 3600])


def test_a_saved_and_reloaded_server_carries_on_exactly_like_an_uninterrupted_one():
    straight = SimulatedServer.from_scenario("engineering", seed=3)
    straight.advance(2 * 3600)
    interrupted = SimulatedServer.from_scenario("engineering", seed=3)
    interrupted.advance(3000)
    lines = list(interrupted.log.lines)
    reloaded = SimulatedServer.from_dict(json.loads(json.dumps(interrupted.to_dict())))
    reloaded.advance(2 * 3600 - 3000)
    assert lines + reloaded.log.lines == straight.log.lines
    assert reloaded.lmutil(["lmstat", "-a"]) == straight.lmutil(["lmstat", "-a"])


@pytest.mark.parametrize("scenario", ["architecture", "engineering", "reserved"])
def test_the_workload_never_holds_more_seats_than_a_pool_has(scenario):
    server = SimulatedServer.from_scenario(scenario, seed=11)
    for _ in range(12 * 4):
        server.advance(900)
        for feature in server.daemons.licence.features():
            for index, pool in enumerate(server.daemons.pools(feature)):
                assert server.daemons.used(feature, index) <= pool.count
            assert server.daemons.in_use(feature) <= server.daemons.issued(feature)


def test_borrowed_seats_show_their_linger_and_return_when_it_ends(tmp_path):
    server = quiet_server(tmp_path)
    seat = server.checkout("ann", "ann-nb", "CAD", borrow_s=3 * 86400)
    line = next(row for row in server.lmutil(["lmstat", "-a"])[1].splitlines() if "ann-nb" in row)
    assert line.endswith(", start Sun 3/1 9:30  (linger: 259200 / 259200)")
    server.advance(3600)
    assert "(linger: 255600 / 259200)" in server.lmutil(["lmstat", "-a"])[1]
    server.advance(3 * 86400)
    assert server.daemons.seat(seat.handle) is None
    assert events(server)[-1] == 'IN: "CAD" ann@ann-nb  '


def test_a_queued_user_waits_then_gets_the_freed_seat(tmp_path):
    server = quiet_server(tmp_path)
    held = [server.checkout(u, f"{u}-pc", "CAD") for u in ("ann", "bob", "cyd")]
    queued = server.checkout("dee", "dee-pc", "CAD", queue=True)
    assert queued.kind == "queued"
    out = server.lmutil(["lmstat", "-a"])[1]
    assert (f"    dee dee-pc dee-pc 2.0 (v2.0) (lic01/27000 {queued.handle}) "
            f"queued for 1 license\n") in out
    assert "Total of 3 licenses in use" in out  # queued users are not in use
    server.advance(300)
    server.checkin(held[1].handle)
    assert events(server)[-4:] == ['QUEUED: "CAD" dee@dee-pc  ', 'IN: "CAD" bob@bob-pc  ',
                                   'DEQUEUED: "CAD" dee@dee-pc  ', 'OUT: "CAD" dee@dee-pc  ']
    assert server.daemons.seat(queued.handle).user == "dee"  # the queued handle is kept
    assert "queued for" not in server.lmutil(["lmstat", "-a"])[1]


def test_log_lines_use_the_real_layout_and_timestamps_carry_the_date_over_midnight():
    server = SimulatedServer.from_scenario("reserved", seed=2)
    server.advance(36 * 3600)
    lines = server.log.lines
    assert all(re.match(r"^[ \d]\d:\d\d:\d\d \(\w+\) ", line) for line in lines)
    assert lines[0] == "18:05:00 (lmgrd) -----------------------------------------------"
    assert " 0:05:00 (lmgrd) TIMESTAMP 2/27/2026" in lines
    assert " 0:10:00 (ARCGIS) TIMESTAMP 2/27/2026" in lines
    assert "18:05:00 (lmgrd) TIMESTAMP 2/26/2026" in lines  # at start-up
    stamps = [line for line in lines if "(lmgrd) TIMESTAMP" in line]
    assert len(stamps) == 1 + (server.now_s - lines_start(server)) // (6 * 3600)
    out_lines = [line for line in lines if USAGE.match(line)]
    assert out_lines and all(line.endswith(("  ", ") ", "))")) for line in out_lines)


def lines_start(server: SimulatedServer) -> int:
    return int(load_scenario("reserved").server_started.timestamp())


@pytest.mark.parametrize("scenario", ["architecture", "engineering"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_busy_scenarios_show_denials_borrowing_reservations_and_queueing_within_an_hour(
        scenario, seed):
    server = SimulatedServer.from_scenario(scenario, seed=seed)
    start = len(server.log.lines)
    seen = set()
    for _ in range(12):
        server.advance(300)
        out = server.lmutil(["lmstat", "-a"])[1]
        seen |= {word for word in ("(linger: ", "RESERVATION", " queued for ") if word in out}
    log = "\n".join(server.log.lines[start:])
    assert seen == {"(linger: ", "RESERVATION", " queued for "}
    assert "DENIED:" in log and "QUEUED:" in log


def test_engineering_peaks_near_78_percent():
    server = SimulatedServer.from_scenario("engineering", seed=4)
    issued = sum(server.daemons.issued(f) for f in server.daemons.licence.features())
    peak = 0
    for _ in range(8 * 4):
        server.advance(900)
        peak = max(peak, sum(server.daemons.in_use(f) for f in server.daemons.licence.features()))
    assert 0.7 <= peak / issued <= 0.9


def test_a_state_left_for_weeks_skips_whole_weeks_instead_of_replaying_them():
    clock = ManualClock.at(load_scenario("reserved").start)
    server = SimulatedServer.from_scenario("reserved", seed=1, clock=clock)
    before = server.now_s
    clock.advance(30 * 86400)
    server.sync()
    assert server.now_s - before == 30 * 86400
    # Seats and plans moved on with the skipped weeks: nothing looks a month old.
    assert all(server.now_s - seat.start < 5 * 86400 for seat in server.daemons.seats)
    assert all(t >= server.now_s - 3 * 86400 for t, *_ in server.events)


def test_people_carry_on_working_after_the_server_went_down_and_came_back():
    server = SimulatedServer.from_scenario("engineering", seed=6)
    server.advance(1800)
    assert server.lmutil(["lmdown", "-q", "-force"])[0] == 0
    server.advance(1800)
    server.start()
    start = len(server.log.lines)
    server.advance(2 * 3600)
    users = {line.split('" ')[1].split("@")[0] for line in server.log.lines[start:]
             if USAGE.match(line) and " OUT: " in line}
    assert len(users) >= 40
