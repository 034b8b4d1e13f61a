"""FlexLM / FlexNet Publisher: `lmutil lmstat` parser, debug log, options and licence files."""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport


class FlexlmAdapter:
    kind = "flexlm"

    def status_argv(self, server: StatusQuery) -> list[str]:
        argv = [server.lmutil, "lmstat", "-a"]
        if server.license:
            argv += ["-c", server.license]
        return argv

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .lmstat import parse_lmstat

        return parse_lmstat(text, name=name, tz=tz, now=now)

    def event_reader(self, *, tz: tzinfo, server: str):
        from .debuglog import DebugLogReader

        return DebugLogReader(tz=tz, server=server)
