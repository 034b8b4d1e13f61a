"""Sentinel LDK/HASP: the licence manager's own status on port 1947 (the data its Admin
Control Center shows), fetched with curl, nothing more yet.

The Admin Control Center usually answers the licence server itself only (remote access is
off by default), so curl runs where the server's transport runs: on the licence server over
SSH, or here. The server's `license` setting is `PORT@HOST` (default 1947@localhost) and the
utility is curl (`lmutil` names another program that fetches the same URLs). HASP has no
command lmconsole offers here to free a session or to re-read its files.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport

from ..status_only import StatusOnlyAdapter

MARK = "lmconsole-hasp"  # what curl writes after each answer (acc.py reads it)

PORT = 1947
# All features and sessions of every key and vendor, one page of them.
_QUERY = "?haspid=0&featureid=-1&vendorid=0&productid=-1&filterfrom=1&filterto=100000"
_SIGNS = ('"logl"', '"logc"', f"/*{MARK} ")


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of the licence manager's answer is, or None."""
    found = [at for sign in _SIGNS if (at := text.find(sign)) >= 0]
    return min(found) if found else None


def base_url(license: str | None) -> str:
    """`http://HOST:PORT` of a `PORT@HOST` or `HOST` setting (default localhost:1947)."""
    port, at, host = (license or "").rpartition("@")
    if not at:
        host, port = license or "localhost", str(PORT)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host or 'localhost'}:{port or PORT}"


class HaspAdapter(StatusOnlyAdapter):
    kind = "hasp"
    label = "Sentinel HASP"
    output_name = "Sentinel admin data"
    status_command = "curl http://localhost:1947/_int_/tab_feat.html"
    default_utility = "curl"

    def status_argv(self, server: StatusQuery) -> list[str]:
        base = base_url(server.license)
        return [self.utility(server), "-sS", "--max-time", "30",
                "-w", f"\n/*{MARK} %{{http_code}} %{{url_effective}}*/\n",
                f"{base}/_int_/tab_feat.html{_QUERY}", f"{base}/_int_/tab_sessions.html{_QUERY}"]

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .acc import parse_acc

        return parse_acc(text, name=name, tz=tz)
