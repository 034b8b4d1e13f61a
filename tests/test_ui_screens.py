"""Every view and every key, on the seeded demo servers with a frozen clock."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from datetime import UTC

import pytest
from rich.console import Console
from textual.app import App
from textual.binding import Binding

from lmconsole.app import EventArrived, LMConsoleApp, StateArrived
from lmconsole.model import BORROWED, EventKind, Reservation
from lmconsole.screens import base, denials, dialogs, events, features, live_table, overview
from lmconsole.screens import seats as seats_module
from lmconsole.screens.commands import ConsoleCommand, ConsoleProvider, resolve
from lmconsole.screens.denials import DenialsScreen
from lmconsole.screens.dialogs import CommandLine, HelpScreen
from lmconsole.screens.events import EventsScreen
from lmconsole.screens.features import FeaturesScreen
from lmconsole.screens.overview import OverviewScreen
from lmconsole.screens.seats import SeatsScreen

from .test_ui_data import events_for, fill, seeded_app, state_of


def run(tmp_path, test, *, size=(100, 30), **app_options) -> None:
    """Run `test(app, pilot)` on the seeded console, filled with states and events."""
    async def scenario():
        app = seeded_app(tmp_path, **app_options)
        async with app.run_test(size=size) as pilot:
            await fill(app, pilot)
            await test(app, pilot)

    asyncio.run(scenario())


def rich_text(renderable) -> str:
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


def cells(screen, key, *columns: str) -> tuple:
    return tuple(screen.table.cell(key, column) for column in columns)


async def open_feature(app, pilot, server: str, feature: str) -> None:
    app.open_features(server)
    await pilot.pause()
    assert app.screen.table.select_key((server, feature, 1))
    await pilot.press("enter")


# ---- overview, features, seats: the drill-down -------------------------------------------------

def test_overview_lists_every_server_with_its_usage_and_denials(tmp_path):
    async def test(app, pilot):
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        status, count, denied, in_use, issued, usage, hosts, vendors, updated = cells(
            screen, "engineering", "status", "features", "denied", "in_use", "issued",
            "usage", "hosts", "vendors", "updated")
        assert (status, count, denied) == ("up", 14, 2)  # two denials in the last hour
        assert 0 < in_use <= issued and usage == pytest.approx(100 * in_use / issued)
        assert hosts == "lic1, lic2 master, lic3"  # the triad, its master marked
        assert vendors == "ugslmd, ansyslmd, MLM" and updated == "0s ago"
        assert cells(screen, "office", "denied") == (3,)  # not the one 95 minutes ago

    run(tmp_path, test)


def test_enter_drills_down_from_servers_to_features_to_seats_and_escape_comes_back(tmp_path):
    async def test(app, pilot):
        app.screen.table.select_key("engineering")
        await pilot.press("enter")
        assert isinstance(app.screen, FeaturesScreen) and app.screen.server == "engineering"
        app.screen.table.select_key(("engineering", "NX_Nastran", 1))
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, SeatsScreen)
        assert (screen.server, screen.feature) == ("engineering", "NX_Nastran")
        await pilot.press("escape")
        assert isinstance(app.screen, FeaturesScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)

    run(tmp_path, test)


def test_features_show_reservations_queue_borrowing_denials_and_expiry(tmp_path):
    async def test(app, pilot):
        app.open_features("engineering")
        await pilot.pause()
        screen = app.screen
        key = ("engineering", "NX_Nastran", 1)
        assert cells(screen, key, "in_use", "issued", "denied", "queued", "reserved",
                     "vendor") == (4, 4, 1, 3, 2, "ugslmd")
        assert screen.table.rows[key].style == "bad"
        assert cells(screen, ("engineering", "MATLAB", 1), "borrowed") == (3,)
        assert str(screen.table.cell(key, "expiry")) == "2026-12-31"

    run(tmp_path, test)


def test_all_servers_features_are_summed_by_name(tmp_path):
    async def test(app, pilot):
        await pilot.press("f")
        screen = app.screen
        assert isinstance(screen, FeaturesScreen) and screen.server is None
        assert cells(screen, (None, "AutoCAD", 1), "issued", "denied", "servers") == (
            10, 2, "office")
        office = app.data.states["office"].status
        engineering = app.data.states["engineering"].status
        assert screen.table.row_count == len({f.name for f in office.features}
                                             | {f.name for f in engineering.features})
        await pilot.press("enter")  # the seats of a feature on every server
        assert isinstance(app.screen, SeatsScreen) and app.screen.server is None

    run(tmp_path, test)


def test_seats_list_who_holds_what_since_when_plus_reservations_and_the_queue(tmp_path):
    async def test(app, pilot):
        await open_feature(app, pilot, "engineering", "NX_Nastran")
        screen = app.screen
        table = screen.table
        kinds = [type(table.sources[key]).__name__ for key in table.shown_keys]
        assert kinds.count("Checkout") == 2 and kinds.count("Reservation") == 1
        assert kinds.count("Queued") == 3
        first = table.shown_keys[0]
        since, held = cells(screen, first, "since", "held")
        assert since < app.data.now("engineering")
        assert held == (-since.timestamp(), "engineering")
        assert table.columns[4].format(held) == "1h 47m"
        reservation = ("reservation", 0)
        count, state = cells(screen, reservation, "count", "state")
        assert count == 2 and state.startswith("reserved for")
        assert not table.rows[reservation].taggable

    run(tmp_path, test)


def test_a_tick_or_a_change_between_a_views_push_and_its_mount_is_no_crash(tmp_path):
    """The clock's tick and the live updates come on their own time: on a loaded machine one
    came after the seats view was pushed and before its widgets were there (NoMatches)."""
    async def test(app, pilot):
        for _ in range(2):  # one view over another too
            app.open_seats("engineering", "NX_Nastran")
            assert not app.screen.is_mounted
            app.tick()
            app.changed("states")
            app.flush()
            await pilot.pause()
            assert isinstance(app.screen, SeatsScreen) and app.screen.table.rows
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, OverviewScreen)

    run(tmp_path, test)


def test_seats_borrowed_out_to_a_host_are_not_shown_as_an_idle_reservation():
    # lmstat's "2 RESERVATIONs for DAEMON on laptop7": seats out on a borrowing laptop.
    borrowed = Reservation(2, BORROWED, "laptop7", None)
    row = seats_module.seat_row(("reservation", 0), borrowed, "engineering", False)
    assert row.values[:2] == ("(borrowed)", "laptop7") and row.values[5] == 2
    assert row.values[6] == "borrowed to laptop7, off the network" and row.style == "warn"
    reserved = Reservation(2, "USER", "ehuber", None)
    row = seats_module.seat_row(("reservation", 1), reserved, "engineering", False)
    assert row.values[6] == "reserved for USER ehuber, idle"


def test_borrowed_seats_show_the_time_left(tmp_path):
    async def test(app, pilot):
        await open_feature(app, pilot, "office", "AutoCAD")
        table = app.screen.table
        borrowed = [r.key for r in table.rows.values() if r.style == "warn"]
        assert len(borrowed) == 4
        assert all(table.cell(k, "state").startswith("borrowed, ")
                   and table.cell(k, "state").endswith(" left") for k in borrowed)

    run(tmp_path, test)


def test_the_selection_follows_its_seat_across_polls(tmp_path):
    async def test(app, pilot):
        await open_feature(app, pilot, "engineering", "NX_CAD")
        table = app.screen.table
        table.sort_by(0)  # by user
        key = table.shown_keys[5]
        table.select_key(key)
        server = app.servers["engineering"]
        server.transport.server.advance(1800)  # half an hour: people come and go
        app.post_message(StateArrived(state_of(server)))
        await pilot.pause()
        if key in table.rows:
            assert table.cursor_key == key
        else:
            assert table.cursor_key is not None  # its neighbour took its place

    run(tmp_path, test, fresh=True)


# ---- denials and events -------------------------------------------------------------------------

def test_denials_newest_first_with_reasons_in_words_and_counts(tmp_path):
    async def test(app, pilot):
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DenialsScreen)
        table = screen.table
        times = [table.cell(k, "time").at for k in table.shown_keys
                 if table.cell(k, "server") == "office"]
        assert times == sorted(times, reverse=True)
        reasons = {table.cell(k, "feature"): table.cell(k, "reason") for k in table.shown_keys}
        assert reasons["ANSYS_HPC"] == "pool full"  # the adapter's words for -4
        assert reasons["3dsMax"] == "on EXCLUDE list"
        assert denials.plain_reason("-999,1", "Something odd.") == "Something odd"
        counts = rich_text(screen.query_one("#counts").content)
        assert "AutoCAD" in counts and "tlehmann" in counts

    run(tmp_path, test)


def test_a_new_denial_is_highlighted_as_it_arrives_then_fades(tmp_path):
    async def test(app, pilot):
        await pilot.press("d")
        screen = app.screen
        assert not any(r.style == "new" for r in screen.table.rows.values())
        app.highlight_s = 60.0
        first = events_for(list(app.servers.values()))[2]
        app.post_message(EventArrived(first._replace(user="newcomer")))
        await pilot.pause()
        table = screen.table
        (newest,) = [table.rows[k] for k in table.rows
                     if table.cell(k, "who").startswith("newcomer@")]
        assert newest.style == "new"
        assert [r.key for r in screen.table.rows.values() if r.style == "new"] == [newest.key]
        app.highlight_s = 0.0
        screen.tick()
        assert screen.table.rows[newest.key].style == ""

    run(tmp_path, test)


def test_at_the_top_the_denials_view_follows_the_newest(tmp_path):
    async def test(app, pilot):
        await pilot.press("d")
        table = app.screen.table
        assert table.cursor_key == table.shown_keys[0]
        now = app.servers["engineering"].clock()  # later than any office event
        newest = events_for(list(app.servers.values()))[2]._replace(at=now, user="latest")
        app.post_message(EventArrived(newest))
        await pilot.pause()
        assert table.cell(table.shown_keys[0], "who").startswith("latest@")
        assert table.cursor_key == table.shown_keys[0]  # still at the top
        table.select_index(3)  # looking at an older one: the selection stays on it
        looked_at = table.cursor_key
        app.post_message(EventArrived(newest._replace(user="later")))
        await pilot.pause()
        assert table.cursor_key == looked_at

    run(tmp_path, test)


def test_events_stream_is_filterable_and_escape_clears_the_filter(tmp_path):
    async def test(app, pilot):
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, EventsScreen) and screen.table.row_count == 10
        await pilot.press("slash", "d", "e", "n", "i", "e", "d")
        assert screen.table.row_count == 6
        assert all(screen.table.cell(k, "kind") == EventKind.DENIED.value
                   for k in screen.table.shown_keys)
        await pilot.press("enter")  # keeps the filter, back to the table
        assert screen.table.has_focus and screen.table.row_count == 6
        await pilot.press("escape")
        assert screen.table.row_count == 10 and screen.table.filter_text == ""

    run(tmp_path, test)


def test_enter_on_a_denial_shows_who_holds_that_feature(tmp_path):
    async def test(app, pilot):
        await pilot.press("d")
        app.screen.table.select_index(0)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, SeatsScreen)
        assert (screen.server, screen.feature) == ("engineering", "NX_Nastran")
        await pilot.press("escape")
        assert isinstance(app.screen, DenialsScreen)

    run(tmp_path, test)


def test_events_beyond_the_buffer_are_dropped_from_the_table(tmp_path):
    async def test(app, pilot):
        await pilot.press("e")
        screen = app.screen
        app.data.live_events = type(app.data.events)(app.data.events, maxlen=10)
        more = events_for(list(app.servers.values()))[:4]
        for event in more:
            app.post_message(EventArrived(event))
        await pilot.pause()
        assert screen.table.row_count == 10
        assert min(screen.table.rows) == app.data.events[0].seq

    run(tmp_path, test)


# ---- keyboard conventions ----------------------------------------------------------------------

def test_sort_keys_move_the_sorted_column_and_reverse_it(tmp_path):
    async def test(app, pilot):
        app.open_features("engineering")
        await pilot.pause()
        table = app.screen.table
        assert table.sort_column == 0
        await pilot.press("greater_than_sign")
        assert table.sort_column == 1 and "In use▲" in table.render_line(0).text
        in_use = [table.cell(k, "in_use") for k in table.shown_keys]
        assert in_use == sorted(in_use)
        await pilot.press("I")
        assert table.reverse and "In use▼" in table.render_line(0).text
        await pilot.press("less_than_sign", "less_than_sign")
        assert table.sort_column == len(table.columns) - 1

    run(tmp_path, test)


def test_help_lists_the_keys_active_on_this_screen(tmp_path):
    async def test(app, pilot):
        await open_feature(app, pilot, "engineering", "NX_CAD")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        descriptions = [d for _, d in app.screen.keys]
        assert any("lmremove" in d for d in descriptions)
        assert descriptions.index(
            "Tag or untag the seat (x frees every tagged seat)") < descriptions.index("Up")
        await pilot.press("escape")
        assert isinstance(app.screen, SeatsScreen)

    run(tmp_path, test)


def test_the_command_line_jumps_to_views_servers_and_features_with_completion(tmp_path):
    async def test(app, pilot):
        await pilot.press("colon")
        assert isinstance(app.screen, CommandLine)
        await pilot.press("o", "f", "f", "tab")
        assert app.screen.query_one("Input").value == "office"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FeaturesScreen) and app.screen.server == "office"
        await pilot.press("colon", "N", "X", "_", "C", "A", "D", "enter")  # a feature alone
        await pilot.pause()
        assert isinstance(app.screen, SeatsScreen)
        assert (app.screen.server, app.screen.feature) == (None, "NX_CAD")
        await pilot.press("colon", "d", "e", "n", "enter")  # the only command starting so
        await pilot.pause()
        assert isinstance(app.screen, DenialsScreen)
        await pilot.press("colon", "z", "z", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DenialsScreen)  # told, not moved
        await pilot.press("colon", "N", "X", "_", "D", "tab")  # a feature alone completes
        assert app.screen.query_one("Input").value == "NX_Drafting"
        await pilot.press("escape", "colon", "s", "e", "tab")  # to what they all share
        assert app.screen.query_one("Input").value == "seats "

    run(tmp_path, test)


def test_commands_resolve_exactly_then_by_a_unique_beginning():
    commands = [ConsoleCommand("overview", "", "a"), ConsoleCommand("events", "", "b"),
                ConsoleCommand("office", "", "c"), ConsoleCommand("seats AutoCAD", "", "d")]
    assert resolve("Overview", commands).action == "a"
    assert resolve("ev", commands).action == "b"
    assert resolve("o", commands) is None  # overview or office
    assert resolve("autocad", commands).action == "d"  # a feature name alone: its seats


def test_the_palette_keeps_textual_commands_and_offers_ours(tmp_path):
    assert App.COMMANDS < LMConsoleApp.COMMANDS  # Textual's own commands are kept
    assert ConsoleProvider in LMConsoleApp.COMMANDS

    async def test(app, pilot):
        provider = ConsoleProvider(app.screen)
        hits = [hit async for hit in provider.search("denials")]
        assert hits and "denials" in str(hits[0].text)

    run(tmp_path, test)


def test_themes_dark_light_and_high_contrast_are_registered_and_cycle(tmp_path):
    async def test(app, pilot):
        names = ["lmconsole-dark", "lmconsole-light", "lmconsole-high-contrast"]
        assert all(name in app.available_themes for name in names)
        assert app.theme == "lmconsole-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "lmconsole-light"
        app.run_command_line("theme lmconsole-high-contrast")
        await pilot.pause()
        assert app.theme == "lmconsole-high-contrast"

    run(tmp_path, test)


def test_every_binding_has_an_id_and_a_keymap_can_rebind_it(tmp_path):
    classes = [LMConsoleApp, base.LiveScreen, overview.OverviewScreen,
               features.FeaturesScreen, seats_module.SeatsScreen, denials.DenialsScreen,
               events.EventsScreen, dialogs.ConfirmScreen, dialogs.HelpScreen,
               dialogs.CommandLine, live_table.LiveTable]
    for cls in classes:
        for binding in cls.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding) and binding.id, (cls.__name__, binding)

    async def test(app, pilot):
        await pilot.press("z")
        assert app.paused
        await pilot.press("p")
        assert app.paused  # p no longer pauses

    run(tmp_path, test, keymap={"app.pause": "z"})


def test_o_and_f_show_the_views_themselves_not_the_last_drill_down(tmp_path):
    async def test(app, pilot):
        await pilot.press("enter", "enter")  # overview -> a server's features -> seats
        assert isinstance(app.screen, SeatsScreen)
        await pilot.press("d", "o")
        assert isinstance(app.screen, OverviewScreen) and len(app.screen_stack) == 1
        await pilot.press("f", "enter")  # all features -> seats of one on every server
        assert isinstance(app.screen, SeatsScreen)
        await pilot.press("e", "f")
        assert isinstance(app.screen, FeaturesScreen) and app.screen.server is None

    run(tmp_path, test)


# ---- a value too wide for its column is shown whole ------------------------------------------

LONG_FEATURE = "Simulink_Design_Optimization_Toolbox_Parallel"
LONG_REASON = ("Cannot find SERVER hostname in network database: the server's host name "
               "does not resolve from the client")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_the_selected_rows_cut_values_are_shown_whole_under_the_table(tmp_path, size):
    async def test(app, pilot):
        await pilot.press("d")
        screen = app.screen
        detail = screen.query_one("#detail")
        assert not detail.display  # nothing is cut in the seeded denials at either size
        first = events_for(list(app.servers.values()))[2]
        app.post_message(EventArrived(first._replace(
            feature=LONG_FEATURE, reason=LONG_REASON, code="-14,7")))
        await pilot.pause()
        table = screen.table
        (key,) = [k for k in table.rows if table.cell(k, "feature") == LONG_FEATURE]
        table.select_key(key)
        await pilot.pause()
        shown = str(detail.render())
        assert detail.display and f"Feature: {LONG_FEATURE}" in shown
        assert f"Reason: {LONG_REASON}" in shown
        assert "…" in table_text(table)  # the table itself cuts them
        if size[0] == 80:  # the code column lies past the right edge
            assert "Code: -14,7" in shown
        table.select_index(table.shown_keys.index(key) + 1)
        await pilot.pause()
        assert detail.display and LONG_FEATURE not in str(detail.render())

    run(tmp_path, test, size=size)


def table_text(table) -> str:
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


def test_a_dialogs_scrolling_parts_share_the_rows_left_small_ones_first():
    assert dialogs.share_rows([5, 40], 60, 3) == [5, 40]  # everything fits
    assert dialogs.share_rows([5, 40], 20, 3) == [5, 15]  # the small one whole
    assert dialogs.share_rows([30, 40], 20, 3) == [10, 10]  # two large ones halve it
    assert dialogs.share_rows([30, 40], 2, 3) == [3, 3]  # never under the least


def test_polled_ago_counts_real_seconds_where_the_servers_clock_runs_fast():
    """The demo's simulated clock runs 60 times faster: a status taken 2 real seconds ago
    is 2 minutes old by it, and "Polled" says 2s."""
    from datetime import datetime, timedelta
    from time import monotonic

    from lmconsole.monitor import ServerState
    from lmconsole.screens.live import LiveData

    simulated_now = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    data = LiveData(["sim"], clocks={"sim": lambda: simulated_now})
    taken = ServerState("sim", None, simulated_now - timedelta(minutes=2),
                        polled_monotonic=monotonic() - 2.0)
    assert 2.0 <= data.age_s(taken) < 60.0
    by_server_clock = ServerState("sim", None, simulated_now - timedelta(minutes=2))
    assert data.age_s(by_server_clock) == 120.0  # no monotonic time: the server's clock
    row = overview.overview_row(taken, data, Counter())
    assert row.values[overview.OVERVIEW_COLUMNS.index(
        next(c for c in overview.OVERVIEW_COLUMNS if c.key == "updated"))] in {"2s ago", "3s ago"}


def test_denials_of_servers_in_different_zones_are_shown_in_the_viewers_and_sorted_by_instant(
        tmp_path):
    """11:15 in Berlin (10:15 UTC) is older than 11:02 UTC: shown as 10:15 below 11:02 to a
    viewer in UTC, as the header says."""
    from datetime import datetime, timedelta, timezone

    async def test(app, pilot):
        await pilot.press("d")
        template = events_for(list(app.servers.values()))[2]
        day = app.data.now(template.server).date()  # today, by the clock of its server
        berlin = datetime(day.year, day.month, day.day, 11, 15,
                          tzinfo=timezone(timedelta(hours=1)))
        utc = datetime(day.year, day.month, day.day, 11, 2, tzinfo=UTC)
        for at, user in ((berlin, "in-berlin"), (utc, "in-utc")):
            app.post_message(EventArrived(template._replace(at=at, user=user)))
        await pilot.pause()
        table = app.screen.table
        mine = [k for k in table.shown_keys
                if table.cell(k, "who").startswith(("in-berlin@", "in-utc@"))]
        assert [table.cell(k, "who").split("@")[0] for k in mine] == ["in-utc", "in-berlin"]
        lines = table_text(table).splitlines()
        assert any(line.lstrip().startswith("11:02:00") and "in-utc" in line for line in lines)
        assert any(line.lstrip().startswith("10:15:00") and "in-berlin" in line
                   for line in lines)
        assert "times in UTC" in str(app.screen.query_one("ServerHeader").render())

    run(tmp_path, test, display_tz=UTC)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_the_overview_lists_features_to_look_at_and_the_last_hours_denials(tmp_path, size):
    async def test(app, pilot):
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        at_risk = rich_text(screen.query_one("#at-risk").content).splitlines()
        assert at_risk[0].startswith("Features to look at")
        autocad = next(line for line in at_risk if line.startswith("AutoCAD on office"))
        assert "2 denied" in autocad and "full 10/10" in autocad
        assert any(line.startswith("MATLAB on engineering") and "18/20 in use" in line
                   for line in at_risk)
        first_denied = next(i for i, line in enumerate(at_risk) if "denied" in line)
        last_denied = max(i for i, line in enumerate(at_risk) if "denied" in line)
        matlab = next(i for i, line in enumerate(at_risk) if line.startswith("MATLAB"))
        assert first_denied < matlab and last_denied < matlab  # the most urgent first
        denials = rich_text(screen.query_one("#last-hour").content).splitlines()
        assert denials[0].startswith("Denials, last hour")
        assert "NX_Nastran aschmid@stg-ana03: pool full" in denials[1]  # newest first
        assert not any("08:25" in line for line in denials)  # older than an hour
        for box in ("#at-risk", "#last-hour"):
            region = screen.query_one(box).region
            assert region.height >= 5 and region.bottom <= size[1] - 1

    run(tmp_path, test, size=size)
