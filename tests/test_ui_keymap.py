"""Keys rebound from the configuration's [keys] table, and how `lmconsole` (run_console)
builds the console from the configuration."""

from __future__ import annotations

import argparse
import asyncio

from textual.binding import Binding

from lmconsole.adapters.transports.ssh import SshTransport
from lmconsole.app import LMConsoleApp, UnknownHostQuestion
from lmconsole.cli import console as cli
from lmconsole.config import parse_config
from lmconsole.keys import BINDING_IDS
from lmconsole.screens import (
    base,
    denials,
    dialogs,
    events,
    features,
    live_table,
    overview,
    stream,
)
from lmconsole.screens import seats as seats_module
from lmconsole.screens.alerts import AlertsScreen
from lmconsole.screens.daemon_choice import DaemonChoiceScreen
from lmconsole.screens.denials import DenialsScreen
from lmconsole.screens.directory import DirectoryScreen
from lmconsole.screens.editor import EditorScreen
from lmconsole.screens.editor_dialogs import BackupsScreen
from lmconsole.screens.file_area import CompletionMenu
from lmconsole.screens.history import HistoryScreen
from lmconsole.screens.past import PastDialog
from lmconsole.screens.pools import PoolsScreen
from lmconsole.screens.reports import ReportsScreen

from .test_ui_data import fill, seeded_app

CONFIG = """
[keys]
app.pause = "space"
app.denials = "w"
"""


def test_the_binding_ids_config_knows_are_the_ones_the_console_defines():
    classes = [LMConsoleApp, base.LiveScreen, overview.OverviewScreen,
               features.FeaturesScreen, seats_module.SeatsScreen, denials.DenialsScreen,
               events.EventsScreen, stream.StreamScreen, dialogs.ConfirmScreen, dialogs.UnknownHostScreen,
               dialogs.HelpScreen, dialogs.NotesScreen, dialogs.CommandLine,
               live_table.LiveTable, EditorScreen,
               BackupsScreen, CompletionMenu, DaemonChoiceScreen, HistoryScreen, ReportsScreen,
               PastDialog, AlertsScreen, DirectoryScreen, PoolsScreen]
    defined = {b.id for cls in classes for b in cls.__dict__.get("BINDINGS", [])
               if isinstance(b, Binding)}
    assert defined == BINDING_IDS


def test_keys_rebound_in_the_config_work_in_the_console(tmp_path):
    keymap = parse_config(CONFIG, "config.toml").keys

    async def scenario():
        app = seeded_app(tmp_path, keymap=keymap)
        async with app.run_test() as pilot:
            await fill(app, pilot)
            await pilot.press("space")
            assert app.paused
            await pilot.press("p")  # p no longer pauses (nor resumes)
            assert app.paused
            await pilot.press("space", "w")
            assert not app.paused and isinstance(app.screen, DenialsScreen)

    asyncio.run(scenario())


def test_run_console_passes_the_keys_and_gives_ssh_servers_a_transport_that_asks(
        tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.replace("[keys]", '[[servers]]\nname = "lic1"\ntransport = "ssh"\n'
                                               'ssh_host = "lic1"\n\n[keys]'))
    started: list[LMConsoleApp] = []
    monkeypatch.setattr(LMConsoleApp, "run", lambda app: started.append(app))
    assert cli.run_console(argparse.Namespace(config=str(config), read_only=False)) == 0
    (app,) = started
    assert app._keymap_wanted == {"app.pause": "space", "app.denials": "w"}
    transport = app.servers["lic1"].transport
    assert isinstance(transport, SshTransport) and transport.keepalive_interval > 0
    assert isinstance(transport.ask_unknown_host, UnknownHostQuestion)
    assert transport.ask_unknown_host.app is app
