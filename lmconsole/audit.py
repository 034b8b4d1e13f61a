"""The audit log: one JSON line per admin action (who, when, server, command, outcome).

Appended, never rewritten, readable only by its owner. The file is Config.audit_log when the
configuration names one, else audit.log in lmconsole's state directory
($XDG_STATE_HOME/lmconsole, ~/.local/state/lmconsole by default). Anything that looks like a
password in a command is replaced by "***" before it is written. No Textual here.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

SECRET_OPTION = re.compile(r"^-{0,2}(pass(word|wd|phrase)?|pwd|secret|token)$", re.I)
SECRET_ASSIGNMENT = re.compile(r"(?i)\b(pass(word|wd|phrase)?|pwd|secret|token)=[^\s&;]*")
OUTPUT_KEPT = 2000  # characters of a command's output kept in the record


def default_audit_path(env=os.environ) -> Path:
    state = env.get("XDG_STATE_HOME", "")
    base = Path(state) if state and Path(state).is_absolute() else (
        Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return base / "lmconsole" / "audit.log"


def audit_path(config) -> Path:
    configured = getattr(config, "audit_log", None)
    return Path(configured) if configured else default_audit_path()


def redacted(argv: Sequence[str]) -> list[str]:
    """The command with every password-like value replaced by ***."""
    out: list[str] = []
    hide_next = False
    for word in argv:
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        hide_next = bool(SECRET_OPTION.match(word))
        out.append(SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + "=***", word))
    return out


class AuditLog:
    def __init__(self, path: Path, *, user: Callable[[], str] = getpass.getuser,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.path = Path(path)
        self.user = user
        self.now = now

    def check(self) -> None:
        """Raise OSError now if records could not be written: an admin action is not run
        when it could not be recorded."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))

    def record(self, *, server: str, command: Sequence[str], outcome: str,
               exit_code: int | None = None, output: str = "", action: str = "",
               diff: str = "", subject: dict | None = None) -> dict:
        """Append one record and return it. `outcome` is "ok", "failed" or "refused".
        `diff` (a saved file's unified diff) is kept whole, unlike the output; `subject`
        says what the action was done to (the seat lmremove freed: feature, user, ...)."""
        entry = {
            "who": self.user(),
            "when": self.now().astimezone(UTC).isoformat(timespec="seconds"),
            "server": server,
            "action": action,
            "command": redacted(command),
            "outcome": outcome,
            "exit_code": exit_code,
            "output": SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + "=***",
                                            output.strip())[:OUTPUT_KEPT],
        }
        if subject:
            entry["subject"] = subject
        if diff:
            entry["diff"] = SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + "=***", diff)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        return entry

    def entries(self) -> list[dict]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]
