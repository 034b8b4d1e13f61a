"""What `DSLicSrv -admin -run "connect HOST PORT; getLicenseUsage -all -csv"` prints for the
simulated server, laid out as the real tool does (shared/reference/formats.md section 8):
the tool's banner, the server's description after the `admin >` prompt, then the CSV: a row
per licence nobody uses, else one per session holding it, every row ending in a comma.

The corpus shows no licence held offline. While one is, the header gains an `Offline Until`
column (the name the parser's tests use; the real column's name is not known here), which
only the offline session's row fills.
"""

from __future__ import annotations

from lmconsole.adapters.flexlm.sim.debuglog import hash_text

from ...seat_sim.workload import Session, SimFeature
from .scenario import MODELS

TOOL_VERSION = "6.425.4"
BANNER = (f"License Administration Tool Version {TOOL_VERSION} Built on May 2, 2023, "
          "6:45:36 PM.\n")
EDITOR, EDITOR_ID, CUSTOMER_ID = "Dassault Systemes", "5E756A80", "200004711"
HEADER = ("Editor,EditorId,Feature,Model,Commercial Type,Max Release Number,Max Release Date,"
          "Pricing Structure,Max Casual Duration,Expiration Date,Customer ID,Count,Inuse,"
          "Tokens,Casual Usage (mn),Host,User,Internal ID,Active Process,Client Code Version,"
          "Session ID,Granted Since,Last Used At,Granted At,Queue Position,")
OFFLINE_COLUMN = "Offline Until,"
CLIENT_VERSION = "6.424"
PROCESSES = {"ConcurrentUser": "/catia/B425/linux_a64/code/bin/CNEXT",
             "Token": "/simulia/abaqus/2024/linux_a64/code/bin/standard"}


def cannot_connect(host: str, port: str) -> str:
    return f"{BANNER}Cannot connect to server {host} on port {port}\n"


def usage_text(server) -> str:
    """getLicenseUsage's CSV of `server` (a DslsServer)."""
    scenario = server.scenario
    offline = any(s.offline for s in server.sessions)
    server_id = f"DSL-{hash_text(scenario.host) % 1000:03}"
    lines = [f"admin >\tSoftware version: {TOOL_VERSION}",
             "    Build date: May 2, 2023, 6:45:36 PM", "    Standalone mode", "    Ready: yes",
             f"    Server name: {scenario.host}   Server id: {server_id}",
             HEADER + (OFFLINE_COLUMN if offline else "")]
    for feature in scenario.features:
        licence = _licence(server, feature)
        sessions = [s for s in server.sessions if s.feature is feature]
        if not sessions:
            lines.append(licence)
        lines += [licence + _session(server, s, offline) for s in sessions]
    return BANNER + "\n".join(lines) + "\n"


def _licence(server, feature: SimFeature) -> str:
    expiry = f"{feature.expires:%Y-%m-%d} 00:59:00"
    return (f"{EDITOR},{EDITOR_ID},{feature.name},{MODELS[feature.name]},STD,{feature.version},"
            f"{expiry},YLC,0,{expiry},{CUSTOMER_ID},{feature.count},"
            f"{server.seats_used(feature)},")


def _session(server, session: Session, offline_column: bool) -> str:
    granted = _stamp(server, session.start_s)
    process = PROCESSES[MODELS[session.feature.name]]
    row = (f"{session.count},,{host_column(session)},{session.user},{session.feature.name},"
           f"{process} ( {process_id(session)}),{CLIENT_VERSION},{session_id(session)},"
           f"{granted},{_stamp(server, max(session.start_s, server.now_s - 60))},{granted},,")
    if offline_column:
        row += f"{_stamp(server, session.offline_until_s)}," if session.offline else ","
    return row


def host_column(session: Session) -> str:
    """`name (hexid)/ip`, as the corpus shows a client."""
    number = hash_text(session.host) % 250 + 2
    return f"{session.host} ({number:x}.0)/10.4.0.{number}"


def process_id(session: Session) -> int:
    return 1000 + hash_text(f"{session.user}/{session.number}") % 4_000_000


def session_id(session: Session) -> str:
    return f"{0x2DB000 + session.number:07X}"


def _stamp(server, moment: int) -> str:
    return f"{server.local(moment):%Y-%m-%d %H:%M:%S}"
