"""`D`: the directory's groups (as `lmconsole directory sync` last recorded them), how many
of their users hold seats now, how many seats and of which features; the highlighted
group's members below, each with the seats they hold now and of which features. Esc closes
it.

The groups come from the `load` function the app gives (the history, read as of now);
the seats from the live data: each new status updates the seat cells in place (the rows,
their order and the cursor stay). This screen does no I/O of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lmconsole.monitor import ServerState

from .base import STATES


@dataclass(frozen=True)
class DirectoryGroups:
    """What the screen shows of the directory: each group's users (nested ones
    included), the groups directly within each, and the users' names."""

    members: Mapping[str, frozenset[str]]
    within: Mapping[str, str]  # group -> the group holding it (for the tree's indent)
    names: Mapping[str, str]  # login -> display name


Load = Callable[[], Awaitable[DirectoryGroups]]


def seats_by_user(states: Iterable[ServerState]) -> dict[str, Counter]:
    """Each user's seats now, per feature, over every server's last status."""
    held: dict[str, Counter] = {}
    for state in states:
        if state.status is None:
            continue
        for feature in state.status.features:
            for checkout in feature.checkouts:
                held.setdefault(checkout.user, Counter())[feature.name] += checkout.count
    return held


def features_text(seats: Counter) -> str:
    """`CATIA 3, Nastran` (a count only above one), the most held first."""
    ordered = sorted(seats.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {n}" if n > 1 else name for name, n in ordered if n)


def depth(group: str, within: Mapping[str, str]) -> int:
    level, seen = 0, {group}
    while (group := within.get(group)) is not None and group not in seen:
        seen.add(group)
        level += 1
    return level


def indented(group: str, level: int) -> str:
    """A group's name under the group holding it, drawn as a tree (a table trims
    leading spaces, so each level above is a line)."""
    return f"{'│ ' * (level - 1)}└ {group}" if level else group


def tree_order(groups: Iterable[str], within: Mapping[str, str]) -> list[str]:
    """The groups as a tree: each after the group holding it, siblings by name."""
    children: dict[str | None, list[str]] = {}
    chosen = set(groups)
    for group in sorted(chosen):
        parent = within.get(group)
        children.setdefault(parent if parent in chosen else None, []).append(group)
    ordered: list[str] = []
    stack = list(reversed(children.get(None, [])))
    while stack and len(ordered) < len(chosen):
        group = stack.pop()
        if group in ordered:
            continue
        ordered.append(group)
        stack.extend(reversed(children.get(group, [])))
    return ordered + sorted(chosen - set(ordered))  # those in a cycle of groups


class DirectoryScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="directory.close"),
    ]
    DEFAULT_CSS = """
    DirectoryScreen {
        & > #title { height: 1; padding: 0 1; color: $foreground-muted; }
        & > #groups { height: 1fr; }
        & > #members { height: 1fr; }
    }
    """

    def __init__(self, load: Load, states: Callable[[], Iterable[ServerState]]) -> None:
        super().__init__()
        self.load, self.states = load, states
        self.groups: DirectoryGroups | None = None
        self.order: list[str] = []
        self.shown_group: str | None = None  # whose members the lower table lists

    def compose(self) -> ComposeResult:
        yield Static("Directory groups · reading the history…", id="title")
        yield DataTable(id="groups", zebra_stripes=True, cursor_type="row")
        yield DataTable(id="members", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        groups = self.query_one("#groups", DataTable)
        members = self.query_one("#members", DataTable)
        groups.add_column("GROUP", key="group")
        groups.add_column("USERS", key="users")
        groups.add_column("HOLDING", key="holding")
        groups.add_column("SEATS", key="seats")
        groups.add_column("FEATURES", key="features")
        members.add_column("USER", key="user")
        members.add_column("NAME", key="name")
        members.add_column("SEATS", key="seats")
        members.add_column("FEATURES", key="features")
        self.query_one("#groups", DataTable).focus()
        self.run_worker(self._load(), exclusive=True, group="directory")

    async def _load(self) -> None:
        title = self.query_one("#title", Static)
        try:
            self.groups = await self.load()
        except Exception as error:  # noqa: BLE001 - a database gone: said, the console goes on
            title.update(f"Directory groups · cannot be read: {error}")
            return
        if not self.groups.members:
            title.update("Directory groups · none recorded: run `lmconsole directory sync`")
            return
        title.update(f"Directory groups · {len(self.groups.members)} groups · seats held now")
        self.order = tree_order(self.groups.members, self.groups.within)
        self.show_groups()

    def show_groups(self) -> None:
        assert self.groups is not None
        held = seats_by_user(self.states())
        table = self.query_one("#groups", DataTable)
        table.clear()
        for group in self.order:
            table.add_row(indented(group, depth(group, self.groups.within)),
                          len(self.groups.members[group]), *self.group_seats(group, held),
                          key=group)
        self.show_members(self.order[0] if self.order else None)

    def group_seats(self, group: str, held: Mapping[str, Counter]) -> tuple[int, int, str]:
        """(users holding seats, seats, features) of a group's users now."""
        assert self.groups is not None
        holding = [user for user in self.groups.members[group] if user in held]
        features: Counter = Counter()
        for user in holding:
            features.update(held[user])
        return len(holding), sum(features.values()), features_text(features)

    def live_update(self, changes: set[str]) -> None:
        """A new status: the seat cells updated in place, rows and cursor left as they
        are."""
        if STATES not in changes or self.groups is None or getattr(self.app, "paused", False):
            return
        held = seats_by_user(self.states())
        groups = self.query_one("#groups", DataTable)
        for group in self.order:
            for column, value in zip(("holding", "seats", "features"),
                                     self.group_seats(group, held), strict=True):
                groups.update_cell(group, column, value)
        members = self.query_one("#members", DataTable)
        for user in self.groups.members.get(self.shown_group, ()):
            seats = held.get(user, Counter())
            members.update_cell(user, "seats", sum(seats.values()))
            members.update_cell(user, "features", features_text(seats))

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.data_table.id == "groups" and message.row_key is not None:
            self.show_members(message.row_key.value)

    def show_members(self, group: str | None) -> None:
        table = self.query_one("#members", DataTable)
        table.clear()
        self.shown_group = group
        if group is None or self.groups is None:
            return
        held = seats_by_user(self.states())
        users = sorted(self.groups.members.get(group, ()),
                       key=lambda user: (-sum(held.get(user, Counter()).values()), user))
        for user in users:
            seats = held.get(user, Counter())
            table.add_row(user, self.groups.names.get(user, ""), sum(seats.values()),
                          features_text(seats), key=user)

    def action_close(self) -> None:
        self.app.pop_screen()
