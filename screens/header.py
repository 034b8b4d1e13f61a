"""The line at the top of every screen: each server's connection state, and the console's
own state (paused, read-only). It keeps updating while the tables are paused."""

from __future__ import annotations

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from lmconsole.model import Status
from lmconsole.monitor import ServerState

from .format import short_age
from .live import LiveData
from .problems import retry_text, short_reason


def server_state_markup(state: ServerState, data: LiveData) -> str:
    return f"{escape(state.name)} {state_words(state, data)}" + reason_markup(state)


def state_words(state: ServerState, data: LiveData) -> str:
    if state.status is None:
        if state.error:
            return "[$error]unreachable[/]"
        return "[$foreground-muted]connecting…[/]"
    if state.stale:
        age = data.age_s(state)
        return f"[$warning]stale {short_age(age)}[/]"
    status = state.status.status
    words = {Status.UP: "[$success]up[/]", Status.DOWN: "[$error]down[/]",
             Status.ERROR: "[$error]error[/]"}[status]
    down_hosts = [h for h in state.status.hosts if h.status is not Status.UP]
    if status is Status.UP and down_hosts:
        words += f" [$warning]{len(down_hosts)}/{len(state.status.hosts)} hosts down[/]"
    return words


def reason_markup(state: ServerState) -> str:
    """Why a failing server fails, in a few words, and when it is tried again (the
    views' problem lines say it in full)."""
    if state.error is None:
        return ""
    reason = short_reason(state.error.removeprefix(f"{state.name}: "))
    retry = retry_text(state)
    return f" [$foreground-muted]({escape(reason)}{'; ' + retry if retry else ''})[/]"


class ServerHeader(Static):
    DEFAULT_CSS = """
    ServerHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, data: LiveData) -> None:
        super().__init__()
        self.data = data

    def on_mount(self) -> None:
        self.update_state()

    def update_state(self) -> None:
        data = self.data
        parts = []
        for name in data.servers:
            text = server_state_markup(data.states[name], data)
            if name in data.follow_errors:
                text += f" [$warning]{data.not_read_word(name)}[/]"
            notes = data.note_count(name)
            if notes:
                text += f" [$warning]⚠{notes}[/]"
            parts.append(text)
        markup = "[b]lmconsole[/b] │ " + " │ ".join(parts or ["no servers configured"])
        flags = alert_flags(data.alerts)
        if data.past is not None:
            when = data.past.at.astimezone(data.display_tz)
            flags.append(f"[reverse $accent] AS OF {when:%Y-%m-%d %H:%M} [/]")
        if getattr(self.app, "paused", False):
            flags.append("[reverse $warning] PAUSED [/]")
        if getattr(self.app, "read_only", False):
            flags.append("[$accent]read-only[/]")
        flags.append(f"[$foreground-muted]times in {escape(zone_name(data))}[/]")
        markup += "  " + " ".join(flags)
        self.update(Content.from_markup(markup))


def alert_flags(alerts) -> list[str]:
    """The alerts banner: the alerts not yet acknowledged, by severity (A shows them)."""
    if not alerts:
        return []
    open_ = [a for a in alerts if a.acknowledged_by is None]
    critical = sum(1 for a in open_ if a.severity == "critical")
    warning = len(open_) - critical
    flags = []
    if critical:
        flags.append(f"[reverse $error] ⚑ {critical} critical [/]")
    if warning:
        flags.append(f"[reverse $warning] ⚑ {warning} warning [/]")
    if not open_:
        flags.append(f"[$foreground-muted]⚑ {len(alerts)} acknowledged[/]")
    return flags


def zone_name(data: LiveData) -> str:
    """The zone every time on screen is shown in (the viewer's): its abbreviation now
    (CET, UTC), else its offset (+0530). "Now" by the first server's clock, the one the
    times on screen are judged by (the simulator's in the demo and the tests)."""
    local = data.now(data.servers[0] if data.servers else None).astimezone(data.display_tz)
    name = local.tzname() or ""
    return name if name.isalpha() else local.strftime("%z")
