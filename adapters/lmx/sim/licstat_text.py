"""What `lmxendutil -licstat` and `-licstatxml` print for the simulated server, laid out as
the real utility does (shared/reference/formats.md section 7): the banner, one block for the
server, a dashed section per feature with its users."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

BANNER = ("LM-X End-user Utility v4.9.3\n"
          "Copyright (C) 2002-2018 X-Formation. All rights reserved.\n\n")
DASHES = "-" * 40


def licstat_text(server, spec: str) -> str:
    """`lmxendutil -licstat` of `server` (an LmxServer), which answers as `spec`."""
    scenario = server.scenario
    lines = ["+" * 40, f"LM-X License Server on {spec}:", "",
             f"Server version: {scenario.server_version} "
             f"Uptime: {server.uptime()}"]
    for feature in scenario.features:
        sessions = _sessions(server, feature)
        lines += [DASHES, f"Feature: {feature.name} Version: {feature.version} Vendor: "
                          f"{scenario.vendor}",
                  f"Start date: {_day(feature.starts)} Expire date: {_day(feature.expires)}",
                  f"Key type: {feature.key_type} License sharing: {feature.sharing}", "",
                  f"{_used(server, feature)} of {feature.count} license(s) used"
                  + (":" if sessions else "")]
        for session in sessions:
            lines += ["", f"{session.count} license(s) used by {session.user}@{session.host} "
                          f"[{session.ip}]"]
            if session.borrow_until_s is not None:
                lines.append(f"    Borrow expire time: {_time(server, session.borrow_until_s)}")
                continue
            lines.append(f"    Login time: {_time(server, session.login_s)}   "
                         f"Checkout time: {_time(server, session.start_s)} ")
            if session.share:
                lines.append("    " + "   ".join(f"Shared on {part}"
                                                 for part in session.share.split(", ")) + " ")
    return BANNER + "\n".join(lines) + "\n"


def licstat_xml(server, spec: str) -> str:
    """`lmxendutil -licstatxml` of `server`: the same, with each feature's denied count."""
    scenario = server.scenario
    out = ['<?xml version="1.0" encoding="UTF-8" ?>', "<LM-X>",
           f'  <LICENSE_PATH TYPE="NETWORK" HOST={quoteattr(spec)} '
           f'SERVER_VERSION="{scenario.server_version.lstrip("v")}" '
           f'UPTIME="{server.uptime()}" STATUS="SUCCESS">']
    for feature in scenario.features:
        share = " ,".join(feature.sharing.split())
        out.append(f"    <FEATURE NAME={quoteattr(feature.name)} VERSION="
                   f"{quoteattr(feature.version)} VENDOR={quoteattr(scenario.vendor)} "
                   f'START="{_day(feature.starts)}" END="{_day(feature.expires)}" '
                   f'USED_LICENSES="{_used(server, feature)}" '
                   f'TOTAL_LICENSES="{feature.count}" '
                   f'DENIED_LICENSES="{server.denied[feature.name]}" SHARE="{share}">')
        for session in _sessions(server, feature):
            attributes = (f"NAME={quoteattr(session.user)} HOST={quoteattr(session.host)} "
                          f'IP="{session.ip}" USED_LICENSES="{session.count}"')
            if session.borrow_until_s is not None:
                attributes += f' BORROW_EXPIRE_TIME="{_time(server, session.borrow_until_s)}"'
            else:
                attributes += (f' LOGIN_TIME="{_time(server, session.login_s)}" '
                               f'CHECKOUT_TIME="{_time(server, session.start_s)}"')
            for part in (session.share or "").split(", "):
                key, _, value = part.partition(": ")
                if value:
                    name = "CUSTOM" if key == "custom string" else key.upper()
                    attributes += f" SHARE_{name}={quoteattr(value)}"
            out.append(f"      <USER {attributes}/>")
        out.append("    </FEATURE>")
    out += ["  </LICENSE_PATH>", "</LM-X>"]
    return BANNER + "\n".join(out) + "\n"


def _sessions(server, feature) -> list:
    return [s for s in server.sessions if s.feature is feature]


def _used(server, feature) -> int:
    return server.seats_used(feature)


def _day(day) -> str:
    return "NONE" if day is None else f"{day:%Y-%m-%d}"


def _time(server, moment: int) -> str:
    local = datetime.fromtimestamp(moment, UTC).astimezone(server.scenario.zone)
    return f"{local:%Y-%m-%d %H:%M}"
