"""All servers at a glance: state, seats in use, denials of the last hour, triad and daemons."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from textual.binding import Binding, BindingType

from lmconsole.model import ServerStatus, Status
from lmconsole.monitor import ServerState

from .base import LiveScreen
from .format import bar, denied_cell, duration, percent, short_age, short_host
from .live import LiveData
from .live_table import Column, Row


def usage_text(value: float) -> str:
    return f"{bar(value, 8)} {value:3.0f}%"


OVERVIEW_COLUMNS = [
    Column("server", "Server", 8),
    Column("status", "Status", 8),
    Column("in_use", "In use", 6, "right"),
    Column("issued", "Issued", 6, "right"),
    Column("usage", "Usage", 13, format=usage_text),
    Column("denied", "Denied 1h", 9, "right"),
    Column("features", "Features", 8, "right"),
    Column("updated", "Polled", 6, "right"),
    Column("hosts", "Hosts", 12, max_width=60),
    Column("vendors", "Vendor daemons", 14, max_width=60, flex=True),
]


def status_text(state: ServerState, data: LiveData) -> tuple[str, str]:
    """The status word and the row's emphasis."""
    if state.status is None:
        return ("unreachable", "bad") if state.error else ("connecting", "dim")
    if state.stale:
        return f"stale {short_age(data.age_s(state))}", "warn"
    status = state.status.status
    if status is not Status.UP:
        return status.value, "bad"
    if any(h.status is not Status.UP for h in state.status.hosts):
        return "up", "warn"
    return "up", ""


def hosts_text(status: ServerStatus) -> str:
    parts = []
    for host in status.hosts:
        text = short_host(host.host)
        if host.master:
            text += " master"
        if host.status is not Status.UP:
            text += f" {host.status.value}"
        parts.append(text)
    return ", ".join(parts)


def vendors_text(status: ServerStatus) -> str:
    return ", ".join(v.name if v.status is Status.UP else f"{v.name} {v.status.value}"
                     for v in status.vendors)


def overview_row(state: ServerState, data: LiveData, denied: Counter) -> Row:
    word, style = status_text(state, data)
    age = data.age_s(state)
    updated = f"{duration(age)} ago" if age is not None else ""
    status = state.status
    denials = denied_cell(denied.get(state.name, 0), data.denials_incomplete(state.name))
    if status is None:
        values = (state.name, word, None, None, None, denials, None, updated, "", "")
        return Row(state.name, values, style)
    counted = [f for f in status.features if f.issued is not None]
    in_use = sum(f.in_use or 0 for f in counted)
    issued = sum(f.issued or 0 for f in counted)
    values = (state.name, word, in_use, issued, percent(in_use, issued), denials,
              len(status.features), updated, hosts_text(status), vendors_text(status))
    return Row(state.name, values, style)


def overview_rows(data: LiveData) -> list[Row]:
    by_server = Counter()
    for (server, _feature), count in data.denials_last_hour().items():
        by_server[server] += count
    return [overview_row(data.states[name], data, by_server) for name in data.servers]


class OverviewScreen(LiveScreen):
    EMPTY_TEXT = "no servers configured: run `lmconsole config init`, or try `lmconsole demo`"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Features", id="overview.open",
                tooltip="The features of the selected server"),
    ]

    def columns(self) -> list[Column]:
        return OVERVIEW_COLUMNS

    def rows(self) -> list[Row]:
        return overview_rows(self.data)

    def title_text(self) -> str:
        return "Overview of all servers"

    def tick(self) -> None:
        """Every second: the ages in the Status and Updated columns move on."""
        self.live_update({"states"})

    def action_open(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self.app.open_features(key)
