"""The simulated server's own account of its state, in the domain model: exactly what a
correct parser reads from its getLicenseUsage output, for round-trip tests (print, parse,
compare). Times are the server-local wall times the CSV prints, placed in the zone the
caller names; an offline seat's time left is counted from the server's clock."""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.adapters.dsls.usage import MANAGER
from lmconsole.model import Checkout, Feature, LicenseHost, Pool, ServerStatus, Status

from .scenario import MODELS
from .usage_text import EDITOR, TOOL_VERSION, host_column, process_id, session_id


def dsls_status(server, tz: tzinfo, name: str | None) -> ServerStatus:
    host = server.scenario.host
    return ServerStatus(name or host, None, Status.UP,
                        hosts=(LicenseHost(host, None, Status.UP, version=TOOL_VERSION),),
                        features=tuple(_feature(server, f, tz) for f in server.scenario.features),
                        manager=MANAGER)


def _feature(server, feature, tz: tzinfo) -> Feature:
    pool = Pool(feature.version, feature.expires, MODELS[feature.name].lower(),
                vendor_string="STD", vendor=EDITOR)
    checkouts = tuple(_checkout(server, s, tz) for s in server.sessions if s.feature is feature)
    return Feature(feature.name, EDITOR, feature.count, server.seats_used(feature),
                   pools=(pool,), checkouts=checkouts)


def _checkout(server, session, tz: tzinfo) -> Checkout:
    host, _, address = host_column(session).partition(" (")
    left = None
    if session.offline:
        until = _printed(server, session.offline_until_s, tz)
        left = max(0, int((until - server.now).total_seconds()))
    return Checkout(session.user, host, None, session.feature.version, 0, server.scenario.host,
                    None, None, _printed(server, session.start_s, tz), count=session.count,
                    borrowed=session.offline, linger_s=left, pid=process_id(session),
                    extra=f"({address} session {session_id(session)}")


def _printed(server, moment: int, tz: tzinfo) -> datetime:
    return server.local(moment).replace(tzinfo=tz)
