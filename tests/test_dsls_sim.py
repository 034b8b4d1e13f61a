"""The simulated DS License Server: getLicenseUsage's CSV, read by the parser, gives exactly
the simulator's own account of its state (whole ServerStatus objects compared, over seeds,
two zones and days of work, the clock frozen between steps): the seats and tokens each
session holds, who holds them from when, and the licence held offline with its time left;
it answers the adapter's command through the transport, and refuses a port it is not on."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from lmconsole.adapters import ADAPTERS
from lmconsole.model import Status

DSLS = ADAPTERS["dsls"]
SIMULATOR = DSLS.simulator()
ZONES = ("Europe/Paris", "Asia/Tokyo")
STEPS = (3600, 4 * 3600, 20 * 3600, 2 * 86400, 2 * 86400)  # the offline licence comes back
QUERY = SimpleNamespace(name="studio-dsls", lmutil="lmutil", license="4085@dsls1.studio.example")


def start(seed: int = 3, zone: str | None = None, hours: float = 1.5):
    scenario = SIMULATOR.scenario("studio")
    if zone is not None:
        scenario = scenario.starting_at(scenario.start.astimezone(ZoneInfo(zone)))
    return SIMULATOR.start(scenario, seed=seed, at=scenario.start + timedelta(hours=hours),
                           speed=None)


def usage(server, query=QUERY) -> str:
    code, out, err = server.command(DSLS.status_argv(query))
    assert (code, err) == (0, "")
    return out


def assert_round_trip(server, tz=None) -> None:
    tz = tz or server.scenario.zone
    report = DSLS.parse_status(usage(server), name="sim", tz=tz, now=server.now)
    assert report.diagnostics == () and report.recognised and report.truncated_at is None
    assert report.servers == (server.status(tz, "sim"),)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("seed", (1, 7, 23))
def test_parsing_the_usage_csv_gives_the_simulators_model(seed, zone):
    server = start(seed, zone)
    assert_round_trip(server)
    for seconds in STEPS:
        server.advance(seconds)
        assert_round_trip(server)
    assert_round_trip(server, ZoneInfo("UTC"))  # read by someone who takes it for UTC


def test_a_busy_morning_shows_tokens_seats_and_the_licence_held_offline():
    server = start(seed=3, hours=3.5)  # 11:00 on Monday
    text = usage(server)
    assert text.startswith("License Administration Tool Version ")
    header = next(line for line in text.splitlines() if line.startswith("Editor,"))
    assert header.endswith(",Queue Position,Offline Until,")
    (status,) = DSLS.parse_status(text, name="studio-dsls", tz=server.scenario.zone,
                                  now=server.now).servers
    assert (status.status, status.hosts[0].host, status.hosts[0].version) == (
        Status.UP, "dsls1.studio.example", "6.425.4")
    features = {f.name: f for f in status.features}
    assert [(f.name, f.vendor, f.issued, f.pools[0].license_type) for f in status.features] == [
        ("MD2", "Dassault Systemes", 4, "concurrentuser"),
        ("HD2", "Dassault Systemes", 2, "concurrentuser"), ("QXT", "Dassault Systemes", 25, "token")]
    (offline,) = [c for f in status.features for c in f.checkouts if c.borrowed]
    until = server.scenario.start + timedelta(days=3.2)
    assert (offline.user, offline.host, offline.linger_s) == (
        "ilse", "nb-ilse", int((until - server.now).total_seconds()))
    for feature in status.features:  # in use is the tokens the sessions hold
        assert feature.in_use == sum(c.count for c in feature.checkouts)
    assert any(c.count > 1 for c in features["QXT"].checkouts)
    assert all(c.pid and c.extra.startswith("(") for f in status.features for c in f.checkouts)


def test_without_a_licence_held_offline_the_header_is_the_real_tools():
    server = start(seed=3, hours=0)
    server.advance(4 * 86400)  # Friday: the offline licence came back on Thursday
    header = next(line for line in usage(server).splitlines() if line.startswith("Editor,"))
    assert header.endswith(",Granted At,Queue Position,")
    assert not any(c.borrowed for f in server.status().features for c in f.checkouts)


def test_full_token_pools_deny_and_the_run_is_the_same_however_the_clock_is_stepped():
    one, other = start(seed=11, hours=0), start(seed=11, hours=0)
    one.advance(30 * 3600)
    for _ in range(30):
        other.advance(3600)
    assert usage(one) == usage(other)
    assert one.denied == other.denied and one.denied["QXT"] > 0  # jobs wait for tokens


def test_the_adapters_command_runs_through_the_transport_and_a_wrong_port_is_refused():
    server = start(seed=2)
    transport = SIMULATOR.transport(server)

    async def scenario():
        return (await transport.run(DSLS.status_argv(QUERY), timeout=5),
                await transport.run(DSLS.status_argv(SimpleNamespace(
                    name="x", lmutil="/opt/ds/DSLicSrv", license="4999@dsls1")), timeout=5),
                await transport.run(["DSLicSrv", "-admin"], timeout=5),
                await transport.run(["lsmon", "x"], timeout=5))

    ok, wrong_port, usage_error, other = asyncio.run(scenario())
    (status,) = DSLS.parse_status(ok.stdout, name="studio-dsls", tz=server.scenario.zone,
                                  now=server.now).servers
    assert ok.exit_code == 0 and status.status is Status.UP
    (down,) = DSLS.parse_status(wrong_port.stdout, name="x", tz=server.scenario.zone,
                                now=server.now).servers
    assert (down.status, down.source) == (Status.DOWN, "4999@dsls1")
    assert usage_error.exit_code == 1 and other.exit_code == 127
    assert SIMULATOR.denial_lines(server) == []  # DSLS writes no log lmconsole reads


def test_the_simulator_serves_configured_servers_and_names_its_scenarios():
    assert DSLS.config_problems({"transport": "sim", "license": "4085@dsls1"}) == []
    assert dict(DSLS.config_problems({"debug_log": "/x"})).keys() == {"debug_log"}
    with pytest.raises(ValueError, match="there are: studio"):
        SIMULATOR.scenario("office")
