"""Telling people: what `[alerting]` says, and the two channels besides the console and
`watch`: a command hook and e-mail.

The hook is executed (no shell) with one change as a JSON object on its standard input, and
LMCONSOLE_ALERT_CHANGE, _SEVERITY, _RULE and _SUBJECT in its environment; it is killed when
it runs longer than its timeout. E-mail goes over SMTP with STARTTLS (refused without it
unless `starttls = false`, and then never with credentials); the secret comes from an
environment variable or the first line a command prints, never from the configuration.
A channel that fails is reported through `said` and the next change is tried again: one
bad mail server never stops the hook, the history or the console. No Textual here.
"""

from __future__ import annotations

import asyncio
import json
import os
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from lmconsole.credentials import SecretError, read_secret

from .engine import AlertChange
from .outbox import Outbox
from .rules import Error, Invalid, seconds

DEFAULT_HOOK_TIMEOUT_S = 10
DEFAULT_SMTP_TIMEOUT_S = 30


@dataclass(frozen=True, slots=True)
class EmailSettings:
    host: str
    sender: str
    to: tuple[str, ...]
    port: int = 587
    starttls: bool = True
    user: str | None = None
    secret_env: str | None = None  # the variable holding the SMTP secret
    secret_command: tuple[str, ...] | None = None  # or the command printing it
    ca_file: str | None = None  # a CA bundle (a site's own CA); None: the system's
    timeout_s: int = DEFAULT_SMTP_TIMEOUT_S


DELIVERERS = ("collect", "console", "both")


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    hook: tuple[str, ...] | None = None
    hook_timeout_s: int = DEFAULT_HOOK_TIMEOUT_S
    email: EmailSettings | None = None
    # which process runs the hook and sends mail: `collect` (the service, so that a console
    # open beside it does not tell everything twice), the console, or both
    deliver_from: str = "collect"

    def delivered_by(self, process: str) -> bool:
        return self.deliver_from in (process, "both")


# ---- [alerting] in the configuration --------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("expected a non-empty string")
    return value.strip()


def _command(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) and v for v in value):
        raise Invalid('expected a command as a list: ["/usr/local/bin/page", "--team", "x"]')
    return tuple(value)


def _addresses(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) and "@" in v for v in value):
        raise Invalid('expected e-mail addresses: ["oncall@example.com"]')
    return tuple(value)


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise Invalid("expected a port number, 1 to 65535")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("expected true or false")
    return value


def _deliverer(value: Any) -> str:
    if value not in DELIVERERS:
        raise Invalid(f"expected one of {', '.join(repr(d) for d in DELIVERERS)}")
    return value


HOOK_KEYS = {"hook": _command, "hook_timeout": seconds, "deliver_from": _deliverer,
             "email": lambda v: v}
EMAIL_KEYS = {"host": _text, "port": _port, "starttls": _flag, "from": _addresses,
              "to": _addresses, "user": _text, "secret_env": _text,
              "secret_command": _command, "ca_file": _text, "timeout": seconds}


def parse_delivery(raw: Any, error: Error) -> DeliverySettings:
    if not isinstance(raw, dict):
        error(("alerting",), "expected a table: [alerting] with hook = [...] or "
                             "[alerting.email]")
        return DeliverySettings()
    valid = _checked(raw, ("alerting",), HOOK_KEYS, error)
    email = _email(raw["email"], error) if "email" in raw else None
    return DeliverySettings(hook=valid.get("hook"),
                            hook_timeout_s=valid.get("hook_timeout", DEFAULT_HOOK_TIMEOUT_S),
                            email=email, deliver_from=valid.get("deliver_from", "collect"))


def _checked(raw: dict, path: tuple, keys: Mapping[str, Callable[[Any], Any]],
             error: Error) -> dict[str, Any]:
    from lmconsole.config import _PASSWORD_KEY

    valid = {}
    for key, value in raw.items():
        if _PASSWORD_KEY.search(key):
            continue  # refused by the configuration's own check, with its reason
        check = keys.get(key)
        if check is None:
            error(path + (key,), f"unknown key; known keys here: {', '.join(keys)}")
            continue
        try:
            valid[key] = check(value)
        except Invalid as exc:
            error(path + (key,), str(exc))
    return valid


def _email(raw: Any, error: Error) -> EmailSettings | None:
    path = ("alerting", "email")
    if not isinstance(raw, dict):
        error(path, "expected a table: [alerting.email]")
        return None
    valid = _checked(raw, path, EMAIL_KEYS, error)
    missing = [key for key in ("host", "from", "to") if key not in raw]
    if missing:
        error(path, f"[alerting.email] needs {', '.join(missing)}")
        return None
    if "user" in valid and not ("secret_env" in valid or "secret_command" in valid):
        error(path + ("user",), "a user needs secret_env (the environment variable holding "
                                "the secret) or secret_command (a command printing it)")
    if "user" in valid and valid.get("starttls") is False:
        error(path + ("starttls",), "credentials are only sent over STARTTLS")
    if "host" not in valid or "from" not in valid or "to" not in valid:
        return None
    return EmailSettings(
        host=valid["host"], sender=valid["from"][0], to=valid["to"],
        port=valid.get("port", 587), starttls=valid.get("starttls", True),
        user=valid.get("user"), secret_env=valid.get("secret_env"),
        secret_command=valid.get("secret_command"), ca_file=valid.get("ca_file"),
        timeout_s=valid.get("timeout", DEFAULT_SMTP_TIMEOUT_S))


def delivery_settings(settings: DeliverySettings) -> dict[str, Any]:
    """[alerting] as the configuration writes it (for `config show`)."""
    data: dict[str, Any] = {"deliver_from": settings.deliver_from}
    if settings.hook:
        data["hook"] = list(settings.hook)
        data["hook_timeout"] = settings.hook_timeout_s
    if settings.email:
        e = settings.email
        data["email"] = {"host": e.host, "port": e.port, "starttls": e.starttls,
                         "from": e.sender, "to": list(e.to), "timeout": e.timeout_s,
                         **({"user": e.user} if e.user else {}),
                         **({"secret_env": e.secret_env} if e.secret_env else {}),
                         **({"secret_command": list(e.secret_command)}
                            if e.secret_command else {}),
                         **({"ca_file": e.ca_file} if e.ca_file else {})}
    return data


# ---- the hook -------------------------------------------------------------------------------


async def run_hook(argv: tuple[str, ...], change: AlertChange, timeout_s: float) -> str | None:
    """Run the hook with `change` on its standard input; None when it exited 0, else what
    went wrong."""
    alert = change.alert
    env = {**os.environ, "LMCONSOLE_ALERT_CHANGE": str(change.change),
           "LMCONSOLE_ALERT_SEVERITY": alert.severity, "LMCONSOLE_ALERT_RULE": alert.rule,
           "LMCONSOLE_ALERT_SUBJECT": alert.subject}
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=env, start_new_session=True)
    except OSError as exc:
        return f"hook {argv[0]}: cannot run: {exc.strerror or exc}"
    payload = json.dumps(change.to_json(), ensure_ascii=False).encode() + b"\n"
    try:
        _, stderr = await asyncio.wait_for(process.communicate(payload), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        return f"hook {argv[0]}: killed after {timeout_s:g} s"
    if process.returncode != 0:
        said = stderr.decode(errors="replace").strip().splitlines()
        return f"hook {argv[0]}: exited {process.returncode}" + (f": {said[-1]}" if said else "")
    return None


# ---- e-mail ---------------------------------------------------------------------------------


def smtp_secret(email: EmailSettings, env: Mapping[str, str] = os.environ) -> str | None:
    """The SMTP secret, as `secret_env` or `secret_command` name it; None when no user is
    configured."""
    if email.user is None:
        return None
    return read_secret(email.secret_env, email.secret_command, env, "secret")


def message_of(change: AlertChange, email: EmailSettings) -> EmailMessage:
    alert = change.alert
    message = EmailMessage()
    message["Subject"] = (f"[lmconsole] {alert.severity.upper()} {change.change}: "
                          f"{alert.rule}: {alert.subject}")
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    lines = [alert.message, "",
             f"rule:      {alert.rule} ({alert.kind})",
             f"subject:   {alert.subject}",
             f"severity:  {alert.severity}",
             f"change:    {change.change} at {change.at:%Y-%m-%d %H:%M:%S %Z}",
             f"since:     {alert.since:%Y-%m-%d %H:%M:%S %Z}"]
    if alert.cleared_at is not None:
        lines.append(f"cleared:   {alert.cleared_at:%Y-%m-%d %H:%M:%S %Z}")
    message.set_content("\n".join(lines) + "\n")
    return message


def send_email(email: EmailSettings, change: AlertChange, secret: str | None) -> None:
    """Blocking (run it in a thread). Raises OSError or smtplib.SMTPException."""
    with smtplib.SMTP(email.host, email.port, timeout=email.timeout_s,
                      local_hostname=socket.getfqdn()) as smtp:
        smtp.ehlo()
        if email.starttls:
            context = ssl.create_default_context(cafile=email.ca_file)
            smtp.starttls(context=context)
            smtp.ehlo()
        if email.user is not None and secret is not None:
            smtp.login(email.user, secret)
        smtp.send_message(message_of(change, email))


# ---- both, off a queue ----------------------------------------------------------------------


class Deliveries(Outbox):
    """The hook and e-mail, told every change worth telling (fired, renotified, severity,
    cleared), one after the other; problems told to `said`."""

    name = "alert deliveries"

    def __init__(self, settings: DeliverySettings, said: Callable[[str], None],
                 env: Mapping[str, str] = os.environ) -> None:
        super().__init__()
        self.settings = settings
        self.said = said
        self.env = env
        self.delivered = 0

    @property
    def configured(self) -> bool:
        return bool(self.settings.hook or self.settings.email)

    async def handle(self, batch: list[AlertChange]) -> None:
        for change in batch:
            if change.told:
                await self.deliver(change)

    async def deliver(self, change: AlertChange) -> None:
        if self.settings.hook:
            problem = await run_hook(self.settings.hook, change, self.settings.hook_timeout_s)
            if problem:
                self.said(problem)
        email = self.settings.email
        if email is not None:
            try:
                secret = smtp_secret(email, self.env)
                await asyncio.to_thread(send_email, email, change, secret)
            except (SecretError, OSError, smtplib.SMTPException) as exc:
                self.said(f"e-mail to {', '.join(email.to)} via {email.host}:{email.port}: "
                          f"{exc}")
        self.delivered += 1
