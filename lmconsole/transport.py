"""How the core reaches a licence server: the transport protocol.

Implementations live in `lmconsole.adapters.transports` (local subprocess now; SSH and the
in-process simulator next). A transport only moves bytes; parsing belongs to the adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol


class CommandResult(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


class TransportError(Exception):
    """The command could not be run at all (not found, timed out, connection refused)."""


class Transport(Protocol):
    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult: ...


class BinaryInputError(ValueError):
    pass


def decode_output(data: bytes) -> str:
    """Text from a licence manager's output or a saved copy of it. lmutil prints the
    platform's encoding: UTF-8 on current systems, a Latin code page on old Windows ones."""
    if b"\x00" in data:
        raise BinaryInputError("binary data (NUL bytes), not a text output")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
