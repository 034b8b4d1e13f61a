"""Run licence-manager commands on this machine."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

from lmconsole.transport import CommandResult, TransportError, decode_output

# lmstat prints dates in the C locale's English only when asked to.
_C_LOCALE = {"LANG": "C", "LC_ALL": "C"}


class LocalTransport:
    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, **_C_LOCALE},
            )
        except OSError as error:
            raise TransportError(f"cannot run {argv[0]}: {error.strerror or error}") from None
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            await _kill(process)
            raise TransportError(f"{argv[0]} did not answer within {timeout:g} s") from None
        except asyncio.CancelledError:
            await _kill(process)  # a cancelled poll leaves no process behind
            raise
        return CommandResult(process.returncode, decode_output(stdout), decode_output(stderr))


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()
