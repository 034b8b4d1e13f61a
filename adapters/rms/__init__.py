"""Thales (SafeNet) Sentinel RMS: the status by `lsmon HOST`.

lsmon names the server by host only: a server's `license` setting is its "port@host", lsmon
is given the host, and a port other than RMS's 5093 through the LSPORT variable lsmon
reads. The server's `debug_log` setting names its usage log (the file of its `-l` option,
LSERVSTA): its checkouts, check-ins and denials are followed live and imported
(usagelog.py). Sentinel RMS has no command line to free one client's licence or to re-read a
file here: those actions are refused with the reason. Not yet: its licence files; the
configuration check refuses the settings that would lead there (config_problems). A
simulated server (sim/) serves the demo and servers configured with transport = "sim".
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport
from lmconsole.model import Checkout, ServerStatus

from ..status_only import StatusOnlyAdapter

# The configuration's default utility is FlexLM's: an RMS server that names none gets this.
DEFAULT_UTILITY = "lsmon"
DEFAULT_PORT = "5093"
_NOT_YET = {"options_file": "its options files are not edited yet",
            "options_files": "its options files are not edited yet",
            "license_file": "its licence files are not read yet"}


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of an lsmon output is (its offset), or None."""
    from .signature import first_sign

    return first_sign(text)


class RmsAdapter(StatusOnlyAdapter):
    default_utility = DEFAULT_UTILITY
    label = "Sentinel RMS"
    kind = "rms"
    output_name = "lsmon"
    frees_seats = False  # the seats view offers no "free seat" key on a Sentinel RMS server
    status_command = "lsmon HOST"

    def status_argv(self, server: StatusQuery) -> list[str]:
        port, host = _port_host(server.license)
        argv = [_utility(server), host]
        return argv if port in (None, DEFAULT_PORT) else ["env", f"LSPORT={port}", *argv]

    def config_problems(self, settings) -> list[tuple[str, str]]:
        return [(key, f"not for a Sentinel RMS server yet: {reason}; remove this key")
                for key, reason in _NOT_YET.items() if key in settings]

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .lsmon import parse_lsmon

        return parse_lsmon(text, name=name, tz=tz, now=now)

    def remove_argv(self, server: StatusQuery, status: ServerStatus | None, feature: str,
                    seat: Checkout) -> list[str]:
        raise ValueError(f"{server.name}: Sentinel RMS has no command to free one client's "
                         "licence (it returns when the client's heartbeat stops)")

    def reread_argv(self, server: StatusQuery) -> list[str]:
        raise ValueError(f"{server.name}: a Sentinel RMS server is not told to re-read its "
                         "files from here")

    def event_reader(self, *, tz: tzinfo, server: str, start_date: date | None = None):
        """A reader of the server's usage log (its `debug_log` setting)."""
        from .usagelog import UsageLogReader

        return UsageLogReader(tz=tz, server=server, start_date=start_date)

    def parse_log(self, text: str, *, tz: tzinfo):
        from .usagelog import parse_usagelog

        return parse_usagelog(text, tz=tz)

    def denial_words(self, code: str | None, reason: str | None) -> str:
        return reason or (f"denied (Sentinel RMS {code})" if code else "denied")

    def simulator(self):
        from .sim.service import RmsSimulator

        return RmsSimulator()


def _utility(server: StatusQuery) -> str:
    return DEFAULT_UTILITY if server.lmutil == "lmutil" else server.lmutil


def _port_host(licence: str | None) -> tuple[str | None, str]:
    """The port (None: not named) and host of "port@host" (the first of a list)."""
    first = (licence or "").split(",")[0].strip()
    port, _, host = first.rpartition("@")
    return (port or None), (host or "localhost")
