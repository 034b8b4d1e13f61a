"""How durations are written for people, in the table output and the console alike."""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """A coarse duration, two units at most: 45s, 12m, 2h 13m, 3d 4h."""
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if hours == 0:
        return f"{minutes}m"
    if days == 0:
        return f"{hours}h {minutes % 60}m" if minutes % 60 else f"{hours}h"
    return f"{days}d {hours % 24}h" if hours % 24 else f"{days}d"
