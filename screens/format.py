"""How values are written in the console: durations, ages, times, shares and bars."""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.units import duration

__all__ = ["bar", "day_time", "duration", "event_time", "percent", "percent_text",
           "short_age", "short_host"]

BAR_BLOCKS = " ▏▎▍▌▋▊▉█"


def short_age(seconds: float | None) -> str:
    """One unit, for tight places such as the header: 40s, 2m, 3h, 2d."""
    if seconds is None:
        return "?"
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def day_time(moment: datetime | None, tz: tzinfo) -> str:
    """Month-day and minutes, in the viewer's zone: 03-09 09:12."""
    return "" if moment is None else moment.astimezone(tz).strftime("%m-%d %H:%M")


def event_time(moment: datetime, now: datetime, tz: tzinfo) -> str:
    """To the second on the day it is now (10:35:07), else with the day (03-02 09:51)."""
    local = moment.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%m-%d %H:%M")


def percent(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return 100.0 * part / whole


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def bar(value: float | None, width: int = 10) -> str:
    """A horizontal bar of `value` percent, drawn with eighth blocks."""
    if value is None:
        return ""
    eighths = round(max(0.0, min(100.0, value)) / 100 * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (BAR_BLOCKS[part] if part else "")
    return text.ljust(width)


def short_host(host: str) -> str:
    """lic1.eng.example.com -> lic1; an IP address stays whole."""
    head = host.split(".")[0]
    return host if head.isdigit() else head


class AtLeast(int):
    """A count that may be short (debug-log lines were lost or are not being read): shown
    as ≥N, sorted as N."""

    def __str__(self) -> str:
        return f"≥{int(self)}"


def denied_cell(count: int, incomplete: bool) -> int | None:
    """A Denied 1h cell: blank for none, ≥N when the count may be short."""
    if incomplete:
        return AtLeast(count)
    return count or None
