"""The demo's mixed site: a studio's FlexLM, RLM, Sentinel RMS and DSLS servers in one
console, on manual clocks. The RLM server is polled (rlmstat) and its report log followed
like the FlexLM one; its features, seats and true denials show in the live views; rlmremove
frees its seats from the seats view; its files, which lmconsole does not edit for RLM yet,
are not offered. The RMS server's usage log is followed likewise; the DSLS one is polled."""

from __future__ import annotations

import asyncio

from lmconsole.app import LMConsoleApp, demo_servers
from lmconsole.audit import AuditLog
from lmconsole.model import EventKind, Status
from lmconsole.screens.dialogs import ConfirmScreen
from lmconsole.screens.features import FeaturesScreen
from lmconsole.screens.seats import SeatsScreen

from .pilot_wait import until

STUDIO = ("studio-flexlm", "studio-rlm")


def test_the_studio_runs_flexlm_and_rlm_in_one_console(tmp_path):
    servers = demo_servers(None, files=tmp_path)
    app = LMConsoleApp(servers, poll_interval_s=0.2, audit=AuditLog(tmp_path / "audit.log"))
    rlm = app.servers["studio-rlm"].transport.server

    async def scenario():
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: all(s.status for s in app.data.states.values()),
                        "every server polled")
            states = app.data.states
            assert {name: states[name].status.manager for name in STUDIO} == {
                "studio-flexlm": "flexlm", "studio-rlm": "rlm"}
            assert states["studio-rlm"].status.status is Status.UP
            assert app.screen.table.cell("studio-rlm", "status") == "up"  # the overview

            app.open_features("studio-rlm")
            await pilot.pause()
            assert isinstance(app.screen, FeaturesScreen)
            shown_features = {key[1] for key in app.screen.table.shown_keys}
            assert shown_features == {"nuke_r", "nukex_i", "mari_i", "simio_design"}
            app.pop_screen()

            # an hour of work: the report log's true denials reach the denials view
            logged = len(rlm.log.lines)
            for server in app.servers.values():
                server.transport.server.advance(3600)
            true_denials = [line.split() for line in rlm.log.lines[logged:]
                            if line.startswith("DENY ") and line.split()[8] == "1"]
            assert true_denials, "the studio's RLM server refuses someone within the hour"
            shown = lambda: [(e.event.feature, e.event.user) for e in app.data.denials  # noqa: E731
                             if e.event.server == "studio-rlm"]
            await until(pilot, lambda: len(shown()) == len(true_denials), "the RLM denials")
            assert shown() == [(d[1], d[3]) for d in true_denials]
            assert all(e.event.kind is EventKind.DENIED for e in app.data.denials)

            # rlmremove, confirmed, frees an RLM seat
            await until(pilot, lambda: app.data.states["studio-rlm"].status.reported_at
                        == app.servers["studio-rlm"].transport.server.status().reported_at,
                        "the status after the hour")
            app.open_seats("studio-rlm", "nuke_r")
            await pilot.pause()
            assert isinstance(app.screen, SeatsScreen)
            seat = app.screen.table.sources[app.screen.table.shown_keys[0]]
            await pilot.press("x")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, ConfirmScreen)
            assert dialog.commands == [f"rlmremove -q studio-lic02 4101 foundry "
                                       f"{seat.handle:x}"]
            await pilot.press("y")
            await until(pilot, lambda: app.audit.entries(), "the rlmremove done")
            (entry,) = app.audit.entries()
            assert entry["outcome"] == "ok", entry
            assert rlm.log.lines[-1].startswith(f"IN 3 nuke_r {seat.version} {seat.user} ")
            app.pop_screen()

            # the RLM server's files are not edited yet: the editor is not offered for it
            app.edit_file("studio-rlm", "license")
            await pilot.pause()
            assert any("studio-rlm: no license_file" in str(n.message)
                       for n in app._notifications)

    asyncio.run(scenario())


def test_the_studios_sentinel_rms_and_dsls_servers_in_the_console(tmp_path):
    """Polled through lsmon and DSLicSrv; the RMS usage log followed, so its denials reach the
    denials view; DSLS, whose logs lmconsole does not read, only polled."""
    servers = demo_servers(None, files=tmp_path)
    app = LMConsoleApp(servers, poll_interval_s=0.2, audit=AuditLog(tmp_path / "audit.log"))
    rms = app.servers["studio-rms"].transport.server

    async def scenario():
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: all(s.status for s in app.data.states.values()),
                        "every server polled")
            states = app.data.states
            assert {name: (states[name].status.manager, states[name].status.status)
                    for name in ("studio-rms", "studio-dsls")} == {
                "studio-rms": ("rms", Status.UP), "studio-dsls": ("dsls", Status.UP)}
            workers = {w.name for w in app.workers if w.group == "monitor"}
            assert "follow:studio-rms" in workers and "follow:studio-dsls" not in workers

            for name, features in (("studio-rms", {"ETABS", "SAP2000", "SAFE", "CSiCol"}),
                                   ("studio-dsls", {"MD2", "HD2", "QXT"})):
                app.open_features(name)
                await pilot.pause()
                assert isinstance(app.screen, FeaturesScreen)
                assert {key[1] for key in app.screen.table.shown_keys} == features
                app.pop_screen()

            # two hours of work: the usage log's denials reach the denials view
            logged = len(rms.log_lines)
            for server in app.servers.values():
                server.transport.server.advance(2 * 3600)
            denied = [line.split() for line in rms.log_lines[logged:]
                      if not line.startswith("#") and line.split()[11] == "1"]
            assert denied, "the studio's RMS server refuses someone within two hours"
            shown = lambda: [(e.event.feature, e.event.user) for e in app.data.denials  # noqa: E731
                             if e.event.server == "studio-rms"]
            await until(pilot, lambda: len(shown()) == len(denied), "the RMS denials")
            assert shown() == [(words[9], words[14]) for words in denied]

    asyncio.run(scenario())
