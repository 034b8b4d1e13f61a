"""Round trip: the simulator's `lmstat -a` text, read by the lmstat parser, is exactly the
simulator's own model of its state (`SimulatedServer.status`), whole ServerStatus objects
compared, nothing normalised. It checks the parser against a faithful printer, and the
printer against the model, over many seeds, scenarios, zones and admin actions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.adapters.flexlm.sim import SimulatedServer, scenario_names

ZONES = ("Europe/Berlin", "UTC", "America/Detroit", "Asia/Kolkata")
ACTIONS = ("wait", "wait", "wait", "lmreread", "lmremove", "lmdown -vendor", "lmdown", "start")


def act(server: SimulatedServer, action: str, pick: int) -> None:
    """An admin action between two polls; its own result does not matter here."""
    vendors = [v.name for v in server.daemons.licence.vendors]
    if action == "lmreread":
        server.lmutil(["lmreread"])
    elif action == "lmremove" and server.daemons.seats:
        seat = server.daemons.seats[pick % len(server.daemons.seats)]
        server.lmutil(["lmremove", "-h", seat.feature, server.identity.master,
                       str(server.identity.master_port), str(seat.handle)])
    elif action == "lmdown -vendor":
        server.lmutil(["lmdown", "-vendor", vendors[pick % len(vendors)], "-q", "-force"])
    elif action == "lmdown":
        server.lmutil(["lmdown", "-q", "-force"])
    elif action == "start":
        server.start()


def assert_round_trip(server: SimulatedServer, tz: ZoneInfo) -> None:
    _code, out, err = server.lmutil(["lmstat", "-a"])
    assert err == ""
    report = parse_lmstat(out, name="sim", tz=tz)
    assert report.diagnostics == ()
    assert report.truncated_at is None and report.recognised
    assert report.servers == (server.status(tz, name="sim"),)
    assert report.reported_at == report.servers[0].reported_at


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenario=st.sampled_from(scenario_names()), seed=st.integers(0, 10_000),
       zone=st.sampled_from(ZONES),
       steps=st.lists(st.tuples(st.integers(60, 3 * 3600), st.sampled_from(ACTIONS),
                                st.integers(0, 1000)), min_size=1, max_size=4))
def test_parsing_the_simulators_lmstat_gives_the_simulators_model(scenario, seed, zone, steps):
    server = SimulatedServer.from_scenario(scenario, seed=seed)
    tz = ZoneInfo(zone)
    assert_round_trip(server, tz)
    for seconds, action, pick in steps:
        server.advance(seconds)
        act(server, action, pick)
        event(f"{action}, then lmgrd {'up' if server.lmgrd_up else 'down'}")
        assert_round_trip(server, tz)


def test_round_trip_through_a_working_day_of_every_scenario():
    for scenario in scenario_names():
        server = SimulatedServer.from_scenario(scenario, seed=1)
        for _ in range(10):
            server.advance(3600)
            assert_round_trip(server, server.zone)
