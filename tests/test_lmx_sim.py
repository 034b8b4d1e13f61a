"""The simulated LM-X server: its `lmxendutil -licstat` and `-licstatxml`, read by the
parsers, give exactly the simulator's own account of its state (whole ServerStatus objects
compared, over seeds, zones and hours of work); its log, read by the server-log reader,
gives its checkouts, check-ins and denials; and the adapter's simulator serves the demo
and the console as the protocol says (lmconsole.adapter.Simulator)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmconsole import adapter as protocol
from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.lmx.serverlog import parse_serverlog
from lmconsole.model import EventKind

LMX = ADAPTERS["lmx"]
SIMULATOR = LMX.simulator()
ZONES = ("Europe/Vienna", "UTC", "America/Detroit", "Asia/Kolkata")


def start(seed: int = 3, zone: str | None = None, hours: float = 1.5):
    scenario = SIMULATOR.scenario("cae")
    if zone is not None:
        scenario = scenario.starting_at(scenario.start.astimezone(ZoneInfo(zone)))
    return SIMULATOR.start(scenario, seed=seed, at=scenario.start + timedelta(hours=hours),
                           speed=None)


def assert_round_trip(server) -> None:
    tz = server.scenario.zone
    for option, xml in (("-licstat", False), ("-licstatxml", True)):
        code, out, err = server.lmxendutil([option])
        assert (code, err) == (0, "")
        report = LMX.parse_status(out, name="sim", tz=tz, now=server.now)
        assert report.diagnostics == () and report.recognised and report.truncated_at is None
        assert report.servers == (server.status(tz, "sim", xml=xml),), option


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), zone=st.sampled_from(ZONES),
       steps=st.lists(st.integers(60, 4 * 3600), min_size=1, max_size=4))
def test_parsing_the_simulators_status_gives_the_simulators_model(seed, zone, steps):
    server = start(seed, zone)
    assert_round_trip(server)
    for seconds in steps:
        server.advance(seconds)
        assert_round_trip(server)


def test_a_busy_morning_shows_shared_seats_a_borrowed_seat_and_denials():
    server = start(seed=3, hours=3.5)  # 11:00 on Monday
    code, out, _ = server.lmxendutil(["-licstatxml"])
    (status,) = LMX.parse_status(out, name="cae", tz=server.scenario.zone,
                                 now=server.now).servers
    features = {f.name: f for f in status.features}
    visualizer = features["FEMFAT_VISUALIZER"]
    assert visualizer.in_use == visualizer.seats_listed < len(visualizer.checkouts)  # shared
    assert (visualizer.borrowed, visualizer.in_use, visualizer.issued) == (1, 3, 4)
    assert features["HWFlux2D"].uncounted and features["HWFlux2D"].issued is None
    assert sum(f.denied for f in status.features) == len(SIMULATOR.denial_lines(server)) > 0
    assert status.hosts[0].host == "lmx1.cae.example" and status.manager == "lmx"


def test_the_log_gives_the_simulators_checkouts_checkins_and_denials():
    server = start(seed=5, hours=0)
    server.advance(10 * 3600)
    events, diagnostics = parse_serverlog("\n".join(server.log_lines),
                                          tz=server.scenario.zone, server="cae")
    assert diagnostics == []
    kinds = [e.kind for e in events]
    assert (kinds[0], events[0].daemon, events[0].reason) == (
        EventKind.STARTED, "lmx", "serving vendor ALTAIR")
    denials = [e for e in events if e.kind == EventKind.DENIED]
    assert len(denials) == len(SIMULATOR.denial_lines(server)) > 0
    assert (denials[0].feature, denials[0].count, denials[0].reason) == (
        "HyperWorks", 21000, "License limit reached")
    outs = [e for e in events if e.kind == EventKind.OUT]
    ins = [e for e in events if e.kind == EventKind.IN]
    assert len(outs) - len(ins) == len(server.sessions)  # the seats held now
    borrow = outs[0]
    assert (borrow.feature, borrow.user, borrow.host) == (
        "FEMFAT_VISUALIZER", "carla", "laptop7.cae.example")
    assert all(e.at.tzinfo is server.scenario.zone and e.server == "cae" for e in events)
    assert events == sorted(events, key=lambda e: e.at)


def test_the_simulator_answers_under_the_host_it_is_asked_for():
    server = start()
    code, out, _ = server.lmxendutil(["-licstat", "-hal", "6200@hal1,6200@hal2,6200@hal3"])
    assert code == 0 and "LM-X License Server on 6200@hal1:" in out
    assert server.lmxendutil(["-licstat", "-host", "lic9", "-port", "6300"])[1].count(
        "LM-X License Server on 6300@lic9:") == 1
    assert server.lmxendutil(["-hostid"])[0] == 1
    assert server.lmxendutil(["status"])[0] == 1


def test_a_run_is_the_same_however_its_clock_is_stepped():
    one, other = start(seed=11, hours=0), start(seed=11, hours=0)
    one.advance(9 * 3600)
    for _ in range(9 * 6):
        other.advance(600)
    assert one.log_lines == other.log_lines
    assert one.lmxendutil(["-licstat"]) == other.lmxendutil(["-licstat"])


def members(cls) -> set[str]:
    return {name for name in [*vars(cls), *cls.__annotations__] if not name.startswith("_")}


def test_the_simulator_implements_the_protocol_and_its_transport_follows_the_log():
    server = start()
    scenario = SIMULATOR.scenario(SIMULATOR.default_scenario)
    for kind, implementation in ((protocol.Simulator, SIMULATOR), (protocol.Scenario, scenario),
                                 (protocol.SimulatedServer, server),
                                 (protocol.SimulatedClock, server.clock),
                                 (protocol.LicenceManagerAdapter, LMX)):
        assert not [m for m in members(kind) if not hasattr(implementation, m)], kind
    moved = scenario.starting_at(datetime(2030, 1, 7, 8, tzinfo=ZoneInfo("UTC")))
    assert moved.start == datetime(2030, 1, 7, 9, tzinfo=scenario.zone)
    assert moved.features[2].expires - scenario.features[2].expires == timedelta(days=1134)

    transport = SIMULATOR.transport(server, log_path="/var/log/lmx-serv.log", follow_poll_s=0)
    assert transport.simulated and transport.server is server

    async def follow_an_hour():
        result = await transport.run(["/opt/lmx/lmxendutil", "-licstat"], timeout=5)
        lines, stream = [], transport.follow("/var/log/lmx-serv.log")
        await anext(stream)  # opened at the end of the log
        server.advance(3600)
        while len(lines) < 3:
            lines.append((await anext(stream)).text)
        await stream.aclose()
        data, _ = await transport.read("/var/log/lmx-serv.log")
        return result, lines, data

    result, lines, data = asyncio.run(follow_an_hour())
    assert result.exit_code == 0 and "LM-X License Server on 6200@lmx1.cae.example" in result.stdout
    assert all(line.startswith("[2026-11-30 ") for line in lines)
    assert data.decode().splitlines() == server.log_lines


def test_copy_files_writes_the_licence_file_and_unknown_scenarios_are_named(tmp_path):
    scenario = SIMULATOR.scenario("cae")
    path = SIMULATOR.copy_files(scenario, tmp_path / "cae")
    assert path.name == "cae.lic" and "FEATURE FEMFAT_VISUALIZER\n{\n  VENDOR = ALTAIR" in (
        path.read_text())
    try:
        SIMULATOR.scenario("nowhere")
    except ValueError as error:
        assert "cae" in str(error)
    else:
        raise AssertionError("an unknown scenario was accepted")
