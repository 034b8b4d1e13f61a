"""The usage a headless check replays: a saved lmstat output and a vendor daemon's debug log.

Each must hold what it claims to. An empty file, or one in which nothing reads as an lmstat
output or as a checkout, check-in or denial, is an InputError (exit 2): a capture that failed
must never pass a CI gate as "nobody affected". No Textual here.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.adapter import LicenceManagerAdapter, StatusReport
from lmconsole.inputs import InputError, read_text_input
from lmconsole.model import Event
from lmconsole.snapshot import check_report, read_input

NOTHING_TO_REPLAY = ("nothing to replay: give --lmstat FILE (the seats held now, a saved "
                     "`lmutil lmstat -a`) and/or --debug-log FILE (the vendor daemon's debug "
                     "log); without them every draft looks harmless")


def read_lmstat(path: str, adapter: LicenceManagerAdapter, *, tz: tzinfo,
                now: datetime) -> StatusReport:
    """The parsed lmstat output at `path` (`-`: standard input)."""
    text, label = read_input(path)
    report = adapter.parse_status(text, name=None, tz=tz, now=now)
    check_report(report, label)
    return report


def read_debuglog(path: str, adapter: LicenceManagerAdapter, *, tz: tzinfo) -> list[Event]:
    """The events of the debug log at `path`; at least one checkout, check-in or denial."""
    text, label = read_text_input(path, "a debug log")
    if not text.strip():
        raise InputError(f"{label}: empty file, expected a vendor daemon's debug log")
    events = adapter.parse_log(text, tz=tz)[0]
    if not any(event.feature for event in events):
        raise InputError(f"{label}: no checkout, check-in or denial in it (lines such as "
                         "`9:12:04 (MLM) OUT: \"MATLAB\" jdoe@host1`): not a debug log, or "
                         "one of a quiet spell; give the log of a period with usage")
    return events
