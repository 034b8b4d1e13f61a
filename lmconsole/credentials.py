"""Secrets lmconsole needs to log in elsewhere (an LDAP bind, an SMTP login), which the
configuration never holds: it names an environment variable, or a command that prints the
secret on its first line (`pass show smtp` prints notes below it)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping

COMMAND_TIMEOUT_S = 30  # long enough for a vault that asks for a touch or a PIN


class SecretError(Exception):
    """Why the secret could not be had, without the secret or the command's output."""


def read_secret(env_name: str | None, command: tuple[str, ...] | None,
                env: Mapping[str, str], setting: str) -> str | None:
    """The secret from the environment variable `env_name`, else the first line `command`
    prints; None when neither is named. `setting` prefixes the names in messages:
    "bind_secret" gives "bind_secret_env" and "bind_secret_command"."""
    if env_name:
        secret = env.get(env_name)
        if not secret:
            raise SecretError(f"the environment variable {env_name} ({setting}_env) is not set")
        return secret
    if not command:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SecretError(f"{setting}_command {command[0]}: "
                          f"{getattr(error, 'strerror', None) or error}") from None
    if done.returncode != 0:  # its stderr may say why; its stdout is never shown
        why = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise SecretError(f"{setting}_command {command[0]} exited {done.returncode}: {why[0]}")
    first_line = done.stdout.split("\n", 1)[0].removesuffix("\r")
    if not first_line:
        raise SecretError(f"{setting}_command {command[0]} printed no secret on its first line")
    return first_line
