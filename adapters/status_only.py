"""The adapter protocol's members for a licence manager lmconsole reads the status of and
nothing more: no log to follow, no options or licence file to edit, no simulated server,
no command to free a seat or re-read a file (LS-DYNA, OLicense, BETA LM, MathLM, Sentinel
HASP, IBM LUM). Each such adapter names itself and parses its status; the rest is here.

The configuration check refuses the settings that would need the missing parts
(config_problems), so the console never asks for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from lmconsole.adapter import (
    StatusQuery,
    redundant_servers_problems,
)
from lmconsole.model import Checkout, ServerStatus

from .files_not_edited import FilesNotEdited

# Settings of a configured server that a status-only adapter cannot serve, and why.
_NOT_READ = {"options_file": "its options files are not edited",
             "options_files": "its options files are not edited",
             "license_file": "its licence files are not read",
             "debug_log": "its log is not read",
             "debug_logs": "its logs are not read"}


class StatusOnlyAdapter(FilesNotEdited):
    """A licence manager whose status lmconsole reads, and only that. Subclasses set `kind`,
    `label`, `output_name`, `status_command`, `default_utility` and write `status_args` and
    `parse_status`."""

    kind: str
    label: str  # "LS-DYNA": the manager's name in messages
    output_name: str
    status_command: str
    default_utility: str  # the program a server whose configuration names none runs
    frees_seats = False
    license_lists_any_number = False  # True: `license` may join any number of servers by commas

    def utility(self, server: StatusQuery) -> str:
        """The configured utility; FlexLM's default `lmutil` means none was configured."""
        return self.default_utility if server.lmutil == "lmutil" else server.lmutil

    def status_argv(self, server: StatusQuery) -> list[str]:
        return [self.utility(server), *self.status_args(server)]

    def status_args(self, server: StatusQuery) -> list[str]:
        raise NotImplementedError

    def config_problems(self, settings: Mapping[str, object]) -> list[tuple[str, str]]:
        problems = [(key, f"not for a {self.label} server: {reason}; remove this key")
                    for key, reason in _NOT_READ.items() if key in settings]
        if settings.get("transport") == "sim":
            problems.append(("transport", f"there is no simulated {self.label} server: use "
                                          '"local" or "ssh"'))
        if self.license_lists_any_number:
            return problems
        return problems + redundant_servers_problems(settings)

    def event_reader(self, *, tz, server: str, start_date: date | None = None):
        raise NotImplementedError(f"{self.label} logs are not read")

    def parse_log(self, text: str, *, tz):
        raise NotImplementedError(f"{self.label} logs are not read")

    def denial_words(self, code: str | None, reason: str | None) -> str:
        return reason or "denied"

    def remove_argv(self, server: StatusQuery, status: ServerStatus | None, feature: str,
                    seat: Checkout) -> list[str]:
        raise ValueError(f"{server.name}: {self.label} has no command that frees a seat")

    def reread_argv(self, server: StatusQuery) -> list[str]:
        raise ValueError(f"{server.name}: {self.label} has no command that re-reads its files")

    def restart_argvs(self, server: StatusQuery, *, force: bool = False) -> list[list[str]]:
        """Only by the configured stop and start commands."""
        start = getattr(server, "start_command", None)
        stop = getattr(server, "stop_command", None)
        if not (start and stop):
            raise ValueError(f"{server.name}: restarting a {self.label} server needs its "
                             "stop_command and start_command in the configuration")
        return [list(stop), list(start)]

    def simulator(self):
        raise NotImplementedError(f"there is no simulated {self.label} server")
