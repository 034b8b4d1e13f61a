"""Writing a plan (plan.py) through lmconsole.edit's safe path: validated (errors refuse
unless forced), refused in read-only mode or when the file changed since it was read,
backed up, replaced atomically, audited; then the server re-reads it and the debug log is
read for the daemon's confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lmconsole.adapter import LiveUse
from lmconsole.audit import AuditLog
from lmconsole.edit import RereadCheck, RereadResult, SaveResult, await_reread, reread, save_file

from .plan import Plan


@dataclass(frozen=True)
class Applied:
    save: SaveResult
    reread: RereadResult | None = None  # None: not saved, so not re-read
    confirmation: RereadCheck | None = None  # None: no debug log to confirm it by

    @property
    def ok(self) -> bool:
        return self.save.saved and self.reread is not None and self.reread.ok and (
            self.confirmation is None or not self.confirmation.errors)


async def apply(plan: Plan, transport, config, adapter, *, audit: AuditLog, now: datetime,
                license_text: str | None = None, live: LiveUse | None = None,
                force: bool = False, read_only: bool = False,
                confirm_attempts: int = 10) -> Applied:
    """Save the plan's text (ReadOnlyError in read-only mode), then lmreread."""
    language = adapter.options_language(license_text, getattr(config, "vendor", None))
    saved = await save_file(transport, plan.path, plan.text, plan.draft.stat, server=plan.server,
                            audit=audit, now=now, language=language, live=live, force=force,
                            read_only=read_only, encoding=plan.draft.encoding)
    if not saved.saved:
        return Applied(saved)
    done = await reread(transport, config, adapter, audit=audit, read_only=read_only)
    if not done.ok or not done.log_sizes:
        return Applied(saved, done)
    check = await await_reread(transport, config, adapter, done.log_sizes,
                               attempts=confirm_attempts)
    return Applied(saved, done, check)
