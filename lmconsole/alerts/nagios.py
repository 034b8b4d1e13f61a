"""What a monitoring system reads of the alerts firing: Nagios's exit codes (also those of
Icinga, and of Zabbix's and cron's wrappers) and one status line with performance data.

2 CRITICAL when a critical alert fires; else 3 UNKNOWN when a server could not be read and
no rule speaks for it (nothing is known of it); else 1 WARNING when a warning fires; else
0 OK. No Textual here.
"""

from __future__ import annotations

from collections.abc import Sequence

from .engine import Alert
from .rules import CRITICAL, WARNING

OK, WARNING_EXIT, CRITICAL_EXIT, UNKNOWN = 0, 1, 2, 3
STATES = {OK: "OK", WARNING_EXIT: "WARNING", CRITICAL_EXIT: "CRITICAL", UNKNOWN: "UNKNOWN"}
SHOWN = 3  # alerts named on the status line; the rest are counted


def unknown_servers(alerts: Sequence[Alert], not_read: Sequence[str]) -> list[str]:
    """The servers not read that no firing server_down alert speaks for."""
    spoken_for = {a.labels.get("server") for a in alerts if a.kind == "server_down"}
    return [name for name in not_read if name not in spoken_for]


def exit_code(alerts: Sequence[Alert], unknown: Sequence[str]) -> int:
    severities = {alert.severity for alert in alerts}
    if CRITICAL in severities:
        return CRITICAL_EXIT
    if unknown:
        return UNKNOWN
    return WARNING_EXIT if WARNING in severities else OK


def status_line(alerts: Sequence[Alert], unknown: Sequence[str], servers: int) -> str:
    """`LMCONSOLE CRITICAL - 1 critical, 2 warning: msg; msg; msg | critical=1 ...`"""
    state = STATES[exit_code(alerts, unknown)]
    critical = sum(1 for a in alerts if a.severity == CRITICAL)
    warning = len(alerts) - critical
    parts = [a.message for a in alerts[:SHOWN]]
    if len(alerts) > SHOWN:
        parts.append(f"and {len(alerts) - SHOWN} more")
    if unknown:
        parts.append(f"not read: {', '.join(unknown)}")
    text = f"{critical} critical, {warning} warning" + (f": {'; '.join(parts)}" if parts else
                                                       f" on {servers} servers")
    return (f"LMCONSOLE {state} - {text.replace('|', '/')} | critical={critical} "
            f"warning={warning} unknown={len(unknown)} servers={servers}")
