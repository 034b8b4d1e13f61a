"""The demo's machinery carries an LM-X server as it does a FlexLM one: a DemoServer of
manager "lmx" (as the mixed site will configure it) gets its licence file, its simulated
server, its status through lmxendutil and the parser, its recent denials, and its past
fast-forwarded and imported into the history. Manual clocks: the scenario's own dates."""

from __future__ import annotations

import asyncio

from lmconsole import demo
from lmconsole.demo import DemoServer
from lmconsole.history.store import HistoryStore
from lmconsole.model import Status

LMX_DEMO = DemoServer("cae", "cae", seed=5, manager="lmx", lmutil="lmxendutil",
                      license="6200@lmx1.cae.example")


def test_an_lmx_demo_server_is_polled_through_lmxendutil(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_SERVERS", (LMX_DEMO,))
    monkeypatch.setattr(demo, "demo_directory", lambda: tmp_path)
    snapshot = demo.demo_snapshot()
    (server,) = snapshot.servers
    assert (server.name, server.manager, server.status, server.source) == (
        "cae", "lmx", Status.UP, "6200@lmx1.cae.example")
    assert snapshot.diagnostics == ()
    assert {f.name for f in server.features} == {
        "HyperWorks", "HWFlux2D", "FEMFAT_VISUALIZER", "FEMFAT_SOLVER"}
    assert sum(len(f.checkouts) for f in server.features) > 3  # a busy morning
    assert (tmp_path / "cae" / "cae.lic").read_text().startswith("# CAE department")
    queries = demo.demo_queries()
    queries[0].transport.server.advance(4 * 3600)
    assert "cae: [" in demo.recent_denials(queries) and "] Denied " in demo.recent_denials(queries)


def test_an_lmx_demo_servers_past_is_imported_into_the_history(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_SERVERS", (LMX_DEMO,))

    async def fill() -> tuple[int, list]:
        store = await HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}")
        try:
            sessions = await demo.fill_history(store, tmp_path, None, days=3)
            from sqlalchemy import select

            from lmconsole.history import schema
            m = schema.occupancy_minute
            issued = await store.rows(select(m.c.feature, m.c.issued).distinct())
            return sessions, issued
        finally:
            await store.close()

    sessions, issued = asyncio.run(fill())
    assert sessions > 20  # three days back from a Monday: Thursday and Friday's work
    assert set(issued) >= {("FEMFAT_VISUALIZER", 4), ("FEMFAT_SOLVER", 2),
                           ("HyperWorks", 100000)}


def test_the_console_shows_an_lmx_demo_server_and_its_denials(tmp_path, monkeypatch):
    from lmconsole.app import demo_app
    from lmconsole.screens.overview import OverviewScreen

    from .pilot_wait import until

    monkeypatch.setattr(demo, "DEMO_SERVERS", (LMX_DEMO,))
    app = demo_app(None, files=tmp_path, poll_interval_s=0.5, history=None, alerts=())

    async def scenario():
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, OverviewScreen)
                        and "cae" in app.screen.table.rows, "the LM-X server listed")
            await until(pilot, lambda: app.screen.table.cell("cae", "status") == "up",
                        "the LM-X server up")
            (server,) = app.servers.values()
            server.transport.server.advance(4 * 3600)  # a morning: FEMFAT fills up
            await until(pilot, lambda: any(logged.event.kind.value == "DENIED"
                                           and logged.event.daemon == "lmx"
                                           for logged in app.data.events),
                        "a denial from the followed server log", timeout=30)

    asyncio.run(scenario())


def test_the_seats_view_of_an_lmx_server_offers_no_freeing(tmp_path, monkeypatch):
    from lmconsole.app import demo_app
    from lmconsole.screens.seats import SeatsScreen

    from .pilot_wait import until

    monkeypatch.setattr(demo, "DEMO_SERVERS", (LMX_DEMO,))
    app = demo_app(None, files=tmp_path, poll_interval_s=0.5, history=None, alerts=())

    async def scenario():
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: "cae" in app.data.states
                        and app.data.states["cae"].status is not None, "the first poll")
            app.push_screen(SeatsScreen(app.data, "cae", "FEMFAT_VISUALIZER"))
            await until(pilot, lambda: isinstance(app.screen, SeatsScreen), "the seats view")
            assert app.screen.check_action("free_seats", ()) is False
            assert app.screen.check_action("tag", ()) is True

    asyncio.run(scenario())
