"""BETA LM (BETA CAE Systems, the licence server of ANSA and META): `beta_lm_stat -a`
status, nothing more yet.

beta_lm_stat finds its servers in the ANSA_SRV environment variable (host names, tried in
turn on BETA LM's port 6007), so the server's `license` setting, `6007@host` or a triad of
them, is passed there through `env`, as hosts (a port other than 6007 kept as `port@host`).
BETA LM has no command lmconsole offers here to free a seat or to re-read its files.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport

from ..status_only import StatusOnlyAdapter

_SIGNS = ("beta_lm_stat", "Found License daemon on ", "PACKAGE:FEATURE",
          "Usage Report for users:")
_TRYING = re.compile(r"Trying [0-9]+@")
DEFAULT_PORT = "6007"


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of a beta_lm_stat output is (its offset), or None."""
    found = [at for sign in _SIGNS if (at := text.find(sign)) >= 0]
    if (match := _TRYING.search(text)) is not None:
        found.append(match.start())
    return min(found) if found else None


class BetalmAdapter(StatusOnlyAdapter):
    kind = "betalm"
    label = "BETA LM"
    output_name = "beta_lm_stat"
    status_command = "beta_lm_stat -a"
    default_utility = "beta_lm_stat"
    license_lists_any_number = True  # ANSA_SRV: the hosts tried in turn, as many as there are

    def status_argv(self, server: StatusQuery) -> list[str]:
        argv = [self.utility(server), "-a"]
        if not server.license:
            return argv
        return ["env", f"ANSA_SRV={ansa_srv(server.license)}", *argv]

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .lmstat import parse_beta_lm_stat

        return parse_beta_lm_stat(text, name=name, tz=tz)


def ansa_srv(license: str) -> str:
    """`6007@a,6007@b` -> `a,b`: ANSA_SRV's host list, BETA LM's own port left out."""
    hosts = []
    for spec in license.split(","):
        port, at, host = spec.strip().rpartition("@")
        hosts.append(host if not at or port == DEFAULT_PORT else spec.strip())
    return ",".join(hosts)
