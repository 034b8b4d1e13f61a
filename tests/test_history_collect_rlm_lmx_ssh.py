"""`lmconsole collect` over SSH against the RLM and LM-X simulators' executables (a real sshd
on 127.0.0.1, their clocks stopped): the RLM report log's checkouts and true denials and the
LM-X log's checkouts and denials are recorded once each; the link cut by killing sshd and its
sessions, and back, the denials written meanwhile and after are recorded once each too. The
figures are counted in the logs themselves."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lmconsole.adapters.lmx.sim.statedir import advance_lmx_state_dir
from lmconsole.adapters.rlm.sim.statedir import advance_rlm_state_dir, open_rlm_state_dir

from .sim_remotes import LmxRemote, RlmRemote, append
from .sshd import SshServer, sshd_fixture  # noqa: F401 - registers `sshd`
from .test_history_collect import (  # noqa: F401 - no_collector_left: an autouse fixture
    WAIT_S,
    Collector,
    history_rows,
    listed,
    no_collector_left,
    sqlite,
    write_config,
)

HOURS = 3  # of simulated work in each log before the collector starts


def rlm_counts(log: Path) -> dict[str, int]:
    """Sessions (OUT records) and true denials (DENY records of a last attempt)."""
    records = [line.split() for line in log.read_text().splitlines()]
    return {"sessions": sum(r[:1] == ["OUT"] for r in records),
            "denials": sum(r[:1] == ["DENY"] and r[8] == "1" for r in records)}


def lmx_counts(log: Path) -> dict[str, int]:
    lines = log.read_text().splitlines()
    return {"sessions": sum("] Checkout " in line for line in lines),
            "denials": sum("] Denied " in line for line in lines)}


def per_server(tmp_path: Path) -> dict[str, dict[str, int]]:
    """What the history holds, server by server (read from its SQLite file as it is written:
    quicker than a `lmconsole history` process a look); nothing while the collector has not
    made it yet."""
    got = {"studio": {"sessions": 0, "denials": 0}, "cae": {"sessions": 0, "denials": 0}}
    try:
        with sqlite3.connect(f"file:{tmp_path / 'history.db'}?mode=ro", uri=True) as db:
            for table in ("sessions", "denials"):
                for server, count in db.execute(
                        f"SELECT servers.name, count(*) FROM {table} JOIN servers "
                        f"ON servers.id = {table}.server_id GROUP BY servers.name"):
                    got[server][table] = count
    except sqlite3.OperationalError:  # not made yet by the collector
        pass
    return got


def caught_up(tmp_path: Path, expected: dict, collector: Collector) -> None:
    """Waits (bounded) until the history holds what the logs say, server by server."""
    deadline = time.monotonic() + WAIT_S
    while (got := per_server(tmp_path)) != expected:
        assert time.monotonic() < deadline, f"{got} != {expected}\n{collector.said}"
        assert collector.process.poll() is None, collector.said
        time.sleep(0.1)


def test_collect_over_ssh_records_rlm_and_lmx_once_across_a_cut_link(tmp_path,
                                                                      sshd: SshServer):
    # the LM-X server's polls are dated by this machine's clock, and its open sessions held
    # up to them: its log is of this week, or every minute since would be counted
    rlm = RlmRemote(tmp_path)
    lmx = LmxRemote(tmp_path, start=LmxRemote.last_monday_morning(datetime.now(UTC)))
    advance_rlm_state_dir(rlm.state, HOURS * 3600)
    advance_lmx_state_dir(lmx.state, HOURS * 3600)
    link = {"ssh_config": sshd.config_path, "known_hosts": sshd.known_hosts,
            "poll_interval_s": 1}
    config = write_config(tmp_path, rlm.server("studio", sshd.alias, **link),
                          lmx.server("cae", sshd.alias, **link))
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, config, database).start()

    def expected() -> dict[str, dict[str, int]]:
        return {"studio": rlm_counts(rlm.report_log), "cae": lmx_counts(lmx.log)}

    before = expected()
    assert all(counts["sessions"] > 0 and counts["denials"] > 0 for counts in before.values())
    caught_up(tmp_path, before, collector)

    # the denials dated in the logs' own time, a minute after their last line
    with open_rlm_state_dir(rlm.state) as server:
        rlm_at = server.now + timedelta(minutes=1)
    lmx_last = lmx.log.read_text().splitlines()[-1]
    lmx_at = datetime.strptime(lmx_last[1:20], "%Y-%m-%d %H:%M:%S") + timedelta(minutes=1)

    def deny(numbers: range) -> None:
        append(rlm.report_log, *(rlm.denial(f"r{n:03}", at=rlm_at + timedelta(seconds=n))
                                 for n in numbers))
        append(lmx.log, *(lmx.denial(f"x{n:03}", at=lmx_at + timedelta(seconds=n))
                          for n in numbers))

    sshd.stop()  # sshd and its sessions killed: both follows' links drop
    deny(range(30))
    sshd.start()
    deny(range(30, 60))
    after = expected()
    assert {name: after[name]["denials"] - before[name]["denials"] for name in after} == {
        "studio": 60, "cae": 60}
    caught_up(tmp_path, after, collector)
    time.sleep(1.5)  # anything read twice would be written by now
    assert per_server(tmp_path) == after
    assert collector.stop() == 0
    denied = [(d["server"], d["user"]) for d in listed(database, "denials", tmp_path)]
    assert sorted(user for server, user in denied if user.startswith("r0")) == [
        f"r{n:03}" for n in range(60)]
    assert sorted(user for server, user in denied if user.startswith("x0")) == [
        f"x{n:03}" for n in range(60)]
    assert history_rows(database, tmp_path)["denials"] == sum(
        counts["denials"] for counts in after.values())


def test_collect_over_ssh_records_the_denials_of_each_isv_report_log_once(tmp_path,
                                                                          sshd: SshServer):
    rlm = RlmRemote(tmp_path)
    advance_rlm_state_dir(rlm.state, HOURS * 3600)
    simio = rlm.simio_report_log()
    logs = [rlm.report_log, simio]
    config = write_config(tmp_path, rlm.server_with_isv_logs(
        "studio", sshd.alias, logs, ssh_config=sshd.config_path,
        known_hosts=sshd.known_hosts, poll_interval_s=1))
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, config, database).start()

    def expected() -> dict[str, int]:
        counts = [rlm_counts(log) for log in logs]
        return {key: sum(count[key] for count in counts) for key in ("sessions", "denials")}

    def recorded() -> dict[str, int]:
        return per_server(tmp_path)["studio"]

    def until_recorded(wanted: dict[str, int]) -> None:
        deadline = time.monotonic() + WAIT_S
        while recorded() != wanted:
            assert time.monotonic() < deadline, f"{recorded()} != {wanted}\n{collector.said}"
            assert collector.process.poll() is None, collector.said
            time.sleep(0.1)

    until_recorded(expected())
    with open_rlm_state_dir(rlm.state) as server:
        at = server.now + timedelta(minutes=1)
    append(rlm.report_log, *(rlm.denial(f"f{n:02}", at=at + timedelta(seconds=n))
                             for n in range(20)))
    append(simio, *(rlm.denial(f"s{n:02}", product="simio_design",
                               at=at + timedelta(seconds=n)) for n in range(20)))
    until_recorded(expected())
    time.sleep(1.5)  # anything read twice would be written by now
    assert recorded() == expected()
    assert collector.stop() == 0
    for log in logs:
        assert f"following {log} from its start" in collector.said
    denied = [d["user"] for d in listed(database, "denials", tmp_path)]
    assert sorted(user for user in denied if user[0] in "fs" and user[1:].isdigit()) == [
        *(f"f{n:02}" for n in range(20)), *(f"s{n:02}" for n in range(20))]
    assert history_rows(database, tmp_path)["sources"] == 2  # one for each ISV's log
