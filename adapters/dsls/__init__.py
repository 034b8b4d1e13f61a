"""Dassault Systèmes DS License Server (DSLS): licence usage by `DSLicSrv -admin`.

The status is the CSV of `getLicenseUsage -all -csv`, run through the License
Administration Tool (`DSLicSrv -admin -run "connect HOST PORT; ..."`); a saved output of
`dslsstat -usage` reads too. DSLS has no command line to free one session's licence or to
re-read a file: those actions are refused with the reason. Not yet: its logs, licence files
and authorisation rules; the configuration check refuses the settings that would lead there
(config_problems). A simulated server (sim/) serves the demo and servers configured with
transport = "sim".
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport
from lmconsole.model import Checkout, Diagnostic, ServerStatus

from ..status_only import StatusOnlyAdapter

# The configuration's default utility is FlexLM's: a DSLS server that names none gets this.
DEFAULT_UTILITY = "DSLicSrv"
_NOT_YET = {"options_file": "it has no options file (its authorisation rules live in the "
                            "server)",
            "options_files": "it has no options file (its authorisation rules live in the "
                             "server)",
            "license_file": "its licences are enrolled in the server, not read from a file",
            "debug_log": "its logs are not read yet",
            "debug_logs": "its logs are not read yet"}
_PORT_AT_HOST = re.compile(r"(?P<port>[0-9]{1,5})@(?P<host>[^\s,@;]+)")


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of a DSLS usage output is (its offset), or None."""
    from .signature import first_sign

    return first_sign(text)


class DslsAdapter(StatusOnlyAdapter):
    default_utility = DEFAULT_UTILITY
    label = "DSLS"
    kind = "dsls"
    output_name = "admin getLicenseUsage"
    frees_seats = False  # the seats view offers no "free seat" key on a DSLS server
    status_command = 'DSLicSrv -admin -run "connect HOST PORT; getLicenseUsage -all -csv"'

    def status_argv(self, server: StatusQuery) -> list[str]:
        host, port = _host_port(server.license)
        return [_utility(server), "-admin", "-run",
                f"connect {host} {port}; getLicenseUsage -all -csv; quit"]

    def config_problems(self, settings) -> list[tuple[str, str]]:
        problems = [(key, f"not for a DSLS server: {reason}; remove this key")
                    for key, reason in _NOT_YET.items() if key in settings]
        licence = settings.get("license")
        if isinstance(licence, str) and _PORT_AT_HOST.fullmatch(licence.strip()) is None:
            problems.append(("license", 'a DSLS server is named "port@host" (its '
                                        'administration port, 4085 by default)'))
        return problems

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .usage import parse_dsls

        return parse_dsls(text, name=name, tz=tz, now=now)

    def remove_argv(self, server: StatusQuery, status: ServerStatus | None, feature: str,
                    seat: Checkout) -> list[str]:
        raise ValueError(f"{server.name}: DSLS has no command to free one session's licence; "
                         "the License Administration Tool's window can")

    def reread_argv(self, server: StatusQuery) -> list[str]:
        raise ValueError(f"{server.name}: a DSLS server has no files to re-read")

    def event_reader(self, *, tz: tzinfo, server: str, start_date: date | None = None):
        raise NotImplementedError("DSLS logs are not read yet")

    def parse_log(self, text: str, *, tz: tzinfo):
        return [], [Diagnostic(1, "DSLS logs are not read yet", text[:200])]

    def denial_words(self, code: str | None, reason: str | None) -> str:
        return reason or (f"denied (DSLS {code})" if code else "denied")

    def simulator(self):
        from .sim.service import DslsSimulator

        return DslsSimulator()


def _utility(server: StatusQuery) -> str:
    return DEFAULT_UTILITY if server.lmutil == "lmutil" else server.lmutil


def _host_port(licence: str | None) -> tuple[str, int]:
    """The host and port of "port@host"; localhost and DSLS's default port otherwise (the
    configuration check refuses any other form)."""
    from .usage import DEFAULT_PORT

    match = _PORT_AT_HOST.fullmatch((licence or "").strip())
    if match is None:
        return "localhost", DEFAULT_PORT
    return match["host"], int(match["port"])
