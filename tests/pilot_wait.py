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


async def analysed(pilot, editor) -> None:
    """Until the editor shows the analysis of its text as it is now (after a typing pause)."""
    await until(pilot, lambda: editor.analysed_text == editor.area.text,
                "the analysis of the edited text")
