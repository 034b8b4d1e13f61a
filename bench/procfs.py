"""What Linux's /proc says of a process, for the benchmarks that watch one run."""

from __future__ import annotations

import threading
from pathlib import Path


def rss_mb(pid: int) -> float:
    """The resident size of process `pid` (OSError once it has ended)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class RssSampler(threading.Thread):
    """The largest sum of the resident sizes of a process and its children, sampled every
    `every` seconds until `stop()` or its end."""

    def __init__(self, pid: int, every: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.every):
            try:
                children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
                self.peak_mb = max(self.peak_mb, sum(
                    _rss_mb_or_0(pid) for pid in (self.pid, *map(int, children.split()))))
            except OSError:  # it ended
                return

    def stop(self) -> None:
        self._done.set()
        self.join()


def _rss_mb_or_0(pid: int) -> float:
    """rss_mb, or 0 for a child that ended since it was listed (or is ending: a zombie has
    no resident size)."""
    try:
        return rss_mb(pid)
    except (OSError, RuntimeError):
        return 0.0
