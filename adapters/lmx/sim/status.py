"""The simulated server's own account of its state, in the records the parsers fill: what
its `lmxendutil` output says, for round-trip tests (print, parse, compare)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from ..build import FeatureBlock, Seat, ServerBlock


def server_blocks(server, spec: str, *, xml: bool = False,
                  tz: tzinfo | None = None) -> list[ServerBlock]:
    """`server` (an LmxServer) answering as `spec` (port@host), as one ServerBlock; `xml`:
    as -licstatxml tells it (its version without the `v`, no key types, and the denied
    counts); its times as a reader in zone `tz` (default: the server's) takes them."""
    scenario = server.scenario
    port, _, host = spec.partition("@")
    version = scenario.server_version.lstrip("v") if xml else scenario.server_version
    block = ServerBlock(host, int(port), 0, version, server.uptime())
    for feature in scenario.features:
        sharing = " ".join(feature.sharing.split())
        entry = FeatureBlock(feature.name, feature.version, scenario.vendor, 0,
                             feature.starts, feature.expires,
                             None if xml else feature.key_type, sharing,
                             server.seats_used(feature), feature.count, True,
                             server.denied[feature.name] if xml else None)
        for session in server.sessions:
            if session.feature is not feature:
                continue
            borrowed = session.borrow_until_s is not None
            entry.seats.append(Seat(
                session.user, session.host, session.ip, session.count, 0,
                None if borrowed else _local(server, session.login_s, tz),
                None if borrowed else _local(server, session.start_s, tz),
                _local(server, session.borrow_until_s, tz) if borrowed else None,
                session.share))
        block.features.append(entry)
    return [block]


def _local(server, moment: int, tz: tzinfo | None) -> datetime:
    """The minute LM-X prints for `moment`, read back in zone `tz`."""
    printed = datetime.fromtimestamp(moment, UTC).astimezone(server.scenario.zone)
    return printed.replace(tzinfo=tz) if tz is not None else printed
