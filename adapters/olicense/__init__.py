"""OLicense (Optimum GmbH): `olixtool -sv HOST:PORT` status, nothing more yet.

The server's `license` setting is PORT@HOST (as for the other managers) or HOST:PORT, which
olixtool is given as HOST:PORT. OLicense has no command lmconsole offers here to free a seat
or to re-read its files.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport

from ..status_only import StatusOnlyAdapter

_SIGNS = ("OLicense XML Status Application", " FloatsLockedBy:")


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of an olixtool output is (its offset), or None."""
    found = [at for sign in _SIGNS if (at := text.find(sign)) >= 0]
    return min(found) if found else None


class OlicenseAdapter(StatusOnlyAdapter):
    kind = "olicense"
    label = "OLicense"
    output_name = "olixtool"
    status_command = "olixtool -sv"
    default_utility = "olixtool"

    def status_args(self, server: StatusQuery) -> list[str]:
        if not server.license:
            return ["-sv"]
        port, at, host = server.license.partition("@")
        return ["-sv", f"{host}:{port}" if at else server.license]

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .olixtool import parse_olixtool

        return parse_olixtool(text, name=name)
