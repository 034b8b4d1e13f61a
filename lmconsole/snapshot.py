"""Headless snapshots: from a saved lmstat output, or by asking the configured servers.

No Textual here: this module serves `lmconsole snapshot` in scripts and cron.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from lmconsole.adapter import (
    LicenceManagerAdapter,
    StatusReport,
    banner_only,
    status_failure,
)
from lmconsole.inputs import InputError, read_text_input
from lmconsole.license_details import LicenceDetails
from lmconsole.model import Diagnostic, ServerStatus, Snapshot, Status
from lmconsole.transport import BinaryInputError, Transport, TransportError

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_UNREACHABLE = 0, 1, 2, 3
STATUS_TIMEOUT_S = 60.0  # lmstat -a on a large site can take long
CONNECT_TIMEOUT_S = 5.0  # a one-shot snapshot reports an unreachable server soon


def read_input(path: str) -> tuple[str, str]:
    """(text, label) of a saved lmstat output; `-` reads standard input."""
    text, label = read_text_input(path, "an lmstat output")
    if not text.strip():
        raise InputError(f"{label}: empty input, expected a licence manager's status output "
                         "(`lmutil lmstat -a`, `rlmutil rlmstat -a`, `lmxendutil -licstat` ...)")
    return text, label


def check_report(report: StatusReport, label: str, output_name: str = "lmstat",
                 command: str = "lmutil lmstat -a") -> None:
    if not report.recognised and output_name == "lmstat":
        raise InputError(f"{label}: not an lmstat output (no lmstat banner, status line, "
                         "server block or 'Users of' line found)")
    if not report.recognised:
        raise InputError(f"{label}: no server, feature or user found in this {output_name} "
                         "output")
    if not report.servers:
        raise InputError(f"{label}: {banner_only(output_name)}; save the whole output of "
                         f"`{command}` and try again")


def truncation_warning(report: StatusReport, label: str, output_name: str = "lmstat",
                       command: str = "lmutil lmstat -a") -> str | None:
    """What to tell the user when the output stops in the middle of a block: what was read
    is still worth showing, but it is not the whole status."""
    if report.truncated_at is None:
        return None
    return (f"{label}:{report.truncated_at}: truncated {output_name} output: it stops in the "
            "middle of a block, so the status shown is incomplete; save the complete output "
            f"of `{command}` and try again")


def adapter_of_output(text: str, label: str) -> LicenceManagerAdapter:
    """The adapter of the licence manager whose status utility printed `text` (the default
    manager's when no manager's words are in it). InputError: a manager no adapter reads."""
    from lmconsole.adapters import ADAPTERS, DEFAULT_MANAGER, detect_manager

    detected = detect_manager(text)
    if detected is None:
        return ADAPTERS[DEFAULT_MANAGER]
    if detected.kind is None:
        known = ", ".join(adapter.output_name for adapter in ADAPTERS.values())
        raise InputError(f"{label}: {detected.name} output, not supported yet (lmconsole "
                         f"reads these status outputs: {known})")
    return ADAPTERS[detected.kind]


def snapshot_from_text(text: str, label: str, adapter: LicenceManagerAdapter, *,
                       name: str | None, tz: tzinfo, now: datetime, seats: bool = True
                       ) -> tuple[Snapshot, str | None]:
    """The snapshot of a saved output, and a warning when the output is truncated.
    `seats=False`: only the features' rows will be shown, so an adapter that can may leave
    out the seats those rows do not count (FlexLM keeps the borrowed ones)."""
    parse_saved = getattr(adapter, "parse_saved_status", None)  # one that keeps nothing
    if parse_saved is not None:
        report = parse_saved(text, name=name, tz=tz, now=now, seats=seats)
    else:
        report = adapter.parse_status(text, name=name, tz=tz, now=now)
    output_name = getattr(adapter, "output_name", "lmstat")
    command = getattr(adapter, "status_command", "lmutil lmstat -a")
    check_report(report, label, output_name, command)
    taken_at = report.reported_at or now
    snapshot = Snapshot(taken_at=taken_at, servers=report.servers, diagnostics=report.diagnostics)
    return snapshot, truncation_warning(report, label, output_name, command)


class ServerQuery:
    """One configured server as the snapshot needs it."""

    def __init__(self, config, adapter: LicenceManagerAdapter, transport: Transport) -> None:
        self.config = config
        self.adapter = adapter
        self.transport = transport

    async def status(self, now: datetime) -> tuple[tuple[ServerStatus, ...],
                                                   tuple[Diagnostic, ...]]:
        config = self.config
        argv = self.adapter.status_argv(config)
        connect = getattr(self.transport, "connect", None)  # connections (SSH) have one
        try:
            if connect is not None:
                await connect(CONNECT_TIMEOUT_S)
            result = await self.transport.run(argv, timeout=STATUS_TIMEOUT_S)
        except (TransportError, BinaryInputError) as error:
            return (self.failed(str(error)),), ()
        report = self.adapter.parse_status(result.stdout, name=config.name, tz=config.tz, now=now)
        output_name = getattr(self.adapter, "output_name", "lmstat")
        failure = status_failure(report, argv, result.exit_code, result.stdout, result.stderr,
                                 output_name)
        if failure is not None:
            return (self.failed(failure),), ()
        licence = LicenceDetails(config, self.adapter, self.transport)
        return tuple([await licence.fill(s) for s in report.servers]), report.diagnostics

    def failed(self, error: str) -> ServerStatus:
        return ServerStatus(name=self.config.name, source=self.config.license,
                            status=Status.ERROR, error=error, manager=self.adapter.kind)


async def snapshot_of(queries: Sequence[ServerQuery], now: datetime | None = None) -> Snapshot:
    """Ask every server at once; one that fails is reported, never fatal to the others."""
    import asyncio  # here: `snapshot --from-file` never needs it, and it costs start-up

    now = now or datetime.now(UTC)
    try:
        results = await asyncio.gather(*(query.status(now) for query in queries))
    finally:
        await asyncio.gather(*(close_transport(query.transport) for query in queries))
    servers = tuple(server for found, _ in results for server in found)
    diagnostics = tuple(diagnostic for _, found in results for diagnostic in found)
    return Snapshot(taken_at=now, servers=servers, diagnostics=diagnostics)


async def close_transport(transport: Transport) -> None:
    close = getattr(transport, "close", None)  # connections (SSH) have one
    if close is not None:
        await close()


def exit_code_of(snapshot: Snapshot) -> int:
    """0 when every server and vendor daemon is up; 3 when a server is down or unreachable,
    or a server answers but one of its vendor daemons is down: nobody can check out the
    features that daemon serves (the `vendor_down` alert's rule)."""
    for server in snapshot.servers:
        if server.status is not Status.UP or \
                any(vendor.status is not Status.UP for vendor in server.vendors):
            return EXIT_UNREACHABLE
    return EXIT_OK
