"""What `lsmon HOST` prints for the simulated server, laid out as the real monitor does
(shared/reference/formats.md section 9): the banner, the server contacted, then for each
feature its Feature Information, one License Information and a Client Information block per
client, each field `|- LABEL : VALUE` at its block's indent."""

from __future__ import annotations

from datetime import datetime

from lmconsole.adapters.flexlm.sim.debuglog import hash_text

from ...seat_sim.workload import SimFeature

LSMON_VERSION = "9.1.0.0104"
UNLIMITED = 4_294_967_294  # what RMS prints as the limit of a feature without one
LOCKING_CODE = "2014-*1SIMUL4T3DST4D10"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def lsmon_text(server, host: str) -> str:
    """`lsmon HOST` of `server` (an RmsServer), contacted as `host`."""
    lines = [f"  Sentinel RMS Development Kit {LSMON_VERSION} Application Monitor",
             "  Copyright (C) 2016 SafeNet, Inc.", "",
             f' [Contacting Sentinel RMS Development Kit server on host "{host}"]', "", ""]
    for feature in server.scenario.features:
        lines += _feature(server, feature)
    return "\n".join(lines) + "\n Press Enter to continue . . ."


def _feature(server, feature: SimFeature) -> list[str]:
    limit = UNLIMITED if feature.count is None else feature.count
    expiry = datetime(feature.expires.year, feature.expires.month, feature.expires.day, 23,
                      59, 59)
    started = server.scenario.server_started
    licence = [("License type", '"Normal License" '), ("License Version", "0x08600000"),
               ("Commuter license allowed", "YES"), ("Maximum concurrent user(s)", str(limit)),
               ("Soft limit on users", "Unlimited"),
               ("License start date", ctime(datetime(started.year, 1, 1))),
               ("Expiration date", ctime(expiry)), ("Log encryption level", "2"),
               ("Server #1 locking code", f"Primary   = {LOCKING_CODE} "),
               ("Token lifetime (heartbeat)", "300 secs (5 min(s))")]
    lines = [" |- Feature Information",
             _field(3, "Feature name", f'"{feature.name}"  \t'),
             _field(3, "Feature version", f'"{feature.version}"'), ""]
    lines += [_field(3, label, value) for label, value in licence[:4]]
    lines += [_field(3, "Unreserved tokens in use", str(server.seats_used(feature))),
              _field(3, "Reserved tokens in use", "0"), _field(3, "Available reserved", "0")]
    lines += [_field(3, label, value) for label, value in licence[4:]]
    lines += ["", "   |- License Information",
              _field(5, "License Hash", _hash(feature)),
              _field(5, "License status", "Active")]
    lines += [_field(5, label, value) for label, value in licence]
    for session in server.sessions:
        if session.feature is feature:
            lines += ["", "   |- Client Information",
                      _field(5, "User name", session.user), _field(5, "Host name", session.host),
                      _field(5, "X display name", "local"),
                      _field(5, "Group name", "DefaultGrp"),
                      _field(5, "Status", f"Running since {ctime(server.local(session.start_s))} "),
                      _field(5, "Is commuter token", "YES" if session.offline else "NO")]
    return lines + [""]


def _field(indent: int, label: str, value: str) -> str:
    return f"{' ' * indent}|- {label:<31}: {value}"


def _hash(feature: SimFeature) -> str:
    """A licence hash that stays the same every run (Python's hash() does not)."""
    return f"{hash_text(feature.name + feature.version) % 16**16:016X}"


def ctime(moment: datetime) -> str:
    """`Tue Nov 03 11:34:40 2020`, as lsmon and the usage log print a time (English, whatever
    the locale)."""
    return (f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02} "
            f"{moment:%H:%M:%S} {moment.year}")
