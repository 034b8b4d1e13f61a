"""The simulated server's own account of its state, in the domain model: exactly what a
correct parser reads from its `lsmon` output, for round-trip tests (print, parse, compare).
Times are the server-local wall times lsmon prints, placed in the zone the caller names."""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.adapters.rms.lsmon import MANAGER
from lmconsole.model import Checkout, Feature, LicenseHost, Pool, ServerStatus, Status

from .lsmon_text import LOCKING_CODE


def rms_status(server, host: str, tz: tzinfo, name: str | None) -> ServerStatus:
    features = tuple(_feature(server, feature, host, tz) for feature in server.scenario.features)
    return ServerStatus(name or host, host, Status.UP, hosts=(LicenseHost(host, None, Status.UP),),
                        features=features, manager=MANAGER)


def _feature(server, feature, host: str, tz: tzinfo) -> Feature:
    unlimited = feature.count is None
    pool = Pool(feature.version, feature.expires, "unlimited" if unlimited else "Normal License",
                locked_to=LOCKING_CODE)
    checkouts = tuple(
        Checkout(s.user, s.host, "local", feature.version, 0, host, None, None,
                 _printed(server, s.start_s, tz), count=s.count, borrowed=s.offline,
                 extra="commuter token" if s.offline else None)
        for s in server.sessions if s.feature is feature)
    return Feature(feature.name, None, feature.count, server.seats_used(feature),
                   uncounted=unlimited, pools=(pool,), checkouts=checkouts)


def _printed(server, moment: int, tz: tzinfo) -> datetime:
    return server.local(moment).replace(tzinfo=tz)
