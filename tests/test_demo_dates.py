"""The demo's dates: its clocks open at the moment given (the real now, from the command
line), its licence files are dated from there, and the licence editor judges expiry by the
simulator's clock, not by the wall's."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from textual.widgets import OptionList

from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.validate_license import validate_license
from lmconsole.app import LMConsoleApp, demo_servers
from lmconsole.audit import AuditLog
from lmconsole.screens.editor import EditorScreen

from .pilot_wait import analysed, until

# A Saturday night in summer, years from the scenarios' own March mornings.
NOW = datetime(2031, 7, 19, 22, 15, tzinfo=UTC)


def test_the_demo_opens_at_the_moment_given_with_its_licences_dated_from_it(tmp_path):
    seen = []
    for server in demo_servers(None, files=tmp_path, now=NOW):
        assert server.clock() == NOW, server.name
        today = NOW.astimezone(server.config.tz).date()
        if server.config.manager == "flexlm":
            licence = parse_license(Path(server.config.license_file).read_text("utf-8"))
            assert not [f for f in validate_license(licence, today) if f.code == "LIC008"]
        status = server.transport.server.status()
        # an idle FlexLM feature's status shows no pool (the studio's, on a Saturday night)
        expiries = [p.expiry for f in status.features for p in f.pools if p.expiry is not None]
        assert all(expiry > today for expiry in expiries), server.name
        seen += [server.name] if expiries else []
    assert seen == ["engineering", "office", "studio-rlm", "studio-lmx", "studio-rms",
                    "studio-dsls"]


def test_without_a_moment_the_demo_opens_on_its_scenarios_own_morning(tmp_path):
    """Tests and `snapshot --demo`: the same clocks every run, whatever today is."""
    first = [server.clock() for server in demo_servers(None, files=tmp_path / "a")]
    assert first == [server.clock() for server in demo_servers(None, files=tmp_path / "b")]
    assert all(moment.year == 2026 for moment in first)  # each its scenario's morning


def problems(editor: EditorScreen) -> list[str]:
    box = editor.query_one("#problems", OptionList)
    return [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]


def test_the_licence_editor_judges_expiry_by_the_simulators_clock(tmp_path):
    """The office's licence expires on 31 December of its scenario's year: nothing to say on
    the simulator's March morning; ten days before the end, three warnings; after it, three
    errors. The wall clock plays no part."""
    async def scenario():
        servers = demo_servers(None, files=tmp_path)  # manual clocks: moved by the test
        office = next(s for s in servers if s.name == "office")
        clock = office.transport.server.clock
        app = LMConsoleApp(servers, monitor=False, audit=AuditLog(tmp_path / "audit.log"))
        async with app.run_test(size=(120, 40)) as pilot:
            app.edit_file("office", "license")
            await until(pilot, lambda: isinstance(app.screen, EditorScreen)
                        and app.screen.analysed_text is not None, "the licence editor")
            editor = app.screen
            assert editor.server_today() == date(2026, 3, 2)
            assert problems(editor) == []

            async def on(day: date) -> list[str]:
                noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
                clock.set(int(noon.timestamp()))
                editor.area.insert("# checked again\n", (0, 0))
                await analysed(pilot, editor)
                return problems(editor)

            warned = await on(date(2026, 12, 31) - timedelta(days=10))
            assert len(warned) == 3 and all("LIC009" in p and "in 10 days" in p
                                            for p in warned), warned
            expired = await on(date(2027, 1, 1))
            assert len(expired) == 3 and all("LIC008" in p for p in expired), expired

    asyncio.run(scenario())
