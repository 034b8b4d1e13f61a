"""X-Formation LM-X: `lmxendutil -licstatxml` (or `-licstat`) parser, its server log, and a
simulated LM-X server.

The server's `debug_log` setting names the LM-X licence server's log file (LOG_FILE in
lmx-serv.cfg): its checkouts, check-ins and denials are followed live and imported.
LM-X keeps its settings in lmx-serv.cfg and its web UI, not in FlexLM-style options files,
and lmxendutil has no re-read: neither editing nor re-reading is offered; seats are not
freed from here either (lmxendutil's user removal needs the server's admin password and a
syntax that differs between versions). The configuration check refuses the settings that
would lead there (config_problems).
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from lmconsole.adapter import (
    StatusQuery,
    StatusReport,
    redundant_servers_problems,
)
from lmconsole.model import Checkout, ServerStatus

from ..files_not_edited import FilesNotEdited

# The configuration's default utility is FlexLM's: an LM-X server that names none gets this.
DEFAULT_UTILITY = "lmxendutil"
DEFAULT_PORT = 6200
# Settings of a configured server that this adapter cannot serve, and why.
_NOT_HERE = {"options_file": "LM-X has no options files (its settings are in lmx-serv.cfg)",
             "options_files": "LM-X has no options files (its settings are in lmx-serv.cfg)",
             "license_file": "its licence files are not read"}


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of an lmxendutil output is (its offset), or None."""
    from .signature import first_sign

    return first_sign(text)


class LmxAdapter(FilesNotEdited):
    kind = "lmx"
    label = "LM-X"
    output_name = "lmxendutil"
    status_command = "lmxendutil -licstatxml"
    frees_seats = False  # the seats view hides its "free seat" key on an LM-X server

    def status_argv(self, server: StatusQuery) -> list[str]:
        """`lmxendutil -licstatxml -host H -port P` (several servers: `-hal S1,S2,S3`),
        `-vendor V` when the server's vendor is configured."""
        argv = [_utility(server), "-licstatxml"]
        specs = _specs(server.license)
        if len(specs) == 1:
            host, port = specs[0]
            argv += ["-host", host, "-port", str(port)]
        elif specs:
            argv += ["-hal", ",".join(f"{port}@{host}" for host, port in specs)]
        vendor = getattr(server, "vendor", None)
        return argv + (["-vendor", vendor] if vendor else [])

    def config_problems(self, settings) -> list[tuple[str, str]]:
        return [(key, f"not for an LM-X server: {reason}; remove this key")
                for key, reason in _NOT_HERE.items() if key in settings
                ] + redundant_servers_problems(settings)

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .licstat import parse_licstat
        from .licstat_xml import looks_like_xml, parse_licstat_xml

        parse = parse_licstat_xml if looks_like_xml(text) else parse_licstat
        return parse(text, name=name, tz=tz, now=now)

    def remove_argv(self, server: StatusQuery, status: ServerStatus | None, feature: str,
                    seat: Checkout) -> list[str]:
        raise ValueError(f"{server.name}: lmconsole does not free LM-X seats; use the LM-X "
                         "License Server's web UI (Usage page) to remove a user")

    def reread_argv(self, server: StatusQuery) -> list[str]:
        raise ValueError(f"{server.name}: LM-X has no re-read command; restart the licence "
                         "server to apply a changed lmx-serv.cfg")

    def restart_argvs(self, server: StatusQuery, *, force: bool = False) -> list[list[str]]:
        """Only by the configured stop and start commands: lmxendutil cannot stop a server."""
        start = getattr(server, "start_command", None)
        stop = getattr(server, "stop_command", None)
        if not (start and stop):
            raise ValueError(f"{server.name}: restarting an LM-X server needs its "
                             "stop_command and start_command in the configuration")
        return [list(stop), list(start)]

    def event_reader(self, *, tz: tzinfo, server: str, start_date: date | None = None):
        """A reader of the LM-X licence server's log (the server's `debug_log` setting)."""
        from .serverlog import ServerLogReader

        return ServerLogReader(tz=tz, server=server, start_date=start_date)

    def parse_log(self, text: str, *, tz: tzinfo):
        from .serverlog import parse_serverlog

        return parse_serverlog(text, tz=tz)

    def denial_words(self, code: str | None, reason: str | None) -> str:
        """LM-X's log says why in words; a code alone is LM-X's status number."""
        if reason:
            return reason
        return f"denied (LM-X status {code})" if code else "denied"

    def simulator(self):
        from .sim.service import LmxSimulator

        return LmxSimulator()


def _utility(server: StatusQuery) -> str:
    return DEFAULT_UTILITY if server.lmutil == "lmutil" else server.lmutil


def _specs(license: str | None) -> list[tuple[str, int]]:
    """(host, port) of each `port@host` (or a bare host: port 6200) of the configured
    licence path, separated by commas, semicolons or colons."""
    specs = []
    for part in re.split(r"[,;:]", license or ""):
        port, at, host = part.strip().partition("@")
        if not at:
            host, port = port, str(DEFAULT_PORT)
        if host and port.isascii() and port.isdigit() and int(port) <= 65535:
            specs.append((host, int(port)))
    return specs
