"""Seeded data for the console's tests (no tests here): the demo's simulated servers on
manual clocks, their states at a frozen moment, and a fixed set of debug-log events.

Everything is deterministic: the simulator is seeded and never runs on the wall clock, the
app's clock for each server is frozen at that server's simulated now, and the events are
written out below rather than read from a log.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.sim.transport import SimulatorTransport
from lmconsole.app import ConsoleServer, LMConsoleApp, StateArrived
from lmconsole.audit import AuditLog
from lmconsole.demo import DEMO_SERVERS, MIXED_SITE, start_simulator
from lmconsole.model import Event, EventKind
from lmconsole.monitor import ServerState

BERLIN = ZoneInfo("Europe/Berlin")


def frozen(moment: datetime):
    return lambda: moment


_SHARED: list[ConsoleServer] = []


def seeded_servers(*, fresh: bool = False) -> list[ConsoleServer]:
    """The demo's two FlexLM sites on manual clocks; each console clock frozen at its server's now.
    Tests that only read share one pair (starting them costs a fifth of a second); a test
    that changes a server (lmremove, advancing its clock) asks for a fresh pair."""
    if not fresh and _SHARED:
        return list(_SHARED)
    servers = []
    for demo in (demo for demo in DEMO_SERVERS if demo not in MIXED_SITE):  # tested apart
        simulator = start_simulator(demo.scenario, demo.seed)
        servers.append(ConsoleServer(demo, ADAPTERS[demo.manager], SimulatorTransport(simulator),
                                     clock=frozen(simulator.now.astimezone(UTC))))
    if not fresh:
        _SHARED[:] = servers
    return servers


def state_of(server: ConsoleServer, *, polled_ago_s: float = 0.0) -> ServerState:
    simulator = server.transport.server
    now = server.clock()
    status = simulator.status(server.config.tz, name=server.name)
    return ServerState(server.name, status, now - timedelta(seconds=polled_ago_s))


def events_for(servers: list[ConsoleServer]) -> list[Event]:
    """A short, fixed debug-log stream: checkouts, check-ins and denials on both servers."""
    by_name = {s.name: s.clock() for s in servers}
    eng, office = by_name["engineering"], by_name["office"]
    full = ("Licensed number of users already reached.", "-4,342")
    excluded = ("User/host on EXCLUDE list for feature.", "-38,348")

    def at(base: datetime, minutes_ago: float) -> datetime:
        return (base - timedelta(minutes=minutes_ago)).astimezone(BERLIN)

    def event(server, base, ago, kind, daemon, feature, user, host, reason=None, code=None):
        return Event(at(base, ago), kind, daemon, feature, user, host, 1, reason, code, server)

    return [
        event("office", office, 95, EventKind.DENIED, "adskflex", "AutoCAD", "tlehmann",
              "ARCH-PC16", *full),
        event("engineering", eng, 50, EventKind.OUT, "ugslmd", "NX_CAD", "jwagner", "stg-fem01"),
        event("engineering", eng, 42, EventKind.DENIED, "ansyslmd", "ANSYS_HPC", "jwagner",
              "stg-fem01", *full),
        event("office", office, 40, EventKind.DENIED, "adskflex", "AutoCAD", "ukaiser",
              "ARCH-PC17", *full),
        event("office", office, 31, EventKind.IN, "adskflex", "Revit", "lzimmer", "ARCH-PC12"),
        event("engineering", eng, 25, EventKind.DENIED, "ugslmd", "NX_Nastran", "aschmid",
              "stg-ana03", *full),
        event("office", office, 20, EventKind.DENIED, "adskflex", "AutoCAD", "tlehmann",
              "ARCH-PC16", *full),
        event("engineering", eng, 12, EventKind.QUEUED, "ugslmd", "NX_Nastran", "bkeller",
              "stg-ana04"),
        event("office", office, 9, EventKind.DENIED, "adskflex", "3dsMax", "mhahn",
              "ARCH-PC13", *excluded),
        event("engineering", eng, 4, EventKind.OUT, "MLM", "MATLAB", "rschmitt", "stg-ctl01"),
    ]


def seeded_app(tmp_path, *, read_only: bool = False, highlight_s: float = 0.0,
               fresh: bool = False, **kwargs) -> LMConsoleApp:
    """The console on the seeded servers, with no monitor running: tests post the states
    and events themselves (see fill)."""
    return LMConsoleApp(seeded_servers(fresh=fresh), monitor=False, read_only=read_only,
                        audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"),
                        highlight_s=highlight_s, **kwargs)


async def fill(app: LMConsoleApp, pilot, *, events: bool = True) -> None:
    """Post each server's state and the fixed events, as the monitor would."""
    from lmconsole.app import EventArrived

    servers = list(app.servers.values())
    for server in servers:
        app.post_message(StateArrived(state_of(server)))
    if events:
        for event in events_for(servers):
            app.post_message(EventArrived(event))
    await pilot.pause()


def test_the_simulator_log_follow_skips_no_line_written_while_one_is_handled():
    simulator = start_simulator("architecture", 3)
    transport = SimulatorTransport(simulator, follow_poll_s=0.01)

    async def main() -> list[str]:
        lines = transport.follow("debug.log")
        await anext(lines)  # LogOpened
        await anext(lines)  # the TIMESTAMP line
        got = []
        simulator.checkout("ann", "ws1", "AutoCAD")
        simulator.checkout("bob", "ws2", "AutoCAD")
        got.append((await asyncio.wait_for(anext(lines), 5)).text)
        simulator.checkout("cid", "ws3", "AutoCAD")  # while the reader is on ann's line
        for _ in range(2):
            got.append((await asyncio.wait_for(anext(lines), 5)).text)
        await lines.aclose()
        return got

    got = asyncio.run(main())
    assert [line.split('" ', 1)[1].split("@")[0] for line in got] == ["ann", "bob", "cid"]
