"""The FlexLM options and licence files as the editor and the safe save see them
(lmconsole.adapter.FileLanguage): checks, refused changes, highlighting, completion, what-if."""

from __future__ import annotations

from functools import lru_cache

from lmconsole.adapter import Completions, Finding, LiveUse, Span
from lmconsole.model import EventKind

from .complete import complete_license, complete_options
from .highlight import license_spans, options_spans
from .license import LicenseFile, parse_license
from .license_edit import restart_reasons, signed_changes
from .options import parse_options
from .validate import validate_options
from .validate_license import validate_license


@lru_cache(maxsize=4)
def _parsed_options(text: str):
    """The editor checks and highlights the same text one after the other: parse it once."""
    return parse_options(text)


class OptionsLanguage:
    kind = "options"
    label = "options file"

    def __init__(self, license_text: str | None = None, vendor: str | None = None) -> None:
        """`vendor`: the daemon whose options file this is; its features are the ones
        checked and completed (None: every daemon's)."""
        self.license_file: LicenseFile | None = (
            parse_license(license_text) if license_text is not None else None)
        self.vendor = vendor
        self.served_license = (self.license_file.of_vendor(vendor)
                               if self.license_file is not None and vendor else
                               self.license_file)

    def check(self, text: str, live: LiveUse) -> list[Finding]:
        return validate_options(_parsed_options(text), self.license_file,
                                live.users | live.hosts, recent_users(live),
                                vendor=self.vendor, served_by=live.served_by)

    def refusals(self, original: str, draft: str) -> list[Finding]:
        return []  # an options file's errors may be saved when forced

    def restart_reasons(self, original: str, draft: str) -> list[str]:
        return []  # lmreread applies all of an options file

    def highlight(self, text: str) -> dict[int, list[Span]]:
        return options_spans(text, _parsed_options(text))

    def complete(self, text: str, row: int, column: int, live: LiveUse) -> Completions:
        return complete_options(text, row, column, live, self.served_license, self.vendor)

    def what_if(self, original: str, draft: str, live: LiveUse) -> str | None:
        from .whatif import what_if
        from .whatif_report import report_text

        report = what_if(parse_options(original), parse_options(draft), seats=live.seats,
                         requests=live.events, license_file=self.served_license,
                         capacity=live.capacity)
        return report_text(report, {"draft": "your draft", "current": "the file as opened"})


def recent_users(live: LiveUse) -> dict[str, set[tuple[str, str | None, str | None]]]:
    """Who used each feature lately, as (user, host, display): holds a seat now, or asked
    for one in the events."""
    users: dict[str, set[tuple[str, str | None, str | None]]] = {}
    for feature, seat in live.seats:
        users.setdefault(feature, set()).add((seat.user, seat.host, seat.display))
    for event in live.events:
        if event.kind in _REQUESTS and event.feature and event.user:
            users.setdefault(event.feature, set()).add((event.user, event.host, None))
    return users


_REQUESTS = (EventKind.OUT, EventKind.DENIED, EventKind.QUEUED)


class LicenseLanguage:
    kind = "license"
    label = "licence file"

    def check(self, text: str, live: LiveUse) -> list[Finding]:
        """Expiry is judged against the server's date (live.today)."""
        return validate_license(parse_license(text), live.today)

    def refusals(self, original: str, draft: str) -> list[Finding]:
        return signed_changes(original, draft)

    def restart_reasons(self, original: str, draft: str) -> list[str]:
        return restart_reasons(original, draft)

    def highlight(self, text: str) -> dict[int, list[Span]]:
        return license_spans(text)

    def complete(self, text: str, row: int, column: int, live: LiveUse) -> Completions:
        return complete_license(text, row, column)

    def what_if(self, original: str, draft: str, live: LiveUse) -> str | None:
        return None
