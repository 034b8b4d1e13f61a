"""FlexLM / FlexNet Publisher: `lmutil lmstat` parser, debug log, options and licence files."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from lmconsole.adapter import (
    DaemonOptionsFile,
    OptionsFileOwner,
    StatusQuery,
    StatusReport,
    redundant_servers_problems,
)
from lmconsole.model import Checkout, Pool, ServerStatus

# Words only lmutil's lmstat prints: banners, headings and its whole-command errors.
_SIGNS = ("lmutil - Copyright", "lmstat - Copyright", "Flexible License Manager status on",
          "License server status:", "Users of ", "Vendor daemon status (on ",
          "Error getting status:", "lmgrd is not running:")


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of an lmstat output is (its offset), or None."""
    found = [at for sign in _SIGNS if (at := text.find(sign)) >= 0]
    return min(found) if found else None


class FlexlmAdapter:
    kind = "flexlm"
    output_name = "lmstat"
    status_command = "lmutil lmstat -a"
    frees_seats = True

    def status_argv(self, server: StatusQuery) -> list[str]:
        argv = [server.lmutil, "lmstat", "-a"]
        if server.license:
            argv += ["-c", server.license]
        return argv

    def config_problems(self, settings) -> list[tuple[str, str]]:
        return redundant_servers_problems(settings)

    def __init__(self) -> None:
        self._seat_lines: dict[str, object] = {}  # per server: lmstat.SeatLines

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        """The seat lines of a server polled again are not read again (lmstat.SeatLines)."""
        from .lmstat import SeatLines, parse_lmstat

        seats_before = self._seat_lines.get(name)
        if seats_before is None:
            seats_before = self._seat_lines[name] = SeatLines()
        return parse_lmstat(text, name=name, tz=tz, now=now, seats_before=seats_before)

    def parse_saved_status(self, text: str, *, name: str | None, tz: tzinfo, now: datetime,
                           seats: bool = True) -> StatusReport:
        """A status output read once (a saved file): nothing is kept for a next poll.
        `seats=False`: a feature may keep only its borrowed seats (see parse_lmstat)."""
        from .lmstat import parse_lmstat

        return parse_lmstat(text, name=name, tz=tz, now=now, borrowed_seats_only=not seats)

    def event_reader(self, *, tz: tzinfo, server: str, start_date: date | None = None):
        from .debuglog import DebugLogReader

        return DebugLogReader(tz=tz, server=server, start_date=start_date)

    def parse_log(self, text: str, *, tz: tzinfo):
        from .debuglog import parse_debuglog

        return parse_debuglog(text, tz=tz)

    def denial_words(self, code: str | None, reason: str | None) -> str:
        from .denial_words import denial_reason_words

        return denial_reason_words(code, reason)

    def remove_argv(self, server: StatusQuery, status: ServerStatus | None, feature: str,
                    seat: Checkout) -> list[str]:
        """`lmutil lmremove` for one seat: by handle when lmstat printed one (it names
        exactly that seat), else by user, host and display (every seat of theirs on the
        feature)."""
        spec = server.license or (status.source if status else None)
        argv = [server.lmutil, "lmremove"] + (["-c", spec] if spec else [])
        if seat.handle is not None and seat.server and seat.port:
            return argv + ["-h", feature, seat.server, str(seat.port), str(seat.handle)]
        return argv + [feature, seat.user, seat.host or "", seat.display or ""]

    def reread_argv(self, server: StatusQuery) -> list[str]:
        """`lmutil lmreread`: the vendor daemon (all of them without a configured vendor)
        re-reads its licence and options files."""
        argv = [server.lmutil, "lmreread"]
        if server.license:
            argv += ["-c", server.license]
        vendor = getattr(server, "vendor", None)
        return argv + (["-vendor", vendor] if vendor else [])

    def down_argv(self, server: StatusQuery, *, force: bool = False) -> list[str]:
        """`lmutil lmdown -vendor VENDOR -q`: that vendor daemon stops, lmgrd stays up (and
        starts it again on the next lmreread). Without a configured vendor: ValueError
        (a plain lmdown would stop lmgrd itself, which nothing here starts again). `force`
        adds -force, which lmdown needs while seats are borrowed (else it fails with -120)."""
        vendor = getattr(server, "vendor", None)
        if not vendor:
            raise ValueError(f"{server.name}: no vendor configured; restarting needs one "
                             "(or a start_command)")
        return self._lmdown(server) + ["-vendor", vendor, "-q"] + self._force(force)

    def restart_argvs(self, server: StatusQuery, *, force: bool = False) -> list[list[str]]:
        """With a configured start_command: stop the licence server (stop_command, else
        lmdown -q) and run it. Without: restart the vendor daemon, lmdown -vendor then
        lmreread, which has lmgrd start a vendor daemon downed with -vendor again."""
        start = getattr(server, "start_command", None)
        if not start:
            return [self.down_argv(server, force=force), self.reread_argv(server)]
        stop = getattr(server, "stop_command", None)
        stop = list(stop) if stop else self._lmdown(server) + ["-q"] + self._force(force)
        return [stop, list(start)]

    @staticmethod
    def restart_refused_for_borrowing(output: str) -> bool:
        """lmdown's refusal while licences are borrowed (-120), which -force overrides."""
        return "-120" in output or "licenses are borrowed" in output.lower()

    def _lmdown(self, server: StatusQuery) -> list[str]:
        argv = [server.lmutil, "lmdown"]
        return argv + (["-c", server.license] if server.license else [])

    @staticmethod
    def _force(force: bool) -> list[str]:
        return ["-force"] if force else []

    def options_language(self, license_text: str | None = None, vendor: str | None = None):
        from .language import OptionsLanguage

        return OptionsLanguage(license_text, vendor)

    def daemon_options_files(self, license_text: str, license_path: str | None
                             ) -> list[DaemonOptionsFile]:
        """The options files the VENDOR lines name (options=, or the fourth field)."""
        from .daemons import vendor_options_files
        from .license import parse_license

        return [DaemonOptionsFile(v.vendor, v.path, f"VENDOR line {v.line} of {license_path}")
                for v in vendor_options_files(parse_license(license_text), license_path)]

    def options_file_owner(self, license_text: str, license_path: str | None,
                           options_path: str, vendor: str | None) -> OptionsFileOwner:
        from .daemons import options_file_owner
        from .license import parse_license

        return options_file_owner(parse_license(license_text), license_path, options_path,
                                  vendor)

    def license_pools(self, license_text: str) -> dict[str, tuple[Pool, ...]]:
        from .license import parse_license

        pools: dict[str, tuple[Pool, ...]] = {}
        for pool in parse_license(license_text).pools:
            kind = "uncounted" if pool.seats is None else "floating"
            pools[pool.name] = (*pools.get(pool.name, ()),
                                Pool(pool.version, pool.expiry, kind, vendor=pool.vendor))
        return pools

    def license_language(self):
        from .language import LicenseLanguage

        return LicenseLanguage()

    def options_blocks(self):
        from .managed import ManagedBlocks

        return ManagedBlocks()

    def simulator(self):
        from .sim.service import FlexlmSimulator

        return FlexlmSimulator()
