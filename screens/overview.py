"""All servers at a glance: state, seats in use, denials of the last hour, triad and daemons."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Static

from lmconsole.model import Feature, ServerStatus, Status
from lmconsole.monitor import ServerState

from .base import LiveScreen
from .denials import ReasonWords, plain_reason
from .format import bar, denied_cell, duration, event_time, percent, short_age, short_host
from .live import LiveData
from .live_table import Column, Row
from .stream import who

EXPIRY_WARNING = timedelta(days=30)  # a feature expiring sooner is at risk
NEARLY_FULL = 0.9  # a share of seats in use from which a feature is at risk


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


# ---- under the table: what needs a look -------------------------------------------------------

def risks(feature: Feature, denied: int, today: date) -> tuple[int, list[str]]:
    """Why a feature needs a look, most urgent first, and how urgent (0: not at all)."""
    words, level = [], 0
    if denied:
        words.append(f"{denied} denied")
        level = max(level, 3)
    if feature.issued and feature.in_use is not None:
        if feature.in_use >= feature.issued:
            words.append(f"full {feature.in_use}/{feature.issued}")
            level = max(level, 3)
        elif feature.in_use >= NEARLY_FULL * feature.issued:
            words.append(f"{feature.in_use}/{feature.issued} in use")
            level = max(level, 2)
    if feature.queued_count:
        words.append(f"{feature.queued_count} queued")
        level = max(level, 3)
    expiry = feature.earliest_expiry
    if expiry is not None and expiry - today <= EXPIRY_WARNING:
        days = (expiry - today).days
        words.append("expired" if days < 0 else f"expires in {days} d")
        level = max(level, 3 if days < 0 else 1)
    return level, words


def at_risk_lines(data: LiveData) -> list[Text]:
    """One line per feature that needs a look, the most urgent first, on every server."""
    denied = data.denials_last_hour()
    found = []
    for name in data.servers:
        state = data.states[name]
        if state.status is None:
            continue
        today = data.now(name).astimezone(data.display_tz).date()
        for feature in state.status.features:
            level, words = risks(feature, denied.get((name, feature.name), 0), today)
            if level:
                found.append((-level, name, feature.name, words))
    found.sort()
    style = {3: "bold", 2: "", 1: "dim"}
    return [Text.assemble((f"{feature} ", style[-level]), (f"on {server}: ", "dim"),
                          ", ".join(words)) for level, server, feature, words in found]


def recent_denial_lines(data: LiveData, words: ReasonWords) -> list[Text]:
    """The last hour's denials, newest first: when, what, who, why, where."""
    recent = sorted(data.recent_denials(), key=lambda d: (d.event.at, d.seq), reverse=True)
    lines = []
    for logged in recent:
        event = logged.event
        when = event_time(event.at, data.now(event.server), data.display_tz)
        lines.append(Text.assemble((f"{when} ", "dim"), (f"{event.feature} ", "bold"),
                                   f"{who(event)}: {words(event.code, event.reason)}",
                                   (f" ({event.server})", "dim")))
    return lines


def panel(title: str, lines: list[Text], empty: str) -> Table:
    table = Table(title=title, title_justify="left", box=None, show_header=False,
                  padding=0, expand=True)
    table.add_column(overflow="ellipsis", no_wrap=True, ratio=1)
    for line in lines or [Text(empty, "dim italic")]:
        table.add_row(line)
    return table


class OverviewScreen(LiveScreen):
    EMPTY_TEXT = "no servers configured: run `lmconsole config init`, or try `lmconsole demo`"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Features", id="overview.open",
                tooltip="The features of the selected server"),
    ]

    DEFAULT_CSS = """
    OverviewScreen {
        & #table { height: auto; max-height: 50%; }
        & #below { height: 1fr; padding: 0 1; }
        & #at-risk, & #last-hour { width: 1fr; height: 1fr; }
        & #at-risk { margin-right: 2; }
        &.narrow #below { layout: vertical; }
    }
    """
    WIDE = 100  # columns from which the two lists stand side by side

    def __init__(self, data: LiveData, reason_words: ReasonWords = plain_reason) -> None:
        super().__init__(data)
        self.words = reason_words

    def body(self) -> ComposeResult:
        yield self.make_table()
        with Horizontal(id="below"):
            yield Static(id="at-risk")
            yield Static(id="last-hour")

    def on_resize(self) -> None:
        self.set_class(self.size.width < self.WIDE, "narrow")

    def reload(self) -> None:
        super().reload()
        self.query_one("#at-risk", Static).update(panel(
            "Features to look at",
            at_risk_lines(self.data), "none: every feature has seats to spare"))
        self.query_one("#last-hour", Static).update(panel(
            "Denials, last hour", recent_denial_lines(self.data, self.words),
            "none in the last hour"))

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
