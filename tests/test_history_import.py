"""`lmconsole import` and `lmconsole history` as a script runs them: a real subprocess, real
SQLite files, the corpus debug logs (figures counted by hand with grep -c) and small logs
written here for midnight, restart, order and compression."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .corpus import corpus_file
from .postgres import postgres_fixture  # noqa: F401 - registers `postgres`
from .test_reports_month_sums import sums_are_exact

ADSKFLEX = corpus_file("flexlm", "debuglog",
                       "upm_adskflex_reread_dup_vendor_unsupported_mixed_time_format_EXCERPT.log.txt")
MLM = corpus_file("flexlm", "debuglog", "upm_mlm_unsupported_hex_out_in_EXCERPT.log.txt")
MAPLE = corpus_file("flexlm", "debuglog",
                    "upm_maplelmg_mixed_versions_blank_line_localized_tz_EXCERPT.log.txt")


def lmconsole(tmp_path: Path, *args: str, cwd: Path | None = None):
    """The command, with no configuration and its data directory under tmp_path."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "LMCONSOLE_CONFIG": ""}
    env.pop("LMCONSOLE_CONFIG")
    return subprocess.run([sys.executable, "-m", "lmconsole", *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=cwd)


def summary(result) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return {line[:12].strip(): line[13:] for line in result.stdout.splitlines()}


def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'history.db'}"


def imported(tmp_path: Path, *files: Path | str, server: str = "upm") -> dict[str, str]:
    return summary(lmconsole(tmp_path, "import", *map(str, files), "--server", server,
                             "--server-tz", "Europe/Madrid", "--database", database(tmp_path)))


def listed(tmp_path: Path, what: str, *options: str) -> list[dict]:
    result = lmconsole(tmp_path, "history", what, "--format", "json", "--database",
                       database(tmp_path), *options)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def info(tmp_path: Path) -> dict:
    result = lmconsole(tmp_path, "history", "info", "--format", "json", "--database",
                       database(tmp_path))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# ---- the corpus ------------------------------------------------------------------------------

def test_the_corpus_logs_counted_by_hand(tmp_path):
    first = imported(tmp_path, ADSKFLEX)
    # 11 OUT, 2 IN, 2 UNSUPPORTED, lmgrd's reread and its start of adskflex
    assert first["events"] == "17 (17 new)"
    assert first["sessions"] == "11 (9 still open)"  # 11 OUT, 2 of them checked in
    assert first["denials"] == "2"
    assert first["time span"] == "2022-05-05 08:42:23 .. 2022-05-05 10:16:04 Europe/Madrid"
    denials = listed(tmp_path, "denials")
    assert [(d["feature"], d["user"], d["code"]) for d in denials] == [
        ("87537INVPROSA_2022_0F", "UPM", "-5,346"),
        ("87537INVPROSA_2022_0F", "upm", "-5,346")]
    assert denials[0]["at"] == "2022-05-05T06:42:42+00:00"  # 08:42:42 in Madrid (CEST)
    closed = [s for s in listed(tmp_path, "sessions") if s["end_kind"] == "in"]
    assert len(closed) == 2 and all(s["duration_s"] >= 0 for s in closed)


def test_importing_again_changes_nothing(tmp_path):
    imported(tmp_path, ADSKFLEX, MLM, MAPLE)
    before = info(tmp_path)["rows"]
    again = imported(tmp_path, MLM, ADSKFLEX)
    assert again["events"].endswith("(0 new)")
    assert info(tmp_path)["rows"] == before
    assert before["events"] == 17 + 40 + 1 and before["denials"] == 2 + 4  # maple: its start
    assert before["sessions"] == 11 + 36


def test_a_gzipped_log_is_the_same_log(tmp_path):
    packed = tmp_path / "adskflex.log.gz"
    packed.write_bytes(gzip.compress(ADSKFLEX.read_bytes()))
    assert imported(tmp_path / "a", packed)["events"] == "17 (17 new)"
    plain = imported(tmp_path / "a", ADSKFLEX)
    assert plain["events"] == "17 (0 new)"  # known by its content, not its name


# ---- logs written here -----------------------------------------------------------------------

def log(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_files_in_any_order_sessions_across_them_and_midnight(tmp_path):
    first = log(tmp_path / "mlm.log.1",
                "23:50:00 (lmgrd) TIMESTAMP 3/2/2026",
                '23:55:00 (MLM) OUT: "MATLAB" jdoe@host1  ',
                ' 0:05:00 (MLM) OUT: "SIMULINK" jdoe@host1  ')  # after midnight: 3/3
    second = log(tmp_path / "mlm.log",
                 " 0:10:00 (lmgrd) TIMESTAMP 3/3/2026",
                 ' 1:00:00 (MLM) IN: "MATLAB" jdoe@host1  ',
                 ' 1:30:00 (MLM) DENIED: "MATLAB" bob@host2  (Licensed number of users '
                 'already reached. (-4,342))')
    counts = imported(tmp_path, second, first)  # the newer file first: sorted by date
    assert counts["sessions"] == "2 (1 still open)" and counts["denials"] == "1"
    sessions = {s["feature"]: s for s in listed(tmp_path, "sessions", "--tz", "UTC")}
    matlab = sessions["MATLAB"]
    assert (matlab["start"], matlab["end"], matlab["end_kind"]) == (
        "2026-03-02T22:55:00+00:00", "2026-03-03T00:00:00+00:00", "in")
    assert matlab["duration_s"] == 65 * 60
    assert sessions["SIMULINK"]["start"] == "2026-03-02T23:05:00+00:00"
    assert sessions["SIMULINK"]["end_kind"] == "still_open"


def test_a_vendor_daemon_restart_ends_the_sessions_it_held(tmp_path):
    path = log(tmp_path / "restart.log",
               " 9:00:00 (lmgrd) TIMESTAMP 3/2/2026",
               ' 9:01:00 (MLM) OUT: "MATLAB" jdoe@host1  ',
               " 9:30:00 (lmgrd) Started MLM (internet tcp_port 27010 pid 4242)",
               ' 9:31:00 (MLM) OUT: "MATLAB" amy@host2  ')
    assert imported(tmp_path, path)["sessions"] == "2 (1 still open)"
    ended = {s["user"]: s["end_kind"] for s in listed(tmp_path, "sessions")}
    assert ended == {"jdoe": "server_restart", "amy": "still_open"}


def test_a_log_longer_than_a_bulk_insert_is_written_whole_and_once(tmp_path):
    # SQLite takes the rows 64 to a statement: 200 events are three whole statements of
    # them and 8 rows on their own; 70 sessions ended, one statement and 6 rows
    lines = [" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026"]
    for i in range(100):
        lines.append(f' 9:{i // 60:02}:{i % 60:02} (MLM) OUT: "MATLAB" user{i}@host{i}  ')
    for i in range(70):  # the first 70 come back
        lines.append(f'10:{i // 60:02}:{i % 60:02} (MLM) IN: "MATLAB" user{i}@host{i}  ')
    for i in range(30):
        lines.append(f'11:{i // 60:02}:{i % 60:02} (MLM) DENIED: "SIMULINK" user{i}@host{i}'
                     f'  (Licensed number of users already reached. (-4,342))')
    path = log(tmp_path / "busy.log", *lines)
    first = imported(tmp_path, path)
    assert (first["events"], first["sessions"], first["denials"]) == (
        "200 (200 new)", "100 (30 still open)", "30")
    assert imported(tmp_path, path)["events"] == "200 (0 new)"
    sessions = listed(tmp_path, "sessions", "--tz", "UTC")
    assert len(sessions) == 100
    ended = {s["user"]: (s["end_kind"], s["end"]) for s in sessions}
    assert ended["user69"] == ("in", "2026-03-02T09:01:09+00:00")  # 10:01:09 in Madrid
    assert ended["user70"] == ("still_open", None)
    assert info(tmp_path)["rows"]["events"] == 200
    assert len(listed(tmp_path, "denials")) == 30


def test_a_write_that_fails_midway_leaves_whole_batches_and_a_second_import_completes(
        tmp_path):
    # 25,000 OUTs and their INs: batches of 20,000 rows, the second of which the database
    # refuses (a trigger stands for a full disk); the import says so and exits 3
    lines = [" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026"]
    for i in range(12_500):
        lines.append(f' 9:{i // 60 % 60:02}:{i % 60:02} (MLM) OUT: "MATLAB" u{i}@h  ')
        lines.append(f'10:{i // 60 % 60:02}:{i % 60:02} (MLM) IN: "MATLAB" u{i}@h  ')
    path = log(tmp_path / "long.log", *lines)
    assert lmconsole(tmp_path, "history", "info", "--database",
                     database(tmp_path)).returncode == 0  # created, empty
    with sqlite3.connect(tmp_path / "history.db") as connection:
        connection.execute("CREATE TRIGGER full_disk BEFORE INSERT ON events "
                           "WHEN NEW.line > 20001 BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    failed = lmconsole(tmp_path, "import", str(path), "--server", "upm", "--server-tz",
                       "Europe/Madrid", "--database", database(tmp_path))
    assert failed.returncode == 3 and "Traceback" not in failed.stderr
    assert "cannot write the history" in failed.stderr and "disk full" in failed.stderr
    assert info(tmp_path)["rows"]["events"] == 20_000  # the first batch, whole
    with sqlite3.connect(tmp_path / "history.db") as connection:
        connection.execute("DROP TRIGGER full_disk")
    again = imported(tmp_path, path)
    assert again["events"] == "25,000 (5,000 new)"
    assert again["sessions"] == "12,500 (0 still open)"
    whole = imported(tmp_path / "fresh", path)
    assert info(tmp_path)["rows"] == info(tmp_path / "fresh")["rows"]
    assert whole["in use"] == again["in use"]

def test_an_import_interrupted_says_so_and_a_second_import_completes_it(tmp_path):
    """Ctrl-C: exit 130 and what it leaves said; the rows written are kept, and importing
    the files again ends with the history a whole import makes."""
    lines = [" 0:00:00 (lmgrd) TIMESTAMP 3/2/2026"]
    for i in range(45_000):  # a checkout every 2 s for a day and a bit: across midnight
        t = 2 * i
        clock = f"{t // 3600 % 24:2}:{t // 60 % 60:02}:{t % 60:02}"
        lines += [f'{clock} (MLM) OUT: "MATLAB" u{i % 500}@h{i % 70}  ',
                  f'{clock} (MLM) IN: "MATLAB" u{i % 500}@h{i % 70}  ']
    path = log(tmp_path / "long.log", *lines)
    importing = subprocess.Popen(
        [sys.executable, "-m", "lmconsole", "import", str(path), "--server", "upm",
         "--server-tz", "Europe/Madrid", "--database", database(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
             "XDG_DATA_HOME": str(tmp_path / "data")},
        # Ctrl-C as at a terminal, even when the suite itself was started in the background
        # (a non-interactive shell's `&` ignores SIGINT, and children inherit that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for _ in range(3000):  # interrupted once a batch is in, however loaded the machine
            if rows_in(tmp_path / "history.db", "events"):
                break
            time.sleep(0.01)
        importing.send_signal(signal.SIGINT)
        out, err = importing.communicate(timeout=60)
    finally:
        importing.kill()
    assert importing.returncode == 130 and "Traceback" not in err
    assert "interrupted: the rows written so far are kept" in err
    assert 0 < info(tmp_path)["rows"]["events"] < 90_000
    again = imported(tmp_path, path)
    assert again["sessions"] == "45,000 (0 still open)"
    whole = imported(tmp_path / "fresh", path)
    assert info(tmp_path)["rows"] == info(tmp_path / "fresh")["rows"]
    assert whole["in use"] == again["in use"]
    assert sums_are_exact(database(tmp_path)) == sums_are_exact(database(tmp_path / "fresh"))


def rows_in(path: Path, table: str) -> int:
    """The rows of `table` in the SQLite history at `path`, read directly (a `history info`
    each time is too slow to catch a writer between two batches); 0 before it is made."""
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        try:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:  # its tables not made yet
            return 0


def test_the_spring_dst_change_is_an_hour_skipped(tmp_path):
    log = tmp_path / "spring.log"
    log.write_text(' 1:59:00 (lmgrd) TIMESTAMP 3/29/2026\n'
                   ' 1:59:30 (adskflex) OUT: "AutoCAD" a@h1\n'
                   ' 3:00:30 (adskflex) IN: "AutoCAD" a@h1\n')  # one minute later in Madrid
    imported(tmp_path, log)
    (session,) = listed(tmp_path, "sessions")
    assert (session["start"], session["end"], session["duration_s"]) == (
        "2026-03-29T00:59:30+00:00", "2026-03-29T01:00:30+00:00", 60)


def test_the_autumn_dst_change_reads_the_hour_twice_in_order(tmp_path):
    log = tmp_path / "autumn.log"
    denied = '  (Licensed number of users already reached. (-4,342))'
    log.write_text(' 2:20:00 (lmgrd) TIMESTAMP 10/25/2026\n'
                   ' 2:30:10 (adskflex) OUT: "AutoCAD" a@h1\n'  # summer time: 00:30:10 UTC
                   f' 2:59:50 (adskflex) DENIED: "AutoCAD" d1@h2{denied}\n'
                   ' 2:10:00 (adskflex) IN: "AutoCAD" a@h1\n'  # the clock went back: winter
                   f' 2:40:00 (adskflex) DENIED: "AutoCAD" d2@h2{denied}\n')
    imported(tmp_path, log)
    (session,) = listed(tmp_path, "sessions")
    assert (session["start"], session["end"], session["duration_s"]) == (
        "2026-10-25T00:30:10+00:00", "2026-10-25T01:10:00+00:00", 39 * 60 + 50)
    assert [d["at"] for d in listed(tmp_path, "denials")] == [
        "2026-10-25T00:59:50+00:00", "2026-10-25T01:40:00+00:00"]


def test_without_server_tz_the_zone_is_the_one_the_servers_history_was_read_in(tmp_path):
    first = log(tmp_path / "mlm.log.1", " 8:00:00 (lmgrd) TIMESTAMP 3/2/2026",
                ' 9:00:00 (MLM) OUT: "MATLAB" jdoe@host1')
    later = log(tmp_path / "mlm.log", " 8:00:00 (lmgrd) TIMESTAMP 3/3/2026",
                ' 9:00:00 (MLM) IN: "MATLAB" jdoe@host1')
    imported(tmp_path, first)  # in Europe/Madrid; the machine's zone is another
    env_tz = {**os.environ, "TZ": "America/New_York"}
    result = subprocess.run(
        [sys.executable, "-m", "lmconsole", "import", str(later), "--server", "upm",
         "--database", database(tmp_path)], capture_output=True, text=True, timeout=120,
        env={**env_tz, "XDG_CONFIG_HOME": str(tmp_path / "config"),
             "XDG_DATA_HOME": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr
    assert "Europe/Madrid" in result.stdout  # the time span, in the zone it was read in
    (session,) = listed(tmp_path, "sessions")
    assert (session["start"], session["end"]) == ("2026-03-02T08:00:00+00:00",
                                                  "2026-03-03T08:00:00+00:00")


@pytest.mark.parametrize("compressed", [False, True])
def test_a_line_of_megabytes_is_cut_and_the_lines_after_it_are_read(tmp_path, compressed):
    text = "\n".join((" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026",
                      ' 9:00:00 (MLM) OUT: "MATLAB" jdoe@host1  ' + "x" * 3_000_000,
                      ' 9:30:00 (MLM) IN: "MATLAB" jdoe@host1',
                      ' 9:40:00 (MLM) OUT: "MATLAB" ann@host2')) + "\n"
    path = tmp_path / ("mlm.log.gz" if compressed else "mlm.log")
    path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    result = lmconsole(tmp_path, "import", str(path), "--server", "upm", "--server-tz",
                       "Europe/Madrid", "--database", database(tmp_path))
    assert summary(result)["events"] == "3 (3 new)"
    assert "1 line(s) longer than 65,536 bytes (the first at byte 36): read to there" \
        in result.stderr
    assert [(s["user"], s["end_kind"]) for s in listed(tmp_path, "sessions")] == [
        ("jdoe", "in"), ("ann", "still_open")]
    assert imported(tmp_path, path)["events"] == "3 (0 new)"  # the same offsets again


def test_a_log_without_any_date_is_dated_by_its_modification_time(tmp_path):
    log = tmp_path / "undated.log"
    log.write_text('23:59:00 (adskflex) OUT: "AutoCAD" a@h1\n'
                   ' 0:01:00 (adskflex) IN: "AutoCAD" a@h1\n')  # over a midnight
    written = datetime(2026, 3, 3, 12, tzinfo=UTC).timestamp()
    os.utime(log, (written, written))
    result = lmconsole(tmp_path, "import", str(log), "--server", "upm", "--server-tz",
                       "Europe/Madrid", "--database", database(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "counted back from its modification time, 2026-03-03" in result.stderr
    (session,) = listed(tmp_path, "sessions")
    assert (session["start"], session["duration_s"]) == ("2026-03-02T22:59:00+00:00", 120)


def test_listings_filter_by_period_server_feature_and_user(tmp_path):
    imported(tmp_path, ADSKFLEX, MLM)
    matlab = listed(tmp_path, "denials", "--feature", "MATLAB")
    assert len(matlab) == 4 and {d["feature"] for d in matlab} == {"MATLAB"}
    assert [d["user"] for d in listed(tmp_path, "denials", "--user", "Javier")] == ["Javier"]
    assert listed(tmp_path, "denials", "--server", "elsewhere") == []
    may = listed(tmp_path, "denials", "--from", "2022-05-05", "--to", "2022-05-05",
                 "--tz", "Europe/Madrid")
    assert len(may) == 2
    csv = lmconsole(tmp_path, "history", "denials", "--format", "csv", "--database",
                    database(tmp_path))
    assert csv.returncode == 0 and len(csv.stdout.splitlines()) == 1 + 6


# ---- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_nul_bytes_a_crash_or_a_copytruncate_left_are_dropped_as_a_follow_drops_them(
        tmp_path, engine, request):
    """A run of NULs longer than a line may be, and NULs within lines: the lines around
    them read, their words without NULs (which PostgreSQL's text refuses)."""
    url = database(tmp_path) if engine == "sqlite" else \
        request.getfixturevalue("postgres").new_database()
    head = [" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026"] + [
        f' 8:{i // 60:02}:{i % 60:02} (MLM) OUT: "MATLAB" u{i}@ws1  ' for i in range(300)]
    path = tmp_path / "mlm.log"
    path.write_bytes("\n".join(head).encode() + b"\n" + b"\0" * 200_000
                     + b' 9:10:00 (MLM) OUT: "MATLAB" bob@ws2  \n'
                     + b' 9:11:00 (MLM) IN: "MAT\0LAB" u1@ws1  \n'
                     + b' 9:12:00 (MLM) DENIED: "MATLAB" e\0ve@ws3  (Licensed number of '
                       b'users already reached. (-4,342))\n')
    result = lmconsole(tmp_path, "import", str(path), "--server", "upm", "--server-tz", "UTC",
                       "--database", url)
    assert (summary(result)["events"], summary(result)["sessions"]) == (
        "303 (303 new)", "301 (300 still open)")
    assert "3 line(s) held NUL bytes" in result.stderr  # the hole's end on bob's
    history = ("--database", url, "--format", "json")
    result = lmconsole(tmp_path, "history", "denials", *history)
    assert [d["user"] for d in json.loads(result.stdout)] == ["eve"]
    result = lmconsole(tmp_path, "history", "sessions", "--user", "u1", *history)
    assert [s["end_kind"] for s in json.loads(result.stdout)] == ["in"]
    result = lmconsole(tmp_path, "history", "sessions", "--user", "bob", *history)
    assert len(json.loads(result.stdout)) == 1


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_words_longer_than_their_columns_are_kept_cut_not_refused(tmp_path, engine, request):
    """A garbled line's user, host, feature or reason code may be longer than its column:
    PostgreSQL refused the whole batch (the import ended in a traceback, a collector would
    have stopped at that line for good); its rows are now written, the words cut."""
    url = database(tmp_path) if engine == "sqlite" else \
        request.getfixturevalue("postgres").new_database()
    path = log(tmp_path / "mlm.log", " 8:00:00 (lmgrd) TIMESTAMP 3/2/2026",
               f' 9:00:00 (MLM) OUT: "MATLAB" {"u" * 300}@ws1  ',
               f' 9:01:00 (MLM) DENIED: "{"F" * 250}" bob@{"h" * 300}  (Licensed number of '
               f'users already reached. (-4,342:10054 "{"w" * 60}"))',
               ' 9:02:00 (MLM) OUT: "MATLAB" ann@ws1  ')
    result = lmconsole(tmp_path, "import", str(path), "--server", "upm", "--server-tz", "UTC",
                       "--database", url)
    assert summary(result)["events"] == "3 (3 new)"
    history = ("--database", url, "--format", "json")
    sessions = json.loads(lmconsole(tmp_path, "history", "sessions", *history).stdout)
    (denial,) = json.loads(lmconsole(tmp_path, "history", "denials", *history).stdout)
    assert sorted(s["user"][:3] for s in sessions) == ["ann", "uuu"]
    assert denial["feature"].startswith("F" * 200) and denial["host"].startswith("h" * 200)
    if engine == "postgresql":  # SQLite keeps what it is given
        assert {len(s["user"]) for s in sessions} == {3, 200}
        assert (len(denial["feature"]), len(denial["host"]), len(denial["code"])) == (
            200, 200, 40)


def test_a_log_that_starts_with_a_hole_is_imported_unless_its_head_is_all_hole(tmp_path):
    lines = b' 8:00:00 (lmgrd) TIMESTAMP 3/2/2026\n 9:00:00 (MLM) OUT: "MATLAB" ann@ws1  \n'
    (tmp_path / "short_hole.log").write_bytes(b"\0" * 3000 + lines)
    (tmp_path / "long_hole.log").write_bytes(b"\0" * 20_000 + lines)
    (tmp_path / "binary.log").write_bytes(b"\x7fELF\x02\x01\x01\0\0\0" + lines)
    result = lmconsole(tmp_path, "import", *(str(tmp_path / name) for name in (
        "short_hole.log", "long_hole.log", "binary.log")), "--server", "upm",
        "--server-tz", "UTC", "--database", database(tmp_path))
    assert result.returncode == 2
    assert "long_hole.log: its first 8,192 bytes are all NUL" in result.stderr
    assert "binary.log: a binary file, not a log" in result.stderr
    assert "events       1 (1 new)" in result.stdout  # short_hole.log's, the others refused


def test_an_unreadable_file_is_said_and_the_others_are_imported(tmp_path):
    result = lmconsole(tmp_path, "import", str(tmp_path / "missing.log"), str(ADSKFLEX),
                       "--server", "upm", "--database", database(tmp_path))
    assert result.returncode == 2
    assert "missing.log" in result.stderr and "Traceback" not in result.stderr
    assert info(tmp_path)["rows"]["events"] == 17


def test_an_import_that_reads_no_file_leaves_no_server_behind(tmp_path):
    """A mistyped path, or --server name, is no server of the history."""
    result = lmconsole(tmp_path, "import", str(tmp_path / "missing.log"), "--server", "typo",
                       "--database", database(tmp_path))
    assert result.returncode == 2 and "missing.log" in result.stderr
    imported(tmp_path, ADSKFLEX)
    assert info(tmp_path)["servers"] == ["upm"]


@pytest.mark.parametrize("command", [("history", "sessions"), ("history", "denials"),
                                     ("report", "utilisation")])
def test_a_history_named_that_does_not_exist_is_an_error_not_an_empty_answer(tmp_path, command):
    imported(tmp_path, ADSKFLEX)
    mistyped = tmp_path / "histroy.db"
    result = lmconsole(tmp_path, *command, "--database", f"sqlite:///{mistyped}")
    assert result.returncode == 2
    assert f"{mistyped}: no history database there" in result.stderr
    assert not mistyped.exists()
    result = lmconsole(tmp_path, *command, "--database", database(tmp_path))
    assert result.returncode == 0, result.stderr


def test_a_path_names_the_sqlite_file_and_a_url_that_is_none_is_a_usage_error(tmp_path):
    result = lmconsole(tmp_path, "import", str(ADSKFLEX), "--server", "upm", "--server-tz",
                       "Europe/Madrid", "--database", "history.db", cwd=tmp_path)
    assert summary(result)["events"] == "17 (17 new)"
    assert info(tmp_path)["servers"] == ["upm"]  # sqlite:///<tmp_path>/history.db
    for url, words in (("mysql://db.example.com/history", "mysql is not supported"),
                       ("postgresql://db.example.com:port/history", "not a URL"),
                       ("postgresql://[::1/history", "not a URL")):
        result = lmconsole(tmp_path, "history", "info", "--database", url)
        assert result.returncode == 2, (url, result.stderr)
        assert f"--database {url!r}: " in result.stderr, result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, code, words", [
    (("--from", "yesterday"), 2, "--from 'yesterday'"),
    (("--from", "2026-03-02", "--to", "2026-03-01"), 2, "is not after"),
    (("--tz", "Mars/Olympus"), 2, "unknown time zone"),
])
def test_bad_options_are_usage_errors(tmp_path, args, code, words):
    result = lmconsole(tmp_path, "history", "sessions", "--database", database(tmp_path),
                       *args)
    assert result.returncode == code and words in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_that_cannot_be_reached_exits_3(tmp_path):
    result = lmconsole(tmp_path, "history", "info", "--database",
                       "postgresql://nobody@127.0.0.1:1/history")
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("lmconsole: error: ") and "Traceback" not in result.stderr


# ---- the same on PostgreSQL --------------------------------------------------------------------

def test_the_corpus_on_postgresql_imported_twice_counts_once(tmp_path, postgres):
    url = postgres.new_database()

    def run(*args):
        return lmconsole(tmp_path, *args, "--database", url)

    first = summary(run("import", str(ADSKFLEX), str(MLM), "--server", "upm",
                        "--server-tz", "Europe/Madrid"))
    assert first["events"] == "57 (57 new)" and first["denials"] == "6"  # 17 + 40
    again = summary(run("import", str(MLM), str(ADSKFLEX), "--server", "upm"))
    assert again["events"] == "57 (0 new)"
    facts = json.loads(run("history", "info", "--format", "json").stdout)
    assert (facts["rows"]["events"], facts["rows"]["sessions"], facts["rows"]["denials"]) == (
        57, 47, 6)
    denials = json.loads(run("history", "denials", "--format", "json", "--user",
                             "Javier").stdout)
    assert [(d["feature"], d["code"]) for d in denials] == [("MATLAB", "-5,346")]


# ---- several logs of one server --------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return database(tmp_path)
    return request.getfixturevalue("postgres").new_database()


# One server, a debug log per vendor daemon: adskflex's stops on March 2 with alice's seat
# still out (its last event at 11:00); MLM's goes on until March 10.
ADSKFLEX_LINES = (" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026",
                  ' 9:00:00 (adskflex) OUT: "AutoCAD" alice@pc1',
                  '10:00:00 (adskflex) OUT: "AutoCAD" bob@pc2',
                  '11:00:00 (adskflex) IN: "AutoCAD" bob@pc2')
MLM_LINES = (" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026",
             ' 9:00:00 (MLM) OUT: "MATLAB" carol@pc3',
             ' 9:30:00 (MLM) IN: "MATLAB" carol@pc3',
             " 8:00:00 (lmgrd) TIMESTAMP 3/10/2026",
             '12:00:00 (MLM) OUT: "MATLAB" dave@pc4',
             '13:00:00 (MLM) IN: "MATLAB" dave@pc4')


def report_rows(tmp_path: Path, url: str, name: str, *options: str) -> list[dict]:
    result = lmconsole(tmp_path, "report", name, "--from", "2026-03-01", "--to", "2026-03-12",
                       "--tz", "UTC", "--format", "json", "--database", url, *options)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["rows"]


def import_daemon_logs(tmp_path: Path, url: str, *adskflex_after: str) -> None:
    adskflex = log(tmp_path / "adskflex.log", *ADSKFLEX_LINES, *adskflex_after)
    mlm = log(tmp_path / "mlm.log", *MLM_LINES)
    summary(lmconsole(tmp_path, "import", str(mlm), str(adskflex), "--server", "upm",
                      "--server-tz", "UTC", "--database", url))


def test_a_session_left_open_is_held_until_its_daemons_log_ends_not_anothers(tmp_path, url):
    import_daemon_logs(tmp_path, url)
    users = {row["user"]: row
             for row in report_rows(tmp_path, url, "users", "--feature", "AutoCAD")}
    assert users["alice"]["hours"] == 2.0  # 9:00 to 11:00, where adskflex's log ends
    assert users["bob"]["hours"] == 1.0
    assert report_rows(tmp_path, url, "users", "--feature", "MATLAB")  # MLM's, as they were
    days = {row["bucket"]: row for row in report_rows(tmp_path, url, "concurrency",
                                                      "--feature", "AutoCAD", "--per", "day")}
    assert days["2026-03-02"]["peak"] == 2
    assert all(days[day]["peak"] == 0 for day in days if day > "2026-03-02")


def test_a_timestamp_after_the_last_event_says_the_daemon_still_held_its_seats(tmp_path, url):
    # adskflex's log goes on past its last event: its TIMESTAMP lines, to March 3 at 8:00
    import_daemon_logs(tmp_path, url, "20:00:00 (adskflex) TIMESTAMP 3/2/2026",
                       " 8:00:00 (adskflex) TIMESTAMP 3/3/2026")
    users = {row["user"]: row
             for row in report_rows(tmp_path, url, "users", "--feature", "AutoCAD")}
    assert users["alice"]["hours"] == 23.0  # 9:00 on March 2 to 8:00 on March 3
    days = {row["bucket"]: row for row in report_rows(tmp_path, url, "concurrency",
                                                      "--feature", "AutoCAD", "--per", "day")}
    assert (days["2026-03-02"]["peak"], days["2026-03-03"]["peak"]) == (2, 1)
    assert all(days[day]["peak"] == 0 for day in days if day > "2026-03-03")
