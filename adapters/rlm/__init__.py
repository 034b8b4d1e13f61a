"""Reprise RLM: `rlmutil rlmstat -a` parser, `rlmremove` and `rlmreread`.

The server's `debug_log` setting names the ISV server's report log (REPORTLOG in its
options file): checkouts, check-ins and true denials, followed live and imported.
Its simulated server (sim/) serves the demo, tests and servers configured with
transport = "sim". Not yet: editing its options and licence files. The members of the
adapter protocol that need them raise NotImplementedError, and the configuration check
refuses the settings that would lead there (config_problems).
"""

from __future__ import annotations

import posixpath
from datetime import date, datetime, tzinfo

from lmconsole.adapter import (
    StatusQuery,
    StatusReport,
    redundant_servers_problems,
)
from lmconsole.model import Checkout, ServerStatus

from ..files_not_edited import FilesNotEdited

# The configuration's default utility is FlexLM's: an RLM server that names none gets this.
DEFAULT_UTILITY = "rlmutil"
# Settings of a configured server that this adapter cannot serve yet, and why.
_NOT_YET = {"options_file": "its options files are not edited yet",
            "options_files": "its options files are not edited yet",
            "license_file": "its licence files are not read yet"}


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of an rlmstat output is (its offset), or None."""
    from .signature import first_sign

    return first_sign(text)


class RlmAdapter(FilesNotEdited):
    kind = "rlm"
    label = "RLM"
    output_name = "rlmstat"
    status_command = "rlmutil rlmstat -a"
    frees_seats = True  # rlmremove

    def status_argv(self, server: StatusQuery) -> list[str]:
        argv = [_utility(server), "rlmstat", "-a"]
        if server.license:
            argv += ["-c", server.license]
        return argv

    def config_problems(self, settings) -> list[tuple[str, str]]:
        return [(key, f"not for an RLM server yet: {reason}; remove this key")
                for key, reason in _NOT_YET.items() if key in settings
                ] + redundant_servers_problems(settings)

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .rlmstat import parse_rlmstat

        return parse_rlmstat(text, name=name, tz=tz, now=now)

    def remove_argv(self, server: StatusQuery, status: ServerStatus | None, feature: str,
                    seat: Checkout) -> list[str]:
        """`rlmremove -q HOST PORT ISV HANDLE`, the host, ISV port and handle (hexadecimal,
        as rlmstat printed it) of the seat's usage line. rlmremove is a program of its own
        beside rlmutil (rlmutil does not run it). ValueError when the seat lacks one."""
        isv = _isv_of(status, feature, seat) or getattr(server, "vendor", None)
        if seat.handle is None or not seat.server or seat.port is None or not isv:
            raise ValueError(f"{server.name}: rlmremove needs the seat's host, port, ISV and "
                             "handle, and rlmstat did not print them all")
        remove = posixpath.join(posixpath.dirname(_utility(server)), "rlmremove")
        return [remove, "-q", seat.server, str(seat.port), isv, format(seat.handle, "x")]

    def reread_argv(self, server: StatusQuery) -> list[str]:
        """`rlmutil rlmreread [-c LICENSE] [ISV]`: the ISV server (every one without a
        configured vendor) re-reads its licence and options files."""
        argv = [_utility(server), "rlmreread"]
        if server.license:
            argv += ["-c", server.license]
        vendor = getattr(server, "vendor", None)
        return argv + ([vendor] if vendor else [])

    def restart_argvs(self, server: StatusQuery, *, force: bool = False) -> list[list[str]]:
        """Only by the configured stop and start commands: rlmdown of an ISV leaves nothing
        here to start it again."""
        start = getattr(server, "start_command", None)
        stop = getattr(server, "stop_command", None)
        if not (start and stop):
            raise ValueError(f"{server.name}: restarting an RLM server needs its "
                             "stop_command and start_command in the configuration")
        return [list(stop), list(start)]

    def event_reader(self, *, tz: tzinfo, server: str, start_date: date | None = None):
        """A reader of the ISV server's report log (the server's `debug_log` setting names
        it): RLM's debug log says too little to follow."""
        from .reportlog import ReportLogReader

        return ReportLogReader(tz=tz, server=server, start_date=start_date)

    def parse_log(self, text: str, *, tz: tzinfo):
        from .reportlog import parse_reportlog

        return parse_reportlog(text, tz=tz)

    def denial_words(self, code: str | None, reason: str | None) -> str:
        """RLM's report log gives a denial's status number only (RLM_EL_...)."""
        return f"denied (RLM status {code})" if code else (reason or "denied")

    def simulator(self):
        from .sim import RlmSimulator

        return RlmSimulator()


def _utility(server: StatusQuery) -> str:
    return DEFAULT_UTILITY if server.lmutil == "lmutil" else server.lmutil


def _isv_of(status: ServerStatus | None, feature: str, seat: Checkout) -> str | None:
    """The ISV serving `feature` whose usage lists `seat` (two ISVs may name a product alike)."""
    for candidate in status.features if status else ():
        if candidate.name == feature and seat in candidate.checkouts:
            return candidate.vendor
    return None
