"""An RLM server watched by the monitor as a FlexLM one is: a real subprocess as rlmutil
(printing a real rlmstat output of the corpus) polled, and its report log followed, a true
denial arriving as it is written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from pathlib import Path

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.model import Status
from lmconsole.monitor import CallbackListener, FollowedLog, Monitor, ServerMonitor

from .corpus import CORPUS
from .test_monitor import Server, scripted_lmutil

CSCI = CORPUS / "rlm" / "rlmstat" / "license_manager_rlmstat_a_csci_full.txt"
RLM = ADAPTERS["rlm"]


def test_a_poll_runs_rlmutil_rlmstat_and_publishes_the_rlm_status(tmp_path: Path):
    rlmutil = scripted_lmutil(tmp_path, f'echo "$@" > "{tmp_path}/argv"\ncat \'{CSCI}\'\n')
    states = []
    monitor = ServerMonitor(Server("design", str(rlmutil), license="35015@licserv"), RLM,
                            LocalTransport(), CallbackListener(on_state=states.append))
    assert asyncio.run(monitor.poll_once())
    (state,) = states
    assert (tmp_path / "argv").read_text() == "rlmstat -a -c 35015@licserv\n"
    assert state.error is None and state.status.status is Status.UP
    assert (state.status.name, state.status.manager) == ("design", "rlm")
    assert [(f.name, f.in_use) for f in state.status.features][3] == ("converge_super", 93)


def test_the_report_log_is_followed_and_only_true_denials_arrive(tmp_path: Path):
    # Followed from its end, as written: the date line is behind, so the records' month and
    # day take the year nearest to now; the header's ISV is read from the log's head.
    today = datetime.now(UTC).date()
    day = f"{today:%m/%d}"
    log = tmp_path / "reprise.rl"
    log.write_text("RLM Report Log Format 0, version 12.2, authenticated\n"
                   "ISV: reprise, RLM version 12.2 BL2\nSTART lic 12/04/2026 08:00\n")
    events = []
    monitor = ServerMonitor(Server("design", "/bin/false", poll_interval_s=3600,
                                   debug_log=str(log)),
                            RLM, LocalTransport(), CallbackListener(on_event=events.append))

    async def main():
        group = Monitor([monitor])
        group.start()
        try:
            await asyncio.sleep(0.3)
            with log.open("a") as file:
                file.write(f'OUT cad 1.0 1 anna pc1 "" 1 1 0 41 0 3a4b "" "" "" {day} 09:00:00\n'
                           f'DENY cad 1.0 eve lab "" 1 -22 0 {day} 09:01:00\n'
                           f'DENY cad 1.0 eve lab "" 1 -22 1 {day} 09:01:02\n')
            for _ in range(100):
                if len(events) == 2:
                    break
                await asyncio.sleep(0.05)
        finally:
            await group.stop()

    asyncio.run(main())
    assert [(e.kind.value, e.user, e.daemon, e.at) for e in events] == [
        ("OUT", "anna", "reprise", datetime.combine(today, time(9, 0), UTC)),
        ("DENIED", "eve", "reprise", datetime.combine(today, time(9, 1, 2), UTC))]


def test_a_log_whose_head_cannot_be_read_keeps_the_default_daemon(tmp_path: Path):
    # a header past the head the monitor reads (or no header): the records say "rlm"
    log = tmp_path / "reprise.rl"
    log.write_text("# " + "x" * 5000 + "\nISV: reprise, RLM version 12.2 BL2\n")
    monitor = ServerMonitor(Server("design", "/bin/false", debug_log=str(log)), RLM,
                            LocalTransport(), CallbackListener())
    reader = RLM.event_reader(tz=UTC, server="design", start_date=None)
    asyncio.run(monitor.read_header(reader, monitor.logs.setdefault(str(log),
                                                                     FollowedLog(str(log)))))
    assert reader.isv == "rlm"
    log.write_text("RLM Report Log Format 0, version 12.2, authenticated\n"
                   "ISV: reprise, RLM version 12.2 BL2\n")
    asyncio.run(monitor.read_header(reader, monitor.logs[str(log)]))
    assert reader.isv == "reprise"
