"""Why what a view shows may be old or incomplete, in words: a server that fails to answer
(and since when, and when it is tried again), a debug log that is not being read, and the
periods whose log lines were lost. The header says it in a few words; every view says it
in full on its problem lines, for as long as it holds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from lmconsole.monitor import LogGap, ServerState

from .format import event_time, short_age
from .live import LiveData

GAPS_SHOWN = 3  # per server, the newest
HEADER_REASON_WIDTH = 36

Monotonic = Callable[[], float]


def retry_text(state: ServerState, monotonic: Monotonic = time.monotonic) -> str:
    """"reconnecting in 12 s" while a failed server waits for its next try, else ""."""
    if state.error is None or state.retry_at is None:
        return ""
    left = state.retry_at - monotonic()
    return f"reconnecting in {left:.0f} s" if left >= 0.5 else "reconnecting now"


def short_reason(text: str, width: int = HEADER_REASON_WIDTH) -> str:
    """The gist of an error for the header: its first line, cut to `width`."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= width else first[:width - 1] + "…"


def server_problem(state: ServerState, data: LiveData,
                   monotonic: Monotonic = time.monotonic) -> str | None:
    """What is wrong with the server's status, in full; None when nothing is."""
    if state.error is None:
        return None
    if state.status is None:
        word = "unreachable, no data yet"
    elif state.stale:
        age = short_age(data.age_s(state))
        word = f"stale: the figures shown are {age} old"
    else:
        word = state.status.status.value
    retry = retry_text(state, monotonic)
    return f"{state.name} {word}: {state.error}" + (f" ({retry})" if retry else "")


def follow_problem(server: str, data: LiveData) -> str | None:
    error = data.follow_errors.get(server)
    if error is None:
        return None
    since = data.follow_down_since.get(server)
    when = f" since {event_time(since, data.now(server), data.display_tz)}" if since else ""
    return f"{server} {data.not_read_word(server)}{when}: {error}"


def gap_text(gap: LogGap, data: LiveData) -> str:
    now = data.now(gap.server)
    return (f"{gap.server} events lost {event_time(gap.since, now, data.display_tz)}–"
            f"{event_time(gap.until, now, data.display_tz)}: {gap.reason}")


def problem_lines(data: LiveData, servers: Iterable[str], *, events: bool,
                  monotonic: Monotonic = time.monotonic) -> list[str]:
    """The problems of `servers`; with `events`, those of their debug logs too (the views
    that show events and denials)."""
    lines = []
    for name in servers:
        state = data.states.get(name)
        problem = server_problem(state, data, monotonic) if state is not None else None
        if problem:
            lines.append(problem)
        if events:
            follow = follow_problem(name, data)
            if follow:
                lines.append(follow)
            gaps = [gap for gap in data.gaps if gap.server == name][-GAPS_SHOWN:]
            lines += [gap_text(gap, data) for gap in gaps]
    return lines
