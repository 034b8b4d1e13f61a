"""What Linux's /proc says of a process, for the benchmarks that watch one run."""

from __future__ import annotations

from pathlib import Path


def rss_mb(pid: int) -> float:
    """The resident size of process `pid` (OSError once it has ended)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")
