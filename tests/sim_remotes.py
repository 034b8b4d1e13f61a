"""Simulated RLM and LM-X licence servers as a real sshd reaches them: a state directory with
its clock stopped, and the simulator's executable behind the names the adapters call
(rlmutil and rlmremove side by side, lmxendutil), as tests/test_ui_ssh_e2e.py's `Remote` is
for FlexLM. Each writes the log the console follows, and lines can be added to it."""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from lmconsole.adapters.lmx.sim.statedir import LOG_FILE, create_lmx_state_dir
from lmconsole.adapters.rlm.sim.statedir import create_rlm_state_dir, open_rlm_state_dir

BIN = Path(sys.executable).parent


def wrapper(path: Path, program: str, state: Path, *first: str) -> Path:
    """A shell script at `path` that runs the simulator's `program` on `state`."""
    words = " ".join(first)
    path.write_text(f"#!/bin/sh\nexec '{BIN / program}' --sim-dir '{state}' {words} \"$@\"\n")
    path.chmod(0o755)
    return path


def followed(path: Path) -> bool:
    """A `tail -F` of `path` runs (started over SSH by the console or a collector)."""
    wanted = f"-F\0--\0{path}\0".encode()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and wanted in (entry / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def append(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.writelines(line + "\n" for line in lines)


def ssh_server(name: str, manager: str, alias: str, utility: Path, license: str,
               log: Path | list[Path], zone: str, *, ssh_config: Path | None = None,
               known_hosts: Path | None = None, poll_interval_s: float = 0.5) -> str:
    """A `[[servers]]` table for a server reached over SSH; several logs: its debug_logs."""
    files = (f'ssh_config = "{ssh_config}"\nknown_hosts = ["{known_hosts}"]\n'
             if ssh_config else "")
    quoted = ", ".join(f'"{path}"' for path in log) if isinstance(log, list) else None
    logs = f"debug_logs = [{quoted}]\n" if quoted else f'debug_log = "{log}"\n'
    return (f'[[servers]]\nname = "{name}"\nmanager = "{manager}"\ntransport = "ssh"\n'
            f'ssh_host = "{alias}"\n{files}lmutil = "{utility}"\nlicense = "{license}"\n'
            f'{logs}timezone = "{zone}"\npoll_interval_s = {poll_interval_s}\n')


class RlmRemote:
    """The studio's rlm server (ISVs foundry and simio; foundry keeps the report log)."""

    zone = "Europe/London"
    license = "5053@studio-lic02"

    def __init__(self, tmp_path: Path, seed: int = 2) -> None:
        self.state = create_rlm_state_dir(tmp_path / "rlm-sim", seed=seed, speed=0)
        tools = tmp_path / "rlm-bin"
        tools.mkdir()
        self.rlmutil = wrapper(tools / "rlmutil", "lmconsole-sim-rlmutil", self.state)
        wrapper(tools / "rlmremove", "lmconsole-sim-rlmutil", self.state, "rlmremove")
        self.report_log = self.state / "foundry.rl"

    def server(self, name: str, alias: str, **options) -> str:
        return ssh_server(name, "rlm", alias, self.rlmutil, self.license, self.report_log,
                          self.zone, **options)

    def simio_report_log(self) -> Path:
        """The report log of the second ISV, simio, begun now (as its ISV server does when
        its options name a REPORTLOG; the simulator writes foundry's only)."""
        with open_rlm_state_dir(self.state) as server:
            now = server.now
        log = self.state / "simio.rl"
        log.write_text("RLM Report Log Format 0, version 15.2, authenticated\n"
                       "ISV: simio, RLM version 15.2 BL1\n"
                       f"START studio-lic02 {now:%m/%d/%Y %H:%M}\n")
        return log

    def server_with_isv_logs(self, name: str, alias: str, logs: list[Path],
                             **options) -> str:
        return ssh_server(name, "rlm", alias, self.rlmutil, self.license, logs, self.zone,
                          **options)

    def denial(self, user: str, product: str = "nuke_r", at: datetime | None = None) -> str:
        """A true denial (last attempt 1) of `product`, at `at` (default: now)."""
        at = at or datetime.now(ZoneInfo(self.zone))
        return f'DENY {product} 14.0 {user} ws1 "" 1 -22 1 {at:%m/%d %H:%M:%S}'


class LmxRemote:
    """The CAE department's LM-X server (vendor ALTAIR)."""

    zone = "Europe/Vienna"
    license = "6200@lmx1.cae.example"

    def __init__(self, tmp_path: Path, seed: int = 2, start: datetime | None = None) -> None:
        """`start`: when its clock stands (default: the scenario's own Monday morning)."""
        self.state = create_lmx_state_dir(tmp_path / "lmx-sim", seed=seed, speed=0,
                                          start=start)
        self.lmxendutil = wrapper(tmp_path / "lmxendutil", "lmconsole-sim-lmxendutil",
                                  self.state)
        self.log = self.state / LOG_FILE

    @classmethod
    def last_monday_morning(cls, now: datetime) -> datetime:
        """7:30 on the last Monday before `now`, in the server's zone: a working morning
        that lies days, not months, before the time the console polls it at (lmxendutil
        prints no server time: a poll is dated by the console's clock)."""
        local = now.astimezone(ZoneInfo(cls.zone)) - timedelta(hours=7, minutes=30)
        monday = local.date() - timedelta(days=local.weekday())
        return datetime.combine(monday, time(7, 30), ZoneInfo(cls.zone))

    def server(self, name: str, alias: str, **options) -> str:
        return ssh_server(name, "lmx", alias, self.lmxendutil, self.license, self.log,
                          self.zone, **options)

    def denial(self, user: str, feature: str = "FEMFAT_SOLVER",
               at: datetime | None = None) -> str:
        at = at or datetime.now(ZoneInfo(self.zone))
        return (f"[{at:%Y-%m-%d %H:%M:%S}] Denied {feature} v2024.0 to {user}@ws99.cae.example "
                "(10.20.0.99), 1 license(s): License limit reached")
