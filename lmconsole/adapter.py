"""The protocol every licence-manager adapter (FlexLM, later RLM, LM-X, DSLS) implements.

The core knows only this protocol: how to ask a server for its status (an argv for the
server's transport to run) and how to turn the text that came back into the domain model.
Adapters register themselves by name in `lmconsole.adapters.ADAPTERS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Protocol

from lmconsole.model import Checkout, Diagnostic, Event, ServerStatus


@dataclass(frozen=True, slots=True)
class StatusReport:
    """What one status command printed, parsed."""

    servers: tuple[ServerStatus, ...]
    diagnostics: tuple[Diagnostic, ...]
    reported_at: datetime | None  # the time the output itself names, if any
    recognised: bool = True  # False when the text is not this manager's output at all
    truncated_at: int | None = None  # the line where the output stops mid-structure, if it does


class StatusQuery(Protocol):
    """The parts of a server's configuration an adapter needs to build its command."""

    name: str
    lmutil: str
    license: str | None  # "port@host[,port@host...]" or a licence file path


class EventReader(Protocol):
    """Turns a server's log, one line at a time as it is written, into events."""

    def feed(self, line: str) -> Event | None: ...


class LicenceManagerAdapter(Protocol):
    kind: str  # "flexlm", "rlm", ...

    def status_argv(self, server: StatusQuery) -> list[str]:
        """The command that prints the full status of `server`."""
        ...

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        """Parse a status output. Never raises on bad input: what it cannot read becomes a
        Diagnostic. `name` names the server when the output does not; `tz` is the server's
        zone; `now` resolves dates when the output carries none."""
        ...

    def event_reader(self, *, tz: tzinfo, server: str) -> EventReader:
        """A reader for the vendor daemon's debug log of `server`, whose zone is `tz`."""
        ...

    def remove_argv(self, server: StatusQuery, status: ServerStatus | None, feature: str,
                    seat: Checkout) -> list[str]:
        """The command that frees `seat` of `feature` (FlexLM: lmremove)."""
        ...

    def reread_argv(self, server: StatusQuery) -> list[str]:
        """The command that makes the server re-read its options file (FlexLM: lmreread)."""
        ...
