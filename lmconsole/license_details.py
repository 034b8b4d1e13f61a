"""What lmstat leaves out of an idle feature, from the server's licence file.

lmstat prints a feature's vendor daemon and its pools' expiry only in the detail block of a
feature somebody uses; an idle feature is a bare "Users of X: (Total of 5 licenses issued;
Total of 0 licenses in use)". Where the configuration names the licence file, it is read
through the server's transport (now and then: it rarely changes) and its pools fill in
what the status lacks. A licence file that cannot be read leaves the status as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from lmconsole.adapter import LicenceManagerAdapter
from lmconsole.model import Pool, ServerStatus
from lmconsole.transport import BinaryInputError, Transport, TransportError

REREAD_S = 300.0  # seconds between two reads of a server's licence file
READ_TIMEOUT_S = 30.0


class LicenceDetails:
    """The pools of each feature of one server's licence file, read when due."""

    def __init__(self, config, adapter: LicenceManagerAdapter, transport: Transport, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path: str | None = getattr(config, "license_file", None)
        self.adapter = adapter
        self.transport = transport
        self.clock = clock
        self.pools: Mapping[str, tuple[Pool, ...]] = {}
        self.read_at: float | None = None

    async def fill(self, status: ServerStatus) -> ServerStatus:
        """`status` with its idle features' vendor and pools taken from the licence file."""
        if self.path is None:
            return status
        now = self.clock()
        if self.read_at is None or now - self.read_at >= REREAD_S:
            self.read_at = now
            await self.read()
        return filled(status, self.pools)

    async def read(self) -> None:
        import asyncio  # here, not above: headless commands that never read a server skip it

        try:
            data, _ = await asyncio.wait_for(self.transport.read(self.path), READ_TIMEOUT_S)
        except (TransportError, BinaryInputError, TimeoutError, OSError):
            return  # the status keeps its blanks; the editor says why the file cannot be read
        self.pools = self.adapter.license_pools(data.decode("utf-8", "replace"))


def filled(status: ServerStatus, pools: Mapping[str, tuple[Pool, ...]]) -> ServerStatus:
    """Each feature without a vendor or without pools gets those of the licence file's
    feature of that name; the rest as lmstat said."""
    if not pools:
        return status
    features = []
    changed = False
    for feature in status.features:
        found = pools.get(feature.name)
        if found and (feature.vendor is None or not feature.pools):
            feature = feature._replace(vendor=feature.vendor or found[0].vendor,
                                       pools=feature.pools or found)
            changed = True
        features.append(feature)
    return status._replace(features=tuple(features)) if changed else status
