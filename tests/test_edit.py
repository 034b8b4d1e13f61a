"""Saving, backing up, re-reading and rolling back an options file (lmconsole.edit), with the
local transport on temporary files and on a simulator's state directory."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.audit import AuditLog
from lmconsole.config import ServerConfig
from lmconsole.edit import (
    Backup,
    ReadOnlyError,
    RereadResult,
    await_reread,
    backup_name,
    confirm_reread,
    list_backups,
    open_file,
    recent_events,
    reread,
    rollback,
    save_file,
)
from lmconsole.model import Event, EventKind

from .conftest import SIM_LMUTIL

NOW = datetime(2026, 3, 9, 10, 15, 30, tzinfo=UTC)
GOOD = "GROUP cad anna ben\nINCLUDE AutoCAD GROUP cad\n"


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def audit(tmp_path) -> AuditLog:
    return AuditLog(tmp_path / "state" / "audit.log", user=lambda: "admin", now=lambda: NOW)


@pytest.fixture
def options(tmp_path) -> Path:
    path = tmp_path / "srv" / "adskflex.opt"
    path.parent.mkdir()
    path.write_text("# the office\nINCLUDE AutoCAD USER anna\n")
    return path


OPTIONS_FILE = ADAPTERS["flexlm"].options_language(None)


def save(path: Path, text: str, stat, audit, **options):
    options.setdefault("language", OPTIONS_FILE)
    return run(save_file(LocalTransport(), str(path), text, stat, server="office",
                         audit=audit, now=NOW, **options))


def test_a_good_change_is_saved_with_a_backup_and_an_audited_diff(options, audit):
    draft = run(open_file(LocalTransport(), str(options)))
    assert draft.text.startswith("# the office")
    result = save(options, GOOD, draft.stat, audit)
    assert result.saved, result.message
    assert options.read_text() == GOOD
    backup = Path(result.backup)
    assert backup.name == "adskflex.opt.20260309T101530Z.bak"
    assert backup.read_text() == draft.text
    (entry,) = audit.entries()
    assert entry["action"] == "save-options" and entry["outcome"] == "ok"
    assert entry["who"] == "admin" and entry["server"] == "office"
    assert "-INCLUDE AutoCAD USER anna" in entry["diff"]
    assert "+INCLUDE AutoCAD GROUP cad" in entry["diff"]
    assert result.stat == run(open_file(LocalTransport(), str(options))).stat


def test_errors_block_the_save_unless_forced(options, audit):
    draft = run(open_file(LocalTransport(), str(options)))
    bad = draft.text + "INCLUDE AutoCAD GROUP nobody\n"
    result = save(options, bad, draft.stat, audit)
    assert result.outcome == "invalid" and "OPT005" in result.message
    assert "line 3" in result.message
    assert options.read_text() == draft.text
    assert list(options.parent.glob("*.bak")) == []
    assert audit.entries()[-1]["outcome"] == "refused"
    forced = save(options, bad, draft.stat, audit, force=True)
    assert forced.saved and options.read_text() == bad


def test_a_file_changed_since_it_was_opened_is_not_overwritten(options, audit):
    draft = run(open_file(LocalTransport(), str(options)))
    options.write_text("# someone else's change, made meanwhile\n")
    result = save(options, GOOD, draft.stat, audit)
    assert result.outcome == "conflict"
    assert "changed on the server since you opened it" in result.message
    assert options.read_text() == "# someone else's change, made meanwhile\n"
    assert list(options.parent.glob("*.bak")) == []  # nothing written at all
    (entry,) = audit.entries()
    assert entry["outcome"] == "refused" and "changed on the server" in entry["output"]


def test_the_encoding_and_a_byte_order_mark_are_kept(options, audit):
    options.write_bytes("\ufeff# B\u00fcro\nINCLUDE AutoCAD USER anna\n".encode())
    draft = run(open_file(LocalTransport(), str(options)))
    assert draft.encoding == "utf-8-sig" and draft.text.startswith("# B\u00fcro")
    save(options, draft.text + "INCLUDE Revit USER anna\n", draft.stat, audit,
         encoding=draft.encoding)
    assert options.read_bytes().startswith(b"\xef\xbb\xbf# B\xc3\xbcro")


def test_backups_in_the_same_second_do_not_overwrite_each_other():
    taken = ["/srv/a.opt.20260309T101530Z.bak"]
    assert backup_name("/srv/a.opt", NOW) == "/srv/a.opt.20260309T101530Z.bak"
    assert backup_name("/srv/a.opt", NOW, taken) == "/srv/a.opt.20260309T101530Z-2.bak"


def test_backups_are_listed_newest_first_and_a_rollback_is_itself_backed_up(options, audit):
    original = options.read_text()
    transport = LocalTransport()
    draft = run(open_file(transport, str(options)))
    first = save(options, GOOD, draft.stat, audit)
    second = save(options, GOOD + "MAX 2 AutoCAD USER ben\n", first.stat, audit)
    (options.parent / "other.opt.20260309T101530Z.bak").write_text("not ours")
    backups = run(list_backups(transport, str(options)))
    assert [b.path for b in backups] == [second.backup, first.backup]
    assert all(isinstance(b, Backup) and b.taken == NOW.replace(microsecond=0) for b in backups)
    result = run(rollback(transport, str(options), backups[-1], server="office", audit=audit,
                          now=NOW + timedelta(minutes=1)))
    assert result.saved and options.read_text() == original
    assert Path(result.backup).read_text() == GOOD + "MAX 2 AutoCAD USER ben\n"
    entry = audit.entries()[-1]
    assert entry["action"] == "rollback-options" and entry["outcome"] == "ok"
    assert "-MAX 2 AutoCAD USER ben" in entry["diff"]


def test_read_only_refuses_every_change(options, audit, tmp_path):
    draft = run(open_file(LocalTransport(), str(options)))
    with pytest.raises(ReadOnlyError):
        save(options, GOOD, draft.stat, audit, read_only=True)
    with pytest.raises(ReadOnlyError):
        run(rollback(LocalTransport(), str(options), str(options), server="office",
                     audit=audit, now=NOW, read_only=True))
    config = ServerConfig("office", lmutil=SIM_LMUTIL)
    with pytest.raises(ReadOnlyError):
        run(reread(LocalTransport(), config, ADAPTERS["flexlm"], audit=audit, read_only=True))
    assert audit.entries() == [] and options.read_text() == draft.text


def test_nothing_is_saved_when_the_audit_log_cannot_be_written(options, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    draft = run(open_file(LocalTransport(), str(options)))
    with pytest.raises(OSError):
        save(options, GOOD, draft.stat, AuditLog(blocker / "audit.log"))
    assert options.read_text() == draft.text


# ---- lmreread ---------------------------------------------------------------------------------

def test_the_reread_command_names_the_licence_and_the_vendor():
    config = ServerConfig("office", lmutil="/opt/lmutil", license="27000@lic", vendor="adskflex")
    assert ADAPTERS["flexlm"].reread_argv(config) == [
        "/opt/lmutil", "lmreread", "-c", "27000@lic", "-vendor", "adskflex"]
    assert ADAPTERS["flexlm"].reread_argv(ServerConfig("x")) == ["lmutil", "lmreread"]


def reread_event(daemon: str) -> Event:
    return Event(NOW, EventKind.REREAD, daemon)


def test_the_debug_log_confirms_a_reread_only_without_errors():
    ok = confirm_reread([reread_event("adskflex")], ["(adskflex) ...Finished rereading"],
                        vendor="adskflex")
    assert ok.confirmed and ok.daemons == ("adskflex",) and "confirms" in ok.message
    assert not confirm_reread([reread_event("ugslmd")], vendor="adskflex").confirmed
    assert not confirm_reread([]).confirmed
    bad = confirm_reread([reread_event("adskflex")],
                         ['10:00:01 (adskflex) Options file: line 3: unknown keyword "FOO"'])
    assert not bad.confirmed and "errors" in bad.message
    denial = ['10:00:02 (adskflex) DENIED: "AutoCAD" ben@pc1  (Cannot connect (-15,10))']
    assert confirm_reread([reread_event("adskflex")], denial).confirmed


def test_the_reread_confirmation_reads_only_what_the_log_gained(sim_server, audit):
    transport, adapter = LocalTransport(), ADAPTERS["flexlm"]
    run(reread(transport, sim_server, adapter, audit=audit))
    end = os.path.getsize(sim_server.debug_log)  # the re-read is logged before this byte
    log = sim_server.debug_log
    before = run(await_reread(transport, sim_server, adapter, [(log, 0)], attempts=1))
    after = run(await_reread(transport, sim_server, adapter, [(log, end)], attempts=1))
    assert before.confirmed and not after.confirmed and after.daemons == ()


def test_reread_runs_lmreread_and_the_debug_log_confirms_it(sim_server, audit):
    transport, adapter = LocalTransport(), ADAPTERS["flexlm"]
    result = run(reread(transport, sim_server, adapter, audit=audit))
    assert isinstance(result, RereadResult) and result.ok, result.output
    assert "lmreread successful" in result.output
    assert result.argv[1:] == ("lmreread", "-c", sim_server.license, "-vendor", "adskflex")
    ((log, size),) = result.log_sizes
    assert log == sim_server.debug_log and 0 < size < os.path.getsize(log)
    check = run(await_reread(transport, sim_server, adapter, result.log_sizes))
    assert check.confirmed and check.daemons == ("adskflex",), check
    (entry,) = audit.entries()
    assert entry["action"] == "lmreread" and entry["outcome"] == "ok"


def test_with_several_debug_logs_the_reread_is_confirmed_by_the_one_that_logs_it(
        sim_server, audit, tmp_path):
    other = tmp_path / "ugslmd.log"  # another vendor daemon's log: quiet
    other.write_text('9:00:00 (ugslmd) OUT: "NX" ann@ws1\n')
    server = replace(sim_server, debug_log=None, debug_logs=(str(other), sim_server.debug_log))
    transport, adapter = LocalTransport(), ADAPTERS["flexlm"]
    result = run(reread(transport, server, adapter, audit=audit))
    assert result.ok, result.output
    assert [log for log, _size in result.log_sizes] == [str(other), sim_server.debug_log]
    assert dict(result.log_sizes)[str(other)] == other.stat().st_size
    check = run(await_reread(transport, server, adapter, result.log_sizes))
    assert check.confirmed and check.daemons == ("adskflex",), check
    # a log that cannot be read is left out: the others still confirm
    gone = replace(server, debug_logs=(str(tmp_path / "gone.log"), sim_server.debug_log))
    result = run(reread(transport, gone, adapter, audit=audit))
    assert [log for log, _size in result.log_sizes] == [sim_server.debug_log]
    assert run(await_reread(transport, gone, adapter, result.log_sizes)).confirmed


def test_the_recent_events_of_several_debug_logs_are_read_in_time_order(tmp_path):
    logs = [tmp_path / "adskflex.log", tmp_path / "ugslmd.log", tmp_path / "missing.log"]
    logs[0].write_text('9:00:00 (lmgrd) TIMESTAMP 3/2/2026\n'
                       '9:00:00 (adskflex) OUT: "AutoCAD" ann@ws1\n'
                       '9:20:00 (adskflex) IN: "AutoCAD" ann@ws1\n')
    logs[1].write_text('9:00:00 (lmgrd) TIMESTAMP 3/2/2026\n'
                       '9:10:00 (ugslmd) OUT: "NX" bob@ws2\n')
    server = ServerConfig("eng", debug_logs=tuple(map(str, logs)), timezone="UTC")
    events = run(recent_events(LocalTransport(), server, ADAPTERS["flexlm"]))
    assert [(e.kind, e.feature, e.user) for e in events] == [
        (EventKind.OUT, "AutoCAD", "ann"), (EventKind.OUT, "NX", "bob"),
        (EventKind.IN, "AutoCAD", "ann")]


def test_an_options_error_the_daemon_reports_on_reread_is_not_confirmed(sim_server, audit):
    transport, adapter = LocalTransport(), ADAPTERS["flexlm"]
    draft = run(open_file(transport, sim_server.options_file))
    saved = run(save_file(transport, sim_server.options_file,
                          draft.text + "INCLUDE AutoCAD BADTYPE anna\n", draft.stat,
                          server="office", audit=audit, now=NOW, force=True,
                          language=OPTIONS_FILE))
    assert saved.saved
    result = run(reread(transport, sim_server, adapter, audit=audit))
    check = run(await_reread(transport, sim_server, adapter, result.log_sizes, attempts=1))
    assert not check.confirmed and check.errors, check


def test_a_failing_lmreread_is_reported_and_audited_as_failed(sim_server, audit, monkeypatch):
    monkeypatch.setenv("LMCONSOLE_SIM_DIR", str(Path(sim_server.debug_log).parent / "nowhere"))
    result = run(reread(LocalTransport(), sim_server, ADAPTERS["flexlm"], audit=audit))
    assert not result.ok and "holds no simulation" in result.output
    assert audit.entries()[-1]["outcome"] == "failed"


LICENCE = """SERVER lic1 001e67a4b2c1 27000
VENDOR adskflex options=/opt/lic/adskflex.opt
INCREMENT AutoCAD adskflex 1.000 31-dec-2030 10 SIGN="0B4C 6E52"
"""


def test_a_licence_file_saves_admin_fields_and_never_a_signed_change(tmp_path, audit):
    path = tmp_path / "license.lic"
    path.write_text(LICENCE)
    licence = ADAPTERS["flexlm"].license_language()
    draft = run(open_file(LocalTransport(), str(path)))
    forged = LICENCE.replace(" 10 ", " 20 ")
    for force in (False, True):  # not even forced
        result = save(path, forged, draft.stat, audit, language=licence, force=force)
        assert result.outcome == "forbidden" and "LIC018" in result.message, result
        assert "'20' changed (was '10')" in result.message
    assert path.read_text() == LICENCE and list(tmp_path.glob("*.bak")) == []
    assert [e["outcome"] for e in audit.entries()] == ["refused", "refused"]
    assert audit.entries()[0]["action"] == "save-license"
    moved = LICENCE.replace("lic1", "lic2").replace("/opt/lic/", "/srv/flexlm/")
    result = save(path, moved + "USE_SERVER\n", draft.stat, audit, language=licence)
    assert result.saved, result.message
    assert path.read_text() == moved + "USE_SERVER\n"


def test_the_backup_keeps_the_originals_owner_and_mode(options, audit):
    nobody, nogroup = 65534, 65534
    if os.geteuid() == 0:
        os.chown(options, nobody, nogroup)
    options.chmod(0o640)
    draft = run(open_file(LocalTransport(), str(options)))
    result = save(options, GOOD, draft.stat, audit)
    assert result.saved, result.message
    backup = Path(result.backup).stat()
    assert backup.st_mode & 0o777 == 0o640
    if os.geteuid() == 0:
        assert (backup.st_uid, backup.st_gid) == (nobody, nogroup)
