"""`T`: the console as it was at a past minute. A line asks for the moment; every view then
shows the servers as the history has them then (who held which seat, what was reserved,
the hour's denials) until `T` again with `live`.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Input

LIVE_WORDS = frozenset({"live", "now"})
RELATIVE = re.compile(r"-\s*(\d{1,6})\s*(m|min|h|d)", re.IGNORECASE)
UNIT_S = {"m": 60, "min": 60, "h": 3600, "d": 86_400}


class PastDialog(ModalScreen[str | None]):
    """The moment to show: Enter takes it, Esc leaves the view as it is."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="past.cancel"),
    ]
    DEFAULT_CSS = """
    PastDialog { align: center bottom; }
    PastDialog > Input { dock: bottom; margin-bottom: 1; }
    """

    def __init__(self, shown: str) -> None:
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        yield Input(placeholder=f"as of when? 2026-03-04 09:12, 09:12, -2h, -30m, or live "
                                f"(now: {self.shown})", id="moment")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def parse_moment(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """The moment `text` names on the reader's clock (`tz`), judged from `now`: a date and
    time, a time today, or a time back from now (-2h, -30m, -1d); None for live. ValueError
    when it is none of these, or is not in the past."""
    text = text.strip()
    if text.lower() in LIVE_WORDS or not text:
        return None
    relative = RELATIVE.fullmatch(text)
    if relative:
        moment = now - timedelta(seconds=int(relative[1]) * UNIT_S[relative[2].lower()])
    else:
        moment = _absolute(text, now.astimezone(tz), tz)
    if moment > now:
        raise ValueError(f"{text!r} is not in the past")
    return moment.replace(second=0, microsecond=0)


def _absolute(text: str, local_now: datetime, tz: tzinfo) -> datetime:
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        clock = None
    if clock is not None:
        return datetime.combine(local_now.date(), clock, tz)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r}: expected a time such as 2026-03-04 09:12, 09:12, -2h "
                         f"or live") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
