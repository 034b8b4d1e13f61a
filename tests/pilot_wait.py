"""Bounded waits for Pilot tests whose app reacts to real I/O (sshd, subprocesses)."""

from __future__ import annotations

import time


async def until(pilot, condition, what: str, timeout: float = 15.0) -> None:
    """Let the app run until `condition()` holds; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        await pilot.pause(0.02)
