"""LiveTable: rows by key, sorting, filtering, a cursor that follows its row, tags."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult

from lmconsole.screens.live_table import Column, LiveTable, Row

COLUMNS = [Column("user", "User", 6), Column("seats", "Seats", 5, "right"),
           Column("host", "Host", 6, flex=True)]


def rows(*data: tuple[str, int | None, str]) -> list[Row]:
    return [Row(user, (user, seats, host)) for user, seats, host in data]


BASE = rows(("carol", 3, "h3"), ("alice", 1, "h1"), ("bob", None, "h2"), ("dave", 2, "h4"))


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="table")


def run(test) -> None:
    async def scenario():
        app = TableApp()
        async with app.run_test(size=(40, 10)) as pilot:
            table = app.query_one(LiveTable)
            table.focus()
            await test(table, pilot)

    asyncio.run(scenario())


def text_of(table: LiveTable, y: int) -> str:
    return table.render_line(y).text


def test_rows_are_sorted_by_the_chosen_column_with_empty_values_last():
    async def test(table, pilot):
        table.apply(BASE)
        assert table.shown_keys == ["alice", "bob", "carol", "dave"]
        table.sort_by(1)
        assert table.shown_keys == ["alice", "dave", "carol", "bob"]
        table.sort_by(1, reverse=True)
        assert table.shown_keys == ["carol", "dave", "alice", "bob"]  # None still last
        await pilot.pause()
        assert "Seats▼" in text_of(table, 0)  # the sorted column is marked
        assert "User▲" not in text_of(table, 0)

    run(test)


def test_the_selection_follows_its_row_when_rows_move_and_stays_put_when_it_vanishes():
    async def test(table, pilot):
        table.apply(BASE)
        table.select_key("carol")
        assert table.cursor_key == "carol"
        table.apply(rows(("carol", 3, "h3"), ("aaron", 5, "h9"), ("alice", 1, "h1"),
                         ("bob", None, "h2"), ("dave", 2, "h4")))
        assert table.shown_keys.index("carol") == 3 and table.cursor_key == "carol"
        table.apply(rows(("aaron", 5, "h9"), ("alice", 1, "h1"), ("bob", None, "h2"),
                         ("dave", 2, "h4")))
        assert table.cursor_key == "dave"  # the row that took its place

    run(test)


def test_apply_reports_whether_anything_changed_and_updates_cells_by_key():
    async def test(table, pilot):
        assert table.apply(BASE)
        assert not table.apply(rows(("carol", 3, "h3"), ("alice", 1, "h1"), ("bob", None, "h2"),
                                    ("dave", 2, "h4")))
        assert table.apply(rows(("carol", 3, "h3"), ("alice", 7, "h1"), ("bob", None, "h2"),
                                ("dave", 2, "h4")))
        assert table.rows["alice"].values[1] == 7

    run(test)


def test_apply_sources_builds_rows_only_for_new_or_changed_sources():
    async def test(table, pilot):
        built = []

        def make_row(key, source):
            built.append(key)
            return Row(key, source)

        table.apply_sources({"a": ("a", 1, "h"), "b": ("b", 2, "h")}, make_row)
        assert built == ["a", "b"]
        built.clear()
        table.apply_sources({"a": ("a", 1, "h"), "b": ("b", 3, "h"), "c": ("c", 0, "h")},
                            make_row)
        assert built == ["b", "c"]
        assert table.shown_keys == ["a", "b", "c"] and table.rows["b"].values[1] == 3
        built.clear()
        assert not table.apply_sources({"a": ("a", 1, "h"), "b": ("b", 3, "h"),
                                        "c": ("c", 0, "h")}, make_row)
        assert built == []
        table.apply_sources({"c": ("c", 0, "h")}, make_row)
        assert table.shown_keys == ["c"] and set(table.sources) == {"c"}

    run(test)


def test_the_filter_keeps_matching_rows_in_any_column_and_the_selection():
    async def test(table, pilot):
        table.apply(BASE)
        table.select_key("dave")
        table.set_filter("H4")
        assert table.shown_keys == ["dave"] and table.cursor_key == "dave"
        table.upsert(rows(("erin", 1, "h4")))  # a new row that matches appears
        assert table.shown_keys == ["dave", "erin"]
        table.set_filter("nobody")
        await pilot.pause()
        assert table.row_count == 0 and "no rows match" in text_of(table, 1)
        table.set_filter("")
        assert table.row_count == 5

    run(test)


def test_keys_move_the_cursor_and_space_style_tags_follow_rows():
    async def test(table, pilot):
        table.apply(BASE)
        await pilot.press("down", "down")
        assert table.cursor_key == "carol"
        await pilot.press("end")
        assert table.cursor_key == "dave"
        await pilot.press("home")
        assert table.cursor_key == "alice"
        table.toggle_tag()  # tags alice, moves on to bob
        table.toggle_tag()
        assert table.tagged == {"alice", "bob"} and table.cursor_key == "carol"
        table.apply(rows(("alice", 1, "h1"), ("carol", 3, "h3")))
        assert table.tagged == {"alice"}  # a vanished row loses its tag
        await pilot.pause()
        assert text_of(table, 1).startswith("•alice")

    run(test)


def test_only_the_visible_rows_are_drawn():
    async def test(table, pilot):
        table.apply(rows(*[(f"u{n:05}", n, "h") for n in range(20_000)]))
        drawn = []
        original = table.render_line

        def spy(y):
            drawn.append(y)
            return original(y)

        table.render_line = spy
        table.refresh()
        await pilot.pause()
        assert drawn and max(drawn) < 10  # the widget is 10 lines high at most
        await pilot.press("end")
        assert table.cursor_key == "u19999"

    run(test)


def test_rows_moved_one_by_one_end_in_the_same_order_as_a_full_sort():
    """A refresh touching few rows moves them by binary search; the result must be what
    sorting everything again gives: values in order, empty values last."""
    import random

    async def test(table, pilot):
        rng = random.Random(5)
        data = {f"u{n}": rng.choice([None, *range(30)]) for n in range(400)}
        table.sort_by(1)
        table.apply([Row(k, (k, v, "h")) for k, v in data.items()])
        for step in range(60):
            for key in rng.sample(sorted(data), 5):  # 5 of 400 rows change each time
                data[key] = rng.choice([None, *range(30)])
            for key in rng.sample(sorted(data), 2):
                del data[key]
            data[f"new{step}"] = rng.choice([None, *range(30)])
            table.apply([Row(k, (k, v, "h")) for k, v in data.items()])
            if step == 30:
                table.sort_by(1, reverse=True)
            shown = [data[k] for k in table.shown_keys]
            present = [v for v in shown if v is not None]
            assert present == sorted(present, reverse=table.reverse)
            assert shown[len(present):] == [None] * (len(shown) - len(present))
            assert sorted(table.shown_keys) == sorted(data)

    run(test)
