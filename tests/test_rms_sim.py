"""The simulated Sentinel RMS server: its `lsmon`, read by the parser, gives exactly the
simulator's own account of its state (whole ServerStatus objects compared, over seeds, two
zones and days of work, the clock frozen between steps); its usage log, read by the usage
log reader, gives its checkouts, returns and denials; it answers through the transport the
adapter's command runs on, and follows its log there."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from lmconsole.adapters import ADAPTERS
from lmconsole.model import EventKind
from lmconsole.transport import LogLine, LogOpened

RMS = ADAPTERS["rms"]
SIMULATOR = RMS.simulator()
ZONES = ("Europe/Berlin", "America/Chicago")
STEPS = (3600, 4 * 3600, 20 * 3600, 2 * 86400, 3 * 86400)  # the commuter token comes back


def start(seed: int = 3, zone: str | None = None, hours: float = 1.5):
    scenario = SIMULATOR.scenario("studio")
    if zone is not None:
        scenario = scenario.starting_at(scenario.start.astimezone(ZoneInfo(zone)))
    return SIMULATOR.start(scenario, seed=seed, at=scenario.start + timedelta(hours=hours),
                           speed=None)


def lsmon(server, *argv: str) -> str:
    code, out, err = server.command(["lsmon", *(argv or [server.scenario.host])])
    assert (code, err) == (0, "")
    return out


def assert_round_trip(server, tz=None) -> None:
    tz = tz or server.scenario.zone
    report = RMS.parse_status(lsmon(server), name="sim", tz=tz, now=server.now)
    assert report.diagnostics == () and report.recognised and report.truncated_at is None
    assert report.servers == (server.status(tz, "sim"),)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("seed", (1, 7, 23))
def test_parsing_lsmon_gives_the_simulators_model(seed, zone):
    server = start(seed, zone)
    assert_round_trip(server)
    for seconds in STEPS:
        server.advance(seconds)
        assert_round_trip(server)
    assert_round_trip(server, ZoneInfo("UTC"))  # read by someone who takes it for UTC


def test_a_busy_morning_shows_the_commuter_token_and_the_unlimited_feature():
    server = start(seed=3, hours=3.5)  # 11:00 on Monday
    text = lsmon(server)
    assert "Maximum concurrent user(s)     : 4294967294" in text  # RMS's "no limit"
    (status,) = RMS.parse_status(text, name="studio-rms", tz=server.scenario.zone,
                                 now=server.now).servers
    features = {f.name: f for f in status.features}
    assert [(f.name, f.issued, f.uncounted) for f in status.features] == [
        ("ETABS", 3, False), ("SAP2000", 2, False), ("SAFE", 2, False), ("CSiCol", None, True)]
    assert features["CSiCol"].pools[0].license_type == "unlimited"
    (commuter,) = [c for f in status.features for c in f.checkouts if c.borrowed]
    assert (commuter.user, commuter.host, commuter.extra) == ("jonas", "ST-NB07",
                                                              "commuter token")
    assert features["ETABS"].borrowed == 1
    for feature in status.features:  # in use is the clients listed, one token each
        assert feature.in_use == len(feature.checkouts)
    assert sum(len(f.checkouts) for f in status.features) > 3


def test_the_usage_log_gives_the_simulators_checkouts_returns_and_denials():
    server = start(seed=5, hours=0)
    server.advance(2 * 86400)  # Monday and Tuesday
    events, diagnostics = RMS.parse_log("\n".join(server.log_lines), tz=server.scenario.zone)
    assert diagnostics == []
    kinds = Counter(e.kind for e in events)
    assert kinds[EventKind.STARTED] == 1
    assert kinds[EventKind.DENIED] == sum(server.denied.values()) > 0
    held = Counter()
    for event in events:
        if event.kind in (EventKind.OUT, EventKind.IN):
            held[event.feature, event.user] += 1 if event.kind is EventKind.OUT else -1
    assert +held == Counter((s.feature.name, s.user) for s in server.sessions)
    commuter = [e for e in events if e.extra == "commuter"]
    assert [(e.kind, e.user) for e in commuter] == [(EventKind.OUT, "jonas")]  # out still
    assert events == sorted(events, key=lambda e: e.at)
    assert SIMULATOR.denial_lines(server) and all(
        line.split()[11] == "1" for line in SIMULATOR.denial_lines(server))
    assert len(SIMULATOR.denial_lines(server)) == sum(server.denied.values())


def test_a_run_is_the_same_however_its_clock_is_stepped():
    one, other = start(seed=11, hours=0), start(seed=11, hours=0)
    one.advance(30 * 3600)
    for _ in range(30):
        other.advance(3600)
    assert lsmon(one) == lsmon(other) and one.log_lines == other.log_lines


def test_the_adapters_command_runs_on_it_through_the_transport_and_the_log_is_followed():
    server = start(seed=2)
    transport = SIMULATOR.transport(server, log_path="/var/lservsta", follow_poll_s=0.01)
    query = SimpleNamespace(name="studio-rms", lmutil="lmutil", license="5094@rms1")
    argv = RMS.status_argv(query)
    assert argv == ["env", "LSPORT=5094", "lsmon", "rms1"]

    async def scenario():
        result = await transport.run(argv, timeout=5)
        missing = await transport.run(["lmutil", "lmstat"], timeout=5)
        data, _stat = await transport.read("/var/lservsta")
        follow = transport.follow("/var/lservsta")
        opened = await anext(follow)
        server.advance(3 * 3600)
        line = await asyncio.wait_for(anext(follow), 5)
        await follow.aclose()
        return result, missing, data, opened, line

    result, missing, data, opened, line = asyncio.run(scenario())
    assert result.exit_code == 0 and '"rms1"' in result.stdout
    (status,) = RMS.parse_status(result.stdout, name="studio-rms", tz=server.scenario.zone,
                                 now=server.now).servers
    assert status.source == "rms1" and status.manager == "rms"
    assert missing.exit_code == 127
    assert data.decode().splitlines()[0].startswith("# Startup Sentinel RMS")
    assert isinstance(opened, LogOpened) and isinstance(line, LogLine)
    assert line.text == server.log_lines[opened.at.offset]


def test_the_simulator_serves_configured_servers_and_names_its_scenarios():
    assert RMS.config_problems({"transport": "sim", "debug_log": "/var/lservsta"}) == []
    with pytest.raises(ValueError, match="there are: studio"):
        SIMULATOR.scenario("plant")
    scenario = SIMULATOR.scenario("studio")
    moved = scenario.starting_at(scenario.start + timedelta(days=10))
    assert [f.expires - g.expires for f, g in zip(moved.features, scenario.features)] == [
        timedelta(days=10)] * 4
