"""One console, three licence managers, all over SSH: a real sshd on 127.0.0.1, the FlexLM,
RLM and LM-X simulators' executables as the remote lmutil, rlmutil (with rlmremove beside it)
and lmxendutil, their clocks stopped. All three are polled live; a denial written into the
RLM report log and into the LM-X server log reaches the denials view; an RLM seat is freed
with rlmremove over the same link."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from lmconsole.adapters import ADAPTERS
from lmconsole.app import LMConsoleApp, console_server
from lmconsole.audit import AuditLog
from lmconsole.config import parse_config
from lmconsole.model import Status
from lmconsole.screens.denials import DenialsScreen
from lmconsole.screens.dialogs import ConfirmScreen
from lmconsole.screens.seats import SeatsScreen
from tests.pilot_wait import until
from tests.sim_remotes import LmxRemote, RlmRemote, append, followed
from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers the `sshd` fixture
from tests.test_ui_ssh_e2e import Remote, header_text, transport_for

SERVERS = ("office", "studio", "cae")


def mixed_site(tmp_path, sshd: SshServer) -> tuple[LMConsoleApp, RlmRemote, LmxRemote]:
    flexlm, rlm, lmx = Remote(tmp_path), RlmRemote(tmp_path), LmxRemote(tmp_path)
    configs = parse_config(rlm.server("studio", sshd.alias) + lmx.server("cae", sshd.alias),
                           "mixed.toml").servers
    servers = [console_server(flexlm.server_config(sshd.alias), ADAPTERS["flexlm"],
                              transport_for(sshd))]
    servers += [console_server(config, ADAPTERS[config.manager], transport_for(sshd))
                for config in configs]
    app = LMConsoleApp(servers, audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"),
                       display_tz=ZoneInfo("Europe/Berlin"))
    return app, rlm, lmx


def test_flexlm_rlm_and_lmx_servers_live_in_one_console_over_ssh(tmp_path, sshd):
    app, rlm, lmx = mixed_site(tmp_path, sshd)

    async def scenario():
        async with app.run_test(size=(140, 40)) as pilot:
            states = app.data.states
            await until(pilot, lambda: all(states[name].status for name in SERVERS),
                        "every server polled over SSH")
            assert {name: (states[name].status.manager, states[name].status.status)
                    for name in SERVERS} == {"office": ("flexlm", Status.UP),
                                             "studio": ("rlm", Status.UP),
                                             "cae": ("lmx", Status.UP)}
            assert [app.screen.table.cell(name, "status") for name in SERVERS] == ["up"] * 3
            features = {name: {f.name for f in states[name].status.features}
                        for name in ("studio", "cae")}
            assert features == {"studio": {"nuke_r", "nukex_i", "mari_i", "simio_design"},
                                "cae": {"HyperWorks", "HWFlux2D", "FEMFAT_VISUALIZER",
                                        "FEMFAT_SOLVER"}}

            # a denial in each log, over SSH, into the denials view
            await pilot.press("d")
            await until(pilot, lambda: followed(rlm.report_log) and followed(lmx.log),
                        "the report log and the LM-X log followed")
            append(rlm.report_log, rlm.denial("nina.rlm"))
            append(lmx.log, lmx.denial("otto.lmx"))
            denials = app.screen
            assert isinstance(denials, DenialsScreen)
            shown = lambda: {str(value) for row in denials.table.rows.values()  # noqa: E731
                             for value in row.values}
            await until(pilot, lambda: {"nina.rlm@ws1", "otto.lmx@ws99.cae.example"}
                        <= shown(), "both denials in the denials view", timeout=5)
            assert {(e.event.server, e.event.feature, e.event.user) for e in app.data.denials
                    } == {("studio", "nuke_r", "nina.rlm"), ("cae", "FEMFAT_SOLVER", "otto.lmx")}

            # rlmremove, beside rlmutil on the remote side, frees an RLM seat (one older than
            # the simulator's min_remove, 120 s: its clock stands still)
            app.action_mode("overview")
            await pilot.pause()
            app.open_seats("studio", "nuke_r")
            await pilot.pause()
            seats = app.screen
            assert isinstance(seats, SeatsScreen)
            shown_keys = seats.table.shown_keys
            old_enough = states["studio"].status.reported_at - timedelta(minutes=3)
            held = next(key for key in shown_keys if seats.table.sources[key].start < old_enough)
            seats.table.move_cursor(shown_keys.index(held) - shown_keys.index(seats.table.cursor_key))
            seat = seats.table.sources[held]
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            await pilot.press("y")
            await until(pilot, lambda: app.audit.entries(), "the rlmremove done")
            (entry,) = app.audit.entries()
            assert entry["outcome"] == "ok", entry
            last = rlm.report_log.read_text().splitlines()[-1]
            assert last.startswith(f"IN 3 nuke_r {seat.version} {seat.user} {seat.host} ")

    asyncio.run(scenario())


def test_an_rlm_server_with_two_isv_report_logs_shows_the_denials_of_both(tmp_path, sshd):
    rlm = RlmRemote(tmp_path)
    logs = [rlm.report_log, rlm.simio_report_log()]
    missing = rlm.state / "mill.rl"  # a third ISV's, not written yet
    (config,) = parse_config(rlm.server_with_isv_logs("studio", sshd.alias, [*logs, missing]),
                             "studio.toml").servers
    app = LMConsoleApp([console_server(config, ADAPTERS["rlm"], transport_for(sshd))],
                       audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"),
                       display_tz=ZoneInfo("Europe/Berlin"))

    async def scenario():
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("d")
            await until(pilot, lambda: all(followed(log) for log in logs),
                        "both ISVs' report logs followed over SSH")
            written = time.monotonic()
            append(logs[0], rlm.denial("nina.foundry"))
            append(logs[1], rlm.denial("sam.simio", product="simio_design"))
            denials = app.screen
            assert isinstance(denials, DenialsScreen)
            shown = lambda: {str(value) for row in denials.table.rows.values()  # noqa: E731
                             for value in row.values}
            await until(pilot, lambda: {"nina.foundry@ws1", "sam.simio@ws1"} <= shown(),
                        "the denial of each ISV in the denials view", timeout=5)
            print(f"two ISVs' denials shown {time.monotonic() - written:.2f} s after written")
            assert sorted((e.event.feature, e.event.user) for e in app.data.denials) == [
                ("nuke_r", "nina.foundry"), ("simio_design", "sam.simio")]

            # the third log, missing, is named under the view's title; the others' events
            # do not make it read
            await until(pilot, lambda: "studio" in app.data.follow_errors,
                        "the missing report log said", timeout=10)
            error = app.data.follow_errors["studio"]
            assert str(missing) in error and "No such file" in error
            assert str(logs[0]) not in error and str(logs[1]) not in error
            problems = lambda: str(app.screen.query_one("#problems").render())  # noqa: E731
            await until(pilot, lambda: "studio events missing" in problems(),
                        "the missing log under the view's title", timeout=5)
            assert str(missing) in problems() and "events missing" in header_text(app)
            missing.write_text("RLM Report Log Format 0, version 15.2, authenticated\n")
            app.monitor.refresh("studio")
            await until(pilot, lambda: "studio" not in app.data.follow_errors,
                        "every report log read", timeout=10)
            append(missing, rlm.denial("mo.mill", product="mari_i"))
            await until(pilot, lambda: "mo.mill@ws1" in shown(), "the third ISV's denial",
                        timeout=5)

    asyncio.run(scenario())
