"""Renderers for `lmconsole snapshot`: JSON, a human-readable table, CSV and Prometheus text.

Pure functions from a `Snapshot` to the complete text (always ending in a newline, ready for
`sys.stdout.write`). Headless: nothing here imports Textual.

The JSON shape is a contract (DESIGN.md, "Contracts others rely on"): keys are added after
the contract's keys, never renamed. The Prometheus names follow mjtrangoni/flexlm_exporter
(collector/lmstat.go and collector/lmstat_feature_exp.go) so that existing dashboards and
alert rules keep working; our additions are named in the same style.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from types import ModuleType
from typing import Any

from lmconsole.model import (
    Checkout,
    Diagnostic,
    Feature,
    LicenseHost,
    Pool,
    Queued,
    Reservation,
    ServerStatus,
    Snapshot,
    Status,
    VendorDaemon,
)
from lmconsole.prometheus import render_prometheus
from lmconsole.units import duration

__all__ = ["FORMATS", "compact_json_chunks", "render_csv", "render_json", "render_prometheus",
           "render_table"]


# --------------------------------------------------------------------------------------- JSON


def _orjson() -> ModuleType | None:
    """orjson, several times faster than json on a large site, writing the same text
    (tests/test_output.py); None without it. Imported when JSON is first written: it
    imports dataclasses, uuid and more, which no other format needs."""
    try:
        return globals()["orjson"]
    except KeyError:
        pass
    try:
        import orjson
    except ImportError:  # pragma: no cover - a declared dependency; json serves without it
        orjson = None
    globals()["orjson"] = orjson
    return orjson


def __getattr__(name: str) -> object:
    if name == "orjson":
        return _orjson()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=65536)  # tens of thousands of seats share a few thousand start minutes
def _utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with "+00:00", to the second (lmstat itself prints minutes)."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    # isoformat() alone is a third faster, and the same for a whole second (seats' starts)
    return utc.isoformat() if utc.microsecond == 0 else utc.isoformat(timespec="seconds")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _host_json(h: LicenseHost) -> dict[str, Any]:
    return {"host": h.host, "port": h.port, "status": Status(h.status).value, "master": h.master,
            "version": h.version, "error": h.error,
            "error_code": h.error_code}


def _vendor_json(v: VendorDaemon) -> dict[str, Any]:
    return {"name": v.name, "status": Status(v.status).value, "version": v.version,
            "error": v.error,
            "host": v.host}


def _pool_json(p: Pool) -> dict[str, Any]:
    return {"version": p.version, "expiry": _day(p.expiry), "license_type": p.license_type,
            "vendor_string": p.vendor_string,
            "vendor": p.vendor, "locked_to": p.locked_to}


# The contract's checkout keys are Checkout's fields, in its order: a seat's object is made
# from the tuple unpacked into a dict display (tens of thousands of seats; attribute by
# attribute cost twice as much, dict(zip(keys, seat)) half as much again).
_CHECKOUT_KEYS = ("user", "host", "display", "version", "pool", "server", "port", "handle",
                  "start", "count", "borrowed", "linger_s", "linger_total_s", "pid", "extra")
assert Checkout._fields == _CHECKOUT_KEYS, "the JSON contract's checkout keys changed"


def _checkouts_json(checkouts: Iterable[Checkout]) -> list[dict[str, Any]]:
    return [{"user": user, "host": host, "display": display, "version": version, "pool": pool,
             "server": server, "port": port, "handle": handle, "start": _utc(start),
             "count": count, "borrowed": borrowed, "linger_s": linger_s,
             "linger_total_s": linger_total_s, "pid": pid, "extra": extra}
            for (user, host, display, version, pool, server, port, handle, start, count,
                 borrowed, linger_s, linger_total_s, pid, extra) in checkouts]


def _reservation_json(r: Reservation) -> dict[str, Any]:
    return {"count": r.count, "kind": r.kind, "name": r.name, "pool": r.pool,
            "server": r.server, "port": r.port}


def _queued_json(q: Queued) -> dict[str, Any]:
    return {"user": q.user, "host": q.host, "display": q.display, "count": q.count,
            "pool": q.pool,
            "version": q.version, "server": q.server, "port": q.port, "handle": q.handle}


def _feature_json(f: Feature) -> dict[str, Any]:
    return {"name": f.name, "vendor": f.vendor, "issued": None if f.uncounted else f.issued,
            "in_use": f.in_use, "uncounted": f.uncounted, "error": f.error,
            "pools": [_pool_json(p) for p in f.pools],
            "checkouts": _checkouts_json(f.checkouts),
            "reservations": [_reservation_json(r) for r in f.reservations],
            "queued": [_queued_json(q) for q in f.queued],
            "error_code": f.error_code, "denied": f.denied}


def _server_json(s: ServerStatus) -> dict[str, Any]:
    head, tail = _server_head_tail(s)
    return {**head, "features": [_feature_json(f) for f in s.features], **tail}


def _server_head_tail(s: ServerStatus) -> tuple[dict[str, Any], dict[str, Any]]:
    """A server's object but its features: the keys before them, and those after."""
    return ({"name": s.name, "source": s.source, "status": Status(s.status).value,
             "error": s.error,
             "hosts": [_host_json(h) for h in s.hosts],
             "vendors": [_vendor_json(v) for v in s.vendors]},
            {"error_code": s.error_code, "license_files": list(s.license_files),
             "reported_at": _utc(s.reported_at), "manager": s.manager})


def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {"line": d.line, "message": d.message, "text": d.text,
            "server": d.server}


def snapshot_dict(snapshot: Snapshot) -> dict[str, Any]:
    """The contract's JSON object as plain Python data (dicts in the contract's key order)."""
    return {"taken_at": _utc(snapshot.taken_at),
            "servers": [_server_json(s) for s in snapshot.servers],
            "diagnostics": [_diagnostic_json(d) for d in snapshot.diagnostics]}


def render_json(snapshot: Snapshot, *, compact: bool = False) -> str:
    """One JSON object in the DESIGN.md contract's shape; indented by 2 unless `compact`."""
    if compact:
        return b"".join(compact_json_chunks(snapshot)).decode()
    data = snapshot_dict(snapshot)
    orjson = _orjson_for(snapshot)
    if orjson is not None:
        try:
            return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
        except TypeError:  # a lone surrogate (or an int beyond 64 bits): json writes it
            pass
    return _stdlib_json(data, compact=False).decode() + "\n"


def compact_json_chunks(snapshot: Snapshot) -> Iterator[bytes]:
    """render_json(compact=True)'s text in UTF-8, in pieces to write as they come: a
    feature's objects (tens of thousands of seats') are made, written and let go one
    feature at a time, never all held at once."""
    orjson = _orjson_for(snapshot)
    if orjson is None:
        yield _stdlib_json(snapshot_dict(snapshot), compact=True) + b"\n"
        return

    def dumps(value: object) -> bytes:
        try:
            return orjson.dumps(value)
        except TypeError:  # a lone surrogate (or an int beyond 64 bits): json writes it
            return _stdlib_json(value, compact=True)

    yield b'{"taken_at":' + dumps(_utc(snapshot.taken_at)) + b',"servers":['
    for n, server in enumerate(snapshot.servers):
        head, tail = _server_head_tail(server)
        yield (b"," if n else b"") + dumps(head)[:-1] + b',"features":['
        for i, feature in enumerate(server.features):
            yield (b"," if i else b"") + dumps(_feature_json(feature))
        yield b"]," + dumps(tail)[1:]
    yield b'],"diagnostics":' + dumps([_diagnostic_json(d) for d in snapshot.diagnostics])
    yield b"}\n"


# Fewer seats than this, json writes them sooner than orjson is imported (11 ms of CPU, with
# the dataclasses, inspect, uuid and platform it imports): json takes 3 us a seat, orjson 0.3.
ORJSON_FROM_SEATS = 2000


def _orjson_for(snapshot: Snapshot) -> ModuleType | None:
    """orjson when the snapshot is large enough to repay its import and it is installed;
    None: json writes it."""
    seats = sum(len(f.checkouts) for server in snapshot.servers for f in server.features)
    return _orjson() if seats >= ORJSON_FROM_SEATS else None


def _stdlib_json(data: object, *, compact: bool) -> bytes:
    """The same text as orjson's, in UTF-8; but a lone surrogate, which orjson refuses and no
    output stream could encode, is written escaped (\\udcff), as every character beyond
    ASCII then."""
    import json  # here: a large snapshot is written by orjson

    separators, indent = ((",", ":"), None) if compact else (None, 2)
    text = json.dumps(data, ensure_ascii=False, separators=separators, indent=indent)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(data, separators=separators, indent=indent).encode()


# -------------------------------------------------------------------------------------- table

_ELLIPSIS = "…"
NO_WIDTH_LIMIT = 1 << 30  # columns: the width of a table that nothing cuts


def _clean(text: object) -> str:
    """Make a value safe to print on a terminal: control characters (a TAB, an escape
    sequence smuggled in a user name) are shown escaped instead of being interpreted."""
    s = "" if text is None else str(text)
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in s)


def fit(text: str, width: int) -> str:
    """Truncate to `width` characters, marking the cut with an ellipsis."""
    if len(text) <= width:
        return text
    if width <= 0:
        return ""
    return text[: width - 1] + _ELLIPSIS


def _wrap(text: str, width: int, indent: str = "  ", subsequent: str | None = None,
          whole_words: bool = False) -> list[str]:
    """Wrapped at spaces; a word longer than the width is broken (cut, with `whole_words`:
    left whole, a line longer than the width, for a name that must be copied)."""
    from textwrap import wrap  # here: only the table wraps

    sub = indent + "  " if subsequent is None else subsequent
    lines = wrap(text, width=width, initial_indent=indent, subsequent_indent=sub,
                 break_long_words=not whole_words, break_on_hyphens=False)
    if whole_words:
        return lines or [indent.rstrip()]
    return [fit(line, width) for line in lines] or [indent.rstrip()]


def _wrap_items(label: str, items: Iterable[str], width: int, indent: str = "  ",
                subsequent: str | None = None) -> list[str]:
    """`label` then the items separated by commas, wrapped between items where possible."""
    glued = (_glue(item) if len(item) < width // 2 else item for item in items)
    return _unglue(_wrap(label + ", ".join(glued), width, indent, subsequent))


def _glue(text: str) -> str:
    return text.replace(" ", "\xa0")  # textwrap never breaks at a no-break space


def _unglue(lines: list[str]) -> list[str]:
    return [line.replace("\xa0", " ").rstrip() for line in lines]


class _Col:
    """A table column: header, alignment ("<" or ">"), the narrowest it may be squeezed to
    (None: never squeezed), the widest it grows to (None: as wide as its values), and
    whether its values are names an administrator copies (`whole`: never cut; one too wide
    for the column is written in full on a line of its own, above its row)."""

    __slots__ = ("header", "align", "squeeze", "cap", "whole")

    def __init__(self, header: str, align: str = "<", squeeze: int | None = None,
                 cap: int | None = None, whole: bool = False) -> None:
        self.header, self.align, self.squeeze, self.cap = header, align, squeeze, cap
        self.whole = whole


def _layout(cols: Sequence[_Col], rows: Sequence[Sequence[str]], width: int,
            indent: int = 0) -> list[int]:
    """Column widths: each column's natural width (capped at its max); while the line is too
    wide, narrow the widest column that may still shrink."""
    widths = []
    for i, col in enumerate(cols):
        w = max([len(col.header)] + [len(r[i]) for r in rows])
        if col.cap is not None:
            w = min(w, max(col.cap, len(col.header)))
        widths.append(w)
    total = indent + sum(widths) + len(widths) - 1
    while total > width:
        candidates = [i for i, c in enumerate(cols)
                      if c.squeeze is not None and widths[i] > c.squeeze]
        if not candidates:
            break
        i = max(candidates, key=lambda j: widths[j])
        widths[i] -= 1
        total -= 1
    return widths


def _row(cells: Sequence[str], cols: Sequence[_Col], widths: Sequence[int], indent: int,
         width: int) -> str:
    parts = []
    for cell, col, w in zip(cells, cols, widths):
        cell = fit(cell, w)
        parts.append(cell.rjust(w) if col.align == ">" else cell.ljust(w))
    return fit((" " * indent + " ".join(parts)).rstrip(), width)


def _rows(cells: Sequence[str], cols: Sequence[_Col], widths: Sequence[int], indent: int,
          width: int) -> list[str]:
    """One row; when a name is wider than its column, first a line with the names in full
    (never cut: they are what gets copied), then the row without them."""
    overflowing = [i for i, (cell, col, w) in enumerate(zip(cells, cols, widths))
                   if col.whole and len(cell) > w]
    if not overflowing:
        return [_row(cells, cols, widths, indent, width)]
    names = " " * indent + "  ".join(cells[i] for i in overflowing)
    rest = ["" if i in overflowing else cell for i, cell in enumerate(cells)]
    return [names, _row(rest, cols, widths, indent, width)]


def _table(cols: Sequence[_Col], rows: Sequence[Sequence[str]], width: int,
           indent: int = 0) -> list[str]:
    widths = _layout(cols, rows, width, indent)
    out = [_row([c.header for c in cols], cols, widths, indent, width)]
    for cells in rows:
        out += _rows(cells, cols, widths, indent, width)
    return out


@lru_cache(maxsize=65536)
def _local(value: datetime | None, tz: tzinfo | None) -> str:
    if value is None:
        return ""
    shown = value.astimezone(tz) if tz is not None else value.astimezone()
    return shown.strftime("%Y-%m-%d %H:%M")


def _expiry_cell(f: Feature) -> str:
    first = f.earliest_expiry
    if first is not None:
        return first.isoformat()
    return "permanent" if f.pools else ""


def _host_text(h: LicenseHost) -> str:
    name = f"{h.host}:{h.port}" if h.port is not None else h.host
    if h.status == Status.UP:
        text = name + (" MASTER" if h.master else "") + (f" {h.version}" if h.version else "")
    else:
        text = f"{name} {Status(h.status).value.upper()}"
        if h.error:
            text += f" ({h.error}" + (f" [{h.error_code}]" if h.error_code else "") + ")"
    return _clean(text)


def _vendor_text(v: VendorDaemon) -> str:
    text = f"{v.name} {Status(v.status).value.upper()}" + (f" {v.version}" if v.version else "")
    if v.error:
        text += f" ({v.error})"
    return _clean(text)


_FEATURE_COLS = (
    _Col("FEATURE", "<", squeeze=8, whole=True), _Col("VENDOR", "<", squeeze=6, whole=True),
    _Col("IN USE/ISSUED", ">"), _Col("%", ">"), _Col("RESERVED", ">"), _Col("BORROWED", ">"),
    _Col("QUEUED", ">"), _Col("EXPIRY", "<"),
)


def _feature_cells(f: Feature) -> list[str]:
    name, vendor = _clean(f.name), _clean(f.vendor)
    if f.error:  # the message is laid over the numeric columns by _feature_table
        return [name, vendor, "", "", "", "", "", ""]
    if f.uncounted:
        usage, pct = "uncounted", ""
    else:
        in_use = "" if f.in_use is None else str(f.in_use)
        usage = f"{in_use}/{'' if f.issued is None else f.issued}"
        pct = _percent(f.in_use, f.issued)
    return [name, vendor, usage, pct, str(f.reserved), str(f.borrowed), str(f.queued_count),
            _expiry_cell(f)]


def _percent(in_use: int | None, issued: int | None) -> str:
    if not issued or in_use is None:
        return ""
    from fractions import Fraction  # here: its decimal import cost every snapshot's start-up

    pct = round(Fraction(100 * in_use, issued))  # exact: no float overflow on a huge count
    return "<1%" if pct == 0 and in_use > 0 else f"{pct}%"


def _feature_table(server: ServerStatus, width: int) -> list[str]:
    cols = _FEATURE_COLS
    rows = [_feature_cells(f) for f in server.features]
    widths = _layout(cols, rows, width)
    lines = [_row([c.header for c in cols], cols, widths, 0, width)]
    for f, cells in zip(server.features, rows):
        if f.error:
            *names, head = _rows(cells[:2], cols[:2], widths[:2], 0, width)
            head = head.ljust(widths[0] + widths[1] + 1)
            code = f" [{_clean(f.error_code)}]" if f.error_code else ""
            indent = " " * (widths[0] + widths[1] + 2)
            lines += names + _wrap(f"{head} error: {_clean(f.error)}{code}", width,
                                   indent="", subsequent=indent + "  ")
        else:
            lines += _rows(cells, cols, widths, 0, width)
    return lines


_SEAT_COLS = (
    _Col("USER", "<", squeeze=6, whole=True), _Col("HOST", "<", squeeze=6, whole=True),
    _Col("DISPLAY", "<", squeeze=6, whole=True), _Col("SINCE", "<"), _Col("COUNT", ">"),
    _Col("NOTE", "<"),
)


def _seat_note(c: Checkout) -> str:
    """The NOTE cell: the linger time remaining ("linger 10d05h"), or "borrowed"."""
    if c.linger_s is not None:
        return f"linger {duration(c.linger_s) or '?'}"
    return "borrowed" if c.borrowed else ""


def _seat_lines(f: Feature, width: int, tz: tzinfo | None, show_vendor: bool) -> list[str]:
    summary = f"{f.seats_listed} seat(s) held"
    if f.queued:
        summary += f", {f.queued_count} queued"
    title = f"{f.name} ({f.vendor})" if show_vendor else f.name
    lines = _wrap(f"{_clean(title)}: {summary}", width, indent="  ", subsequent="    ",
                  whole_words=True)
    rows = [[_clean(c.user), _clean(c.host), _clean(c.display), _local(c.start, tz),
             str(c.count), _seat_note(c)] for c in f.checkouts]
    rows += [[_clean(q.user), _clean(q.host), _clean(q.display), "queued", str(q.count), ""]
             for q in f.queued]
    if rows:
        lines += _table(_SEAT_COLS, rows, width, indent=4)
    if f.reservations:
        lines += _wrap_items("reserved: ", (_clean(f"{r.count} {r.kind} {r.name}")
                                            for r in f.reservations),
                             width, indent="    ", subsequent="      ")
    return lines


def _server_lines(s: ServerStatus, width: int, tz: tzinfo | None, seats: bool) -> list[str]:
    # The status comes right after the name so that a long source never hides it.
    head = [_clean(s.name), Status(s.status).value.upper()]
    if s.source and s.source != s.name:
        head.append(", ".join(_clean(s.source).split(",")))  # a triad wraps between hosts
    if s.reported_at is not None:
        head.append(_glue(f"(status of {_local(s.reported_at, tz)})"))
    lines = _unglue(_wrap("  ".join(head), width, indent="", subsequent="    ",
                          whole_words=True))
    if s.status != Status.UP or s.error:
        msg = f"*** {Status(s.status).value.upper()}: {_clean(s.error or 'no reason given')}"
        if s.error_code:
            msg += f" [{_clean(s.error_code)}]"
        lines += _wrap(msg, width, indent="  ", subsequent="      ")
    if s.hosts:
        lines += _wrap_items("hosts: ", (_host_text(h) for h in s.hosts), width)
    if s.vendors:
        lines += _wrap_items("vendors: ", (_vendor_text(v) for v in s.vendors), width)
    if s.features:
        lines.append("")
        lines += _feature_table(s, width)
        if seats:
            # a name served by two daemons is told apart by its vendor
            vendors_of = Counter(name for name, _ in {(f.name, f.vendor) for f in s.features})
            for f in s.features:
                if f.checkouts or f.queued or f.reservations:
                    lines.append("")
                    lines += _seat_lines(f, width, tz, vendors_of[f.name] > 1)
    elif s.status == Status.UP:
        lines.append("  (no features reported)")
    return lines


def render_table(snapshot: Snapshot, *, width: int | None = 80, tz: tzinfo | None = None,
                 seats: bool = False) -> str:
    """Human-readable text for a terminal `width` columns wide (meant for 80 and wider; None:
    no limit, for a pipe or a file). Lines fit the width, except that names (features,
    vendors, users, hosts, displays) are never cut: one too long for its column is written
    in full on a line of its own. Times are shown in `tz` (default: the local zone); `seats`
    adds who holds each feature."""
    width = NO_WIDTH_LIMIT if width is None else max(width, 1)
    lines = [fit(f"lmconsole snapshot {_local(snapshot.taken_at, tz)}"
                  f"  ({len(snapshot.servers)} server(s))", width)]
    for server in snapshot.servers:
        lines.append("")
        lines += _server_lines(server, width, tz, seats)
    if snapshot.diagnostics:
        n = len(snapshot.diagnostics)
        lines.append("")
        lines += _wrap(f"{n} line(s) of the status output were not understood; "
                       "see --format json for the diagnostics.", width, indent="")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------- CSV

# Columns are added at the end, never renamed or moved.
FEATURE_CSV_HEADER = ("server", "feature", "vendor", "issued", "in_use", "reserved",
                      "borrowed", "queued", "uncounted", "expiry", "error", "error_code",
                      "manager")
SEAT_CSV_HEADER = ("server", "feature", "user", "host", "display", "version", "server_host",
                   "port", "handle", "start", "count", "borrowed", "linger_s", "vendor",
                   "manager")


def _bool(value: bool) -> str:
    return "true" if value else "false"


# Rows of cells as the csv module writes them: None as an empty cell, numbers by str(); the
# booleans, which it would write True and False, made "true" and "false" here.

def _feature_rows(snapshot: Snapshot) -> Iterable[tuple[object, ...]]:
    for s in snapshot.servers:
        for f in s.features:
            yield (s.name, f.name, f.vendor, None if f.uncounted else f.issued, f.in_use,
                   f.reserved, f.borrowed, f.queued_count, _bool(f.uncounted),
                   _day(f.earliest_expiry), f.error, f.error_code, s.manager)


def _seat_rows(snapshot: Snapshot) -> Iterable[tuple[object, ...]]:
    for s in snapshot.servers:
        for f in s.features:
            yield from [(s.name, f.name, user, host, display, version, server, port, handle,
                         _utc(start), count, "true" if borrowed else "false", linger_s,
                         f.vendor, s.manager)
                        for (user, host, display, version, _pool, server, port, handle, start,
                             count, borrowed, linger_s, _total, _pid, _extra) in f.checkouts]


def render_csv(snapshot: Snapshot, *, rows: str = "features") -> str:
    """CSV with a header row: one row per feature (`rows="features"`) or per checkout
    (`rows="seats"`). Empty cell for a missing value; booleans as true/false."""
    if rows == "features":
        header, data = FEATURE_CSV_HEADER, _feature_rows(snapshot)
    elif rows == "seats":
        header, data = SEAT_CSV_HEADER, _seat_rows(snapshot)
    else:
        raise ValueError(f"rows must be 'features' or 'seats', not {rows!r}")
    import csv  # here, as io: only this format needs them
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(data)
    return buf.getvalue()


# ------------------------------------------------------------------------------------ registry

FORMATS: dict[str, Callable[..., str]] = {
    "json": render_json,
    "table": render_table,
    "csv": render_csv,
    "prometheus": render_prometheus,
}
"""`--format` name -> renderer. Each takes the Snapshot (plus its own keyword options) and
returns the whole text, ending in a newline: write it with `sys.stdout.write`."""
