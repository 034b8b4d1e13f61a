"""The features of one server, or of all servers summed by feature name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import ClassVar

from textual.binding import Binding, BindingType

from lmconsole.model import Feature

from .base import LiveScreen
from .format import denied_cell, percent, percent_text
from .live import LiveData
from .live_table import Column, Row

PERMANENT = date.max


def expiry_text(value: date) -> str:
    return "permanent" if value == PERMANENT else value.isoformat()


def feature_columns(all_servers: bool) -> list[Column]:
    where = (Column("servers", "Servers", 7, max_width=30) if all_servers
             else Column("vendor", "Vendor", 6))
    return [
        Column("feature", "Feature", 12, max_width=24),
        Column("in_use", "In use", 6, "right"),
        Column("issued", "Issued", 6, "right"),
        Column("percent", "%", 4, "right", format=percent_text),
        Column("denied", "Denied 1h", 9, "right"),
        Column("queued", "Queued", 6, "right"),
        Column("borrowed", "Borrowed", 8, "right"),
        Column("reserved", "Idle rsv", 8, "right"),
        Column("expiry", "Expiry", 10, format=expiry_text),
        where,
    ]


def earliest_expiry(features: Iterable[Feature]) -> date | None:
    """The first date on which seats of the feature stop working; PERMANENT if none do."""
    pools = [pool for feature in features for pool in feature.pools]
    if not pools:
        return None
    return min(pool.expiry or PERMANENT for pool in pools)


def feature_style(in_use: int | None, issued: int | None, denied: int) -> str:
    if denied:
        return "bad"
    if issued and in_use is not None and in_use >= issued:
        return "warn"
    return ""


def sum_or_none(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def server_feature_rows(data: LiveData, server: str) -> list[Row]:
    state = data.states.get(server)
    if state is None or state.status is None:
        return []
    denied = data.denials_last_hour()
    incomplete = data.denials_incomplete(server)
    rows = []
    seen: Counter[str] = Counter()
    for feature in state.status.features:
        seen[feature.name] += 1
        key = (server, feature.name, seen[feature.name])  # lmstat may list a name twice
        count = denied.get((server, feature.name), 0)
        values = (feature.name, feature.in_use, feature.issued,
                  percent(feature.in_use, feature.issued), denied_cell(count, incomplete),
                  feature.queued_count or None, feature.borrowed or None,
                  feature.reserved or None, earliest_expiry([feature]), feature.vendor)
        rows.append(Row(key, values, feature_style(feature.in_use, feature.issued, count)))
    return rows


def summed_feature_rows(data: LiveData) -> list[Row]:
    # Summed by name across servers, but never across vendor daemons: two daemons may
    # serve different products under the same feature name.
    by_name_and_vendor: dict[tuple[str, str | None], list[tuple[str, Feature]]] = {}
    for name in data.servers:
        state = data.states[name]
        if state.status is not None:
            for feature in state.status.features:
                key = (feature.name, feature.vendor)
                by_name_and_vendor.setdefault(key, []).append((name, feature))
    denied = data.denials_last_hour()
    rows = []
    seen: Counter[str] = Counter()
    for (name, _), found in by_name_and_vendor.items():
        seen[name] += 1
        features = [f for _, f in found]
        servers = sorted({s for s, _ in found})
        issued = sum_or_none(f.issued for f in features)
        in_use = sum_or_none(f.in_use for f in features)
        count = sum(denied.get((s, name), 0) for s in servers)
        incomplete = any(data.denials_incomplete(s) for s in servers)
        values = (name, in_use, issued, percent(in_use, issued),
                  denied_cell(count, incomplete),
                  sum(f.queued_count for f in features) or None,
                  sum(f.borrowed for f in features) or None,
                  sum(f.reserved for f in features) or None, earliest_expiry(features),
                  ", ".join(servers))
        rows.append(Row((None, name, seen[name]), values,
                        feature_style(in_use, issued, count)))
    return rows


class FeaturesScreen(LiveScreen):
    """server=None: every server, one row per feature name with the counts summed."""

    EMPTY_TEXT = "no features yet: waiting for the first poll"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Seats", id="features.open",
                tooltip="Who holds the selected feature"),
        Binding("h", "history", "History", id="features.history",
                tooltip="The selected feature's use over time, from the history"),
    ]

    def __init__(self, data: LiveData, server: str | None = None) -> None:
        super().__init__(data)
        self.server = server

    def columns(self) -> list[Column]:
        return feature_columns(self.server is None)

    def rows(self) -> list[Row]:
        if self.server is None:
            return summed_feature_rows(self.data)
        return server_feature_rows(self.data, self.server)

    def problem_servers(self) -> list[str]:
        return self.data.servers if self.server is None else [self.server]

    def title_text(self) -> str:
        if self.server is None:
            return "Features of all servers (summed by name)"
        return f"Features of {self.server}"

    def action_open(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            server, feature, _ = key
            self.app.open_seats(server, feature)

    def action_history(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            server, feature, _ = key
            self.app.open_history_chart(server, feature)
