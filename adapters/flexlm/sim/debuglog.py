"""The combined lmgrd + vendor daemon debug log, in the real line format.

`H:MM:SS (daemon) message`, the time right-aligned to width 8 in the server's local time.
Usage lines keep the real spacing: two spaces after `user@host`, then each parenthesised
detail followed by one space (`OUT: "f" u@h  (3 licenses) `).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from .errors import NOFEATURE, FlexError

FNP_VERSION = "v11.19.6.0 build 314185"
_PLEASE_NOTE = (
    "-----------------------------------------------",
    "  Please Note:",
    "",
    "  This log is intended for debug purposes only.",
    "  In order to capture accurate license",
    "  usage data into an organized repository,",
    "  please enable report logging. Use Flexera's",
    "  software license administration  solution,",
    "  FlexNet Manager, to  readily gain visibility",
    "  into license usage data and to create",
    "  insightful reports on critical information like",
    "  license availability and usage. FlexNet Manager",
    "  can be fully automated to run these reports on",
    "  schedule and can be used to track license",
    "  servers and usage across a heterogeneous",
    "  network of servers including Windows NT, Linux",
    "  and UNIX.",
    "",
    "-----------------------------------------------",
    "",
    "",
)


class DebugLog:
    """The lines written since this object was created (the caller persists them)."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.lines: list[str] = []

    def local(self, t: int) -> datetime:
        return datetime.fromtimestamp(t, self.zone)

    def write(self, t: int, daemon: str, message: str) -> None:
        at = self.local(t)
        self.lines.append(f"{at.hour:>2}:{at.minute:02}:{at.second:02} ({daemon}) {message}")

    def timestamp(self, t: int, daemon: str) -> None:
        self.write(t, daemon, f"TIMESTAMP {date_text(self.local(t))}")


def date_text(moment: datetime) -> str:
    return f"{moment.month}/{moment.day}/{moment.year}"


def usage_line(kind: str, feature: str, user: str, host: str, count: int = 1,
               reason: str | None = None) -> str:
    """OUT, IN, QUEUED and DEQUEUED lines."""
    details = ([f"{count} licenses"] if count > 1 else []) + ([reason] if reason else [])
    return f'{kind}: "{feature}" {user}@{host}  ' + "".join(f"({d}) " for d in details)


def denied_line(feature: str, user: str, host: str, error: FlexError) -> str:
    return f'DENIED: "{feature}" {user}@{host}  ({error.tail})'


def unsupported_line(feature: str, user: str, host: str) -> str:
    # Real lines carry the requested licence key in parentheses (`(00B0 EF6E AFC6 B280 )`);
    # ours is derived from the feature name so that it is stable.
    digits = f"{hash_text(feature):020X}"[-16:]
    key = "".join(f"{digits[i:i + 4]} " for i in range(0, 16, 4))
    return f'UNSUPPORTED: "{feature}" ({key}) {user}@{host}  ({NOFEATURE.tail})'


def hash_text(text: str) -> int:
    """A hash that, unlike hash(), is the same in every process."""
    value = 1469598103934665603
    for ch in text.encode():
        value = ((value ^ ch) * 1099511628211) % (1 << 80)
    return value


def platform(licence_path: str) -> tuple[str, str]:
    """(machine, build) as a Windows or a Linux lmgrd names them, judged by the path."""
    windows = len(licence_path) > 2 and licence_path[1:3] == ":\\"
    return ("IBM PC", "x64_n6") if windows else ("linux", "x64_lsb")


def lmgrd_startup(at: datetime, *, host: str, port: int, licence_path: str, pid: int,
                  peers: list[str], master: str) -> list[str]:
    stamp = at.strftime("%a %b %d %Y %H:%M:%S ") + (at.tzname() or "")
    machine, build = platform(licence_path)
    lines = [*_PLEASE_NOTE,
             f"Server's System Date and Time: {stamp}",
             f"pid {pid}",
             "Detecting other license server manager (lmgrd) processes...",
             "Done rereading",
             (f"FlexNet Licensing ({FNP_VERSION} {build}) started on {host} ({machine}) "
              f"({date_text(at)})"),
             "Copyright (c) 1988-2024 Flexera. All Rights Reserved.",
             "World Wide Web:  http://www.flexerasoftware.com",
             f"License file(s): {licence_path}",
             f"lmgrd tcp-port {port}"]
    lines += [f"Connected to {peer}" for peer in peers]
    if peers:
        lines.append(f"CONNECTED, master is {master}")
    return lines


def vendor_startup(host: str, features: list[str], licence_path: str) -> list[str]:
    """The vendor daemon's own start-up lines: the feature list wraps, TAB-separated."""
    build = platform(licence_path)[1]
    lines = [f"FlexNet Licensing version {FNP_VERSION} {build}",
             f"Server started on {host} for:\t"]
    for i in range(0, len(features), 4):
        lines.append("\t".join(features[i:i + 4]) + "\t")
    lines.append("EXTERNAL FILTERS are OFF")
    return lines
