"""`P`: the allocation pools ([[pools]] in the configuration): each pool's features, the seats
kept for it, and how many of them its users hold now; the highlighted pool's users below,
with the seats of the pool's features they hold. Esc closes it.

The pools come from the `load` function the app gives (their users resolved from the
directory's history, their seats with their managers' changes); the seats from the live
data, refreshed with it. This screen does no I/O of its own.
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


@dataclass(frozen=True)
class PoolView:
    server: str
    name: str
    team: str  # "group cae", "2 user(s)"
    users: frozenset[str]
    seats: Mapping[str, int]  # feature -> seats kept for the pool
    manager: str | None = None


Load = Callable[[], Awaitable[list[PoolView]]]


def held_by(states: Iterable[ServerState], server: str, users: frozenset[str]
            ) -> dict[str, Counter]:
    """Each of `users`' seats now on `server`, per feature."""
    held: dict[str, Counter] = {}
    for state in states:
        if state.name != server or state.status is None:
            continue
        for feature in state.status.features:
            for seat in feature.checkouts:
                if seat.user in users:
                    held.setdefault(seat.user, Counter())[feature.name] += seat.count
    return held


class PoolsScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="pools.close"),
    ]
    DEFAULT_CSS = """
    PoolsScreen {
        & > #title { height: 1; padding: 0 1; color: $foreground-muted; }
        & > #pools { height: 1fr; }
        & > #users { height: 1fr; }
    }
    """

    def __init__(self, load: Load, states: Callable[[], Iterable[ServerState]]) -> None:
        super().__init__()
        self.load, self.states = load, states
        self.pools: dict[str, PoolView] = {}  # row key -> pool

    def compose(self) -> ComposeResult:
        yield Static("Allocation pools · reading the directory's history…", id="title")
        yield DataTable(id="pools", zebra_stripes=True, cursor_type="row")
        yield DataTable(id="users", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pools", DataTable).add_columns(
            "POOL", "SERVER", "FEATURE", "SEATS", "IN USE", "TEAM")
        self.query_one("#users", DataTable).add_columns("USER", "SEATS", "OF THE POOL'S")
        self.query_one("#pools", DataTable).focus()
        self.run_worker(self._load(), exclusive=True, group="pools")

    async def _load(self) -> None:
        title = self.query_one("#title", Static)
        try:
            pools = await self.load()
        except Exception as error:  # noqa: BLE001 - a database gone: said, the console goes on
            title.update(f"Allocation pools · cannot be read: {error}")
            return
        count = f"{len(pools)} pool" + ("" if len(pools) == 1 else "s")
        title.update(f"Allocation pools · {count} · seats their users hold now")
        self.show_pools(pools)

    def show_pools(self, pools: list[PoolView]) -> None:
        states = list(self.states())
        table = self.query_one("#pools", DataTable)
        table.clear()
        self.pools = {}
        for pool in pools:
            held = held_by(states, pool.server, pool.users)
            team = pool.team + (f", manager {pool.manager}" if pool.manager else "")
            for n, (feature, seats) in enumerate(sorted(pool.seats.items())):
                key = f"{pool.server}/{pool.name}/{feature}"
                self.pools[key] = pool
                in_use = sum(counts[feature] for counts in held.values())
                table.add_row(pool.name if n == 0 else "", pool.server if n == 0 else "",
                              feature, seats, in_use, team if n == 0 else "", key=key)
        self.show_users(next(iter(self.pools.values()), None))

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.data_table.id == "pools" and message.row_key is not None:
            self.show_users(self.pools.get(message.row_key.value))

    def show_users(self, pool: PoolView | None) -> None:
        table = self.query_one("#users", DataTable)
        table.clear()
        if pool is None:
            return
        held = held_by(self.states(), pool.server, pool.users)
        mine = {user: Counter({f: n for f, n in held.get(user, Counter()).items()
                               if f in pool.seats}) for user in pool.users}
        for user in sorted(pool.users, key=lambda u: (-sum(mine[u].values()), u)):
            seats = mine[user]
            table.add_row(user, sum(seats.values()),
                          ", ".join(f"{name} {n}" if n > 1 else name
                                    for name, n in sorted(seats.items())), key=user)

    def action_close(self) -> None:
        self.app.pop_screen()
