"""The editor's actions on the licence server itself: re-read its files (lmreread, confirmed
from the debug log) and restart it (the vendor daemon, or the configured start command), each
confirmed with the exact commands first and audited by lmconsole.edit."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from textual import work

from lmconsole.edit import ReadOnlyError, await_reread, reread, restart
from lmconsole.transport import TransportError

from .dialogs import ConfirmScreen

if TYPE_CHECKING:
    from lmconsole.audit import AuditLog


class DaemonActions:
    """Mixed into the editor screen, which provides `server` (a ConsoleServer), `audit`,
    `read_only`, `data` (the app's LiveData, or None) and `set_status`."""

    server: object
    audit: AuditLog
    read_only: bool

    # ---- lmreread ------------------------------------------------------------------------------

    def action_reread(self) -> None:
        if self.read_only:
            self.notify("read-only mode: lmreread is not run", severity="warning")
            return
        argv = self.server.adapter.reread_argv(self.server.config)
        self.app.push_screen(
            ConfirmScreen(f"Tell {self.server.name} to re-read its licence and options files "
                          "now?",
                          ["The vendor daemon re-reads its licence and options files; the new "
                           "rules apply to the next checkouts."],
                          [shlex.join(argv)], "Re-read"),
            callback=lambda yes: yes and self.run_reread())

    @work(group="editor-reread", exclusive=True, exit_on_error=False)
    async def run_reread(self) -> None:
        server = self.server
        try:
            result = await reread(server.transport, server.config, server.adapter,
                                  audit=self.audit, read_only=self.read_only)
        except (OSError, ReadOnlyError) as error:
            self.set_status(f"lmreread not run: {error}", error=True)
            return
        output = result.output or "(no output)"
        if not result.ok:
            self.set_status(f"lmreread failed (exit {result.exit_code}):\n{output}", error=True)
            return
        if not result.log_sizes:
            self.set_status(f"lmreread: {output}\nno debug log configured: the re-read "
                            "cannot be confirmed")
            return
        self.set_status(f"lmreread: {output}\nwaiting for the debug log ...")
        try:
            check = await await_reread(server.transport, server.config, server.adapter,
                                       result.log_sizes)
        except TransportError as error:
            self.set_status(f"lmreread: {output}\ncannot read the debug log: {error}",
                            error=True)
            return
        self.set_status(f"lmreread: {output}\n{check.message}", error=not check.confirmed)

    # ---- restart -------------------------------------------------------------------------------

    def action_restart(self) -> None:
        self.ask_restart(force=False)

    def ask_restart(self, *, force: bool) -> None:
        if self.read_only:
            self.notify("read-only mode: the licence server is not restarted",
                        severity="warning")
            return
        adapter, config = self.server.adapter, self.server.config
        try:
            commands = adapter.restart_argvs(config, force=force)
        except ValueError as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        self.app.push_screen(
            ConfirmScreen(self.restart_question(force), self.restart_details(force),
                          [shlex.join(argv) for argv in commands],
                          "Restart anyway" if force else "Restart"),
            callback=lambda yes: yes and self.run_restart(force))

    def restart_question(self, force: bool) -> str:
        config = self.server.config
        what = ("the licence server" if getattr(config, "start_command", None) else
                f"the vendor daemon {getattr(config, 'vendor', None)}")
        if force:
            return f"Seats are borrowed on {self.server.name}: restart {what} anyway?"
        return f"Restart {what} on {self.server.name}?"

    def restart_details(self, force: bool) -> list[str]:
        in_use = self.seats_in_use()
        seats = "Its seats are" if in_use is None else \
            f"{in_use} seat{'' if in_use == 1 else 's'} in use {'is' if in_use == 1 else 'are'}"
        details = [f"{seats} dropped: users' applications lose their licences and check out "
                   "again when it is back."]
        if getattr(self.server.config, "start_command", None):
            details.append("The configured stop command runs, then the start command.")
        else:
            details.append("lmgrd stays up and starts the daemon again on the lmreread.")
        borrowed = self.borrowed_seats()
        if force:
            details.append("-force: the daemon stops although seats are borrowed; the "
                           "borrowers keep their licences until they expire.")
        elif borrowed:
            details.append(f"{borrowed} seat(s) are borrowed: lmdown will refuse (-120), and "
                           "you will be asked whether to force it.")
        return details

    def borrowed_seats(self) -> int:
        return sum(f.borrowed for f in self.restarted_features() or ())

    def seats_in_use(self) -> int | None:
        """The seats the restart drops (those of the vendor daemon restarted, or of the whole
        server), by the last poll; None before there is one."""
        features = self.restarted_features()
        return None if features is None else sum(f.in_use or 0 for f in features)

    def restarted_features(self) -> list | None:
        data = getattr(self, "data", None)
        state = data.states.get(self.server.name) if data is not None else None
        status = state.status if state is not None else None
        if status is None:
            return None
        config = self.server.config
        vendor = None if getattr(config, "start_command", None) else getattr(config, "vendor",
                                                                             None)
        return [f for f in status.features if vendor is None or f.vendor in (None, vendor)]

    @work(group="editor-reread", exclusive=True, exit_on_error=False)
    async def run_restart(self, force: bool = False) -> None:
        server = self.server
        try:
            results = await restart(server.transport, server.config, server.adapter,
                                    audit=self.audit, read_only=self.read_only, force=force)
        except (OSError, ReadOnlyError, ValueError) as error:
            self.set_status(f"restart not run: {error}", error=True)
            return
        lines = [f"$ {shlex.join(r.argv)}: "
                 + (f"{last_line(r.output) or 'ok'}" if r.ok else
                    f"failed (exit {r.exit_code}): {last_line(r.output) or 'no output'}")
                 for r in results]
        failed = not results or not results[-1].ok
        refused = getattr(server.adapter, "restart_refused_for_borrowing", None)
        if failed and len(results) < 2:
            lines.append("not restarted")
        elif failed:
            lines.append("it is DOWN: the start command did not bring it back")
        else:
            lines.append("restarted; the next poll shows its state")
            monitor = getattr(self.app, "monitor", None)
            if server.name in getattr(monitor, "monitors", {}):
                monitor.refresh(server.name)
        self.set_status("\n".join(lines), error=failed)
        if (failed and len(results) == 1 and not force and refused is not None
                and refused(results[0].output)):
            self.ask_restart(force=True)


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
