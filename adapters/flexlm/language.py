"""The FlexLM options and licence files as the editor and the safe save see them
(lmconsole.adapter.FileLanguage): checks, refused changes, highlighting, completion, what-if."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from lmconsole.adapter import Completions, Finding, LiveUse, Span
from lmconsole.model import EventKind

from .complete import complete_license, complete_options
from .highlight import license_spans, options_spans
from .license import LicenseFile, parse_license
from .license_edit import restart_reasons, signed_changes
from .options import parse_options
from .validate import validate_options
from .validate_license import validate_license

if TYPE_CHECKING:
    from .whatif import WhatIfReport


@lru_cache(maxsize=4)
def _parsed_options(text: str):
    """The editor checks and highlights the same text one after the other: parse it once."""
    return parse_options(text)


@lru_cache(maxsize=4)
def _parsed_license(text: str) -> LicenseFile:
    """A headless check asks whether it is a licence file, checks it and counts it."""
    return parse_license(text)


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
        report = self.what_if_report(original, draft, live)
        return report.text({"draft": "your draft", "current": "the file as opened"})

    def what_if_report(self, original: str, draft: str, live: LiveUse) -> WhatIfResult:
        from .whatif import what_if

        return WhatIfResult(what_if(parse_options(original), parse_options(draft), seats=live.seats,
                                    requests=live.events, license_file=self.served_license,
                                    capacity=live.capacity))

    def unrecognised(self, text: str) -> str | None:
        return None  # an empty options file is a valid one

    def summary(self, text: str) -> dict:
        return {"directives": len(_parsed_options(text).directives)}


@dataclass(frozen=True, slots=True)
class WhatIfResult:
    """lmconsole.adapter.WhatIf: the replay's report (.whatif), in words or as JSON."""

    report: WhatIfReport

    @property
    def changes_access(self) -> bool:
        return self.report.changes_access

    def text(self, inputs: Mapping[str, str | None]) -> str:
        from .whatif_report import report_text

        return report_text(self.report, inputs)

    def json(self, inputs: Mapping[str, str | None]) -> dict:
        from .whatif_report import report_json

        return report_json(self.report, inputs)


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
        return validate_license(_parsed_license(text), live.today)

    def unrecognised(self, text: str) -> str | None:
        """An empty file (or one of comments only) is no licence file."""
        found = _parsed_license(text)
        if found.servers or found.vendors or found.features or found.packages \
                or found.use_server or found.problems:
            return None
        return ("no SERVER, VENDOR, FEATURE, INCREMENT or PACKAGE line in it: not a licence "
                "file, or an empty copy of one")

    def summary(self, text: str) -> dict:
        return _parsed_license(text).summary()

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

    def what_if_report(self, original: str, draft: str, live: LiveUse) -> None:
        return None
