"""Simulated time: a manual clock for tests and a scaled clock (N times real time) for the
demo and the executable. Both count whole seconds since the Unix epoch, in UTC."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime


def to_epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("simulated time must be timezone-aware")
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(slots=True)
class ManualClock:
    """Moves only when told to."""

    now_s: int

    @classmethod
    def at(cls, moment: datetime) -> ManualClock:
        return cls(to_epoch(moment))

    def now(self) -> int:
        return self.now_s

    def advance(self, seconds: float) -> int:
        self.now_s += int(seconds)
        return self.now_s

    def set(self, seconds: int) -> None:
        self.now_s = max(self.now_s, seconds)

    def to_dict(self) -> dict:
        return {"kind": "manual", "now": self.now_s}


@dataclass(slots=True)
class ScaledClock:
    """Simulated time runs `speed` times faster than the wall clock from an anchor."""

    sim_anchor: int  # simulated epoch seconds at the anchor
    speed: float = 1.0
    real_anchor: float = field(default_factory=time.time)

    @classmethod
    def at(cls, moment: datetime, speed: float = 60.0) -> ScaledClock:
        """Simulated time is `moment` now, and runs on at `speed`."""
        return cls(to_epoch(moment), speed)

    def now(self) -> int:
        return self.sim_anchor + int((time.time() - self.real_anchor) * self.speed)

    def set(self, seconds: int) -> None:
        """Re-anchor so that simulated time is now `seconds` (never backwards)."""
        self.sim_anchor, self.real_anchor = max(self.now(), seconds), time.time()

    def to_dict(self) -> dict:
        return {"kind": "scaled", "sim_anchor": self.sim_anchor, "speed": self.speed,
                "real_anchor": self.real_anchor}


Clock = ManualClock | ScaledClock


def clock_from_dict(data: dict) -> Clock:
    if data["kind"] == "manual":
        return ManualClock(data["now"])
    return ScaledClock(data["sim_anchor"], data["speed"], data["real_anchor"])
