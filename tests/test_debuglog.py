"""The FlexLM debug-log parser: the real logs in the shared corpus, dates and midnight,
every event kind, diagnostics, and a round trip through the simulator's log.

The corpus figures were counted by hand and cross-checked with `grep -c ") OUT: "` etc.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm import debuglog
from lmconsole.adapters.flexlm.debuglog import DebugLogReader, parse_debuglog
from lmconsole.adapters.flexlm.debuglog_dates import WRAP_BACKSTEP_S
from lmconsole.adapters.flexlm.denial_words import denial_reason_words
from lmconsole.adapters.flexlm.sim import SimulatedServer
from lmconsole.adapters.flexlm.sim.daemon import VendorDaemons
from lmconsole.adapters.flexlm.sim.debuglog import DebugLog, usage_line
from lmconsole.model import Event, EventKind

from .corpus import read_corpus
from .test_debuglog_vendor_forms import SAMPLES

MADRID = ZoneInfo("Europe/Madrid")  # the UPM logs: "Hora de verano romance" is CEST
BERLIN = ZoneInfo("Europe/Berlin")
ADSKFLEX = "upm_adskflex_reread_dup_vendor_unsupported_mixed_time_format_EXCERPT.log.txt"
MAPLE = "upm_maplelmg_mixed_versions_blank_line_localized_tz_EXCERPT.log.txt"
MLM = "upm_mlm_unsupported_hex_out_in_EXCERPT.log.txt"
K = EventKind


def corpus_log(name: str) -> str:
    return read_corpus("flexlm", "debuglog", name)


def parse(text: str, tz=BERLIN, **kwargs) -> list[Event]:
    events, diagnostics = parse_debuglog(text, tz=tz, **kwargs)
    assert diagnostics == []
    return events


def kinds(events: list[Event]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind.value] = counts.get(event.kind.value, 0) + 1
    return counts


def local(*fields: int, tz=BERLIN, fold: int = 0) -> datetime:
    return datetime(*fields, tzinfo=tz, fold=fold)


# ---- the real logs ----------------------------------------------------------------------------

def test_adskflex_log_reread_unsupported_and_mixed_time_formats():
    events = parse(corpus_log(ADSKFLEX), tz=MADRID, server="flexlm02")
    assert kinds(events) == {"STARTED": 1, "REREAD": 1, "UNSUPPORTED": 2, "OUT": 11, "IN": 2}
    assert all(e.at.date() == date(2022, 5, 5) and e.server == "flexlm02" for e in events)
    started, reread, unsupported = events[:3]
    # lmgrd's "Started adskflex (pid 4440)": the vendor daemon starts, holding no seat.
    assert started == Event(local(2022, 5, 5, 8, 42, 23, tz=MADRID), K.STARTED, "adskflex",
                            server="flexlm02", line=52)
    # lmgrd's "Requested from upm@flexlm02" names who asked; lmgrd's own "...Finished
    # rereading" (line 221) is not the event, adskflex's (line 225) is.
    assert reread == Event(local(2022, 5, 5, 8, 42, 31, tz=MADRID), K.REREAD, "adskflex",
                           user="upm", host="flexlm02", server="flexlm02", line=225)
    assert unsupported == Event(local(2022, 5, 5, 8, 42, 42, tz=MADRID), K.UNSUPPORTED,
                                "adskflex", "87537INVPROSA_2022_0F", "UPM", "upm00243", 1,
                                "No such feature exists.", "-5,346", "flexlm02", 226)
    ins = [e for e in events if e.kind is K.IN]
    assert [(e.feature, e.user, e.host, e.reason) for e in ins] == [
        ("87545ACD_2022_0F", "UPM", "upm00265", None), ("64300ACD_F", "UPM", "upm00265", None)]
    last = events[-1]
    assert (last.at, last.user, last.host, last.line) == (
        local(2022, 5, 5, 10, 16, 4, tz=MADRID), "upm", "etsidi00064", 240)
    assert last.at.utcoffset() == timedelta(hours=2)


def test_maplelmg_log_bom_blank_line_and_dates_without_usage():
    text = corpus_log(MAPLE)
    assert text.startswith("\ufeff")
    assert parse(text, tz=MADRID) == [Event(local(2022, 6, 9, 10, 25, 28, tz=MADRID),
                                            K.STARTED, "maplelmg", line=36)]
    reader = DebugLogReader(tz=MADRID)
    assert [e.kind for line in text.split("\n") if (e := reader.feed(line))] == [K.STARTED]
    assert reader.dated and reader.date == date(2022, 6, 9)
    assert reader.diagnostics == []


def test_mlm_log_non_ascii_users_and_unsupported_keys():
    events = parse(corpus_log(MLM), tz=MADRID)
    assert kinds(events) == {"OUT": 36, "UNSUPPORTED": 4}
    # The only date is the SLOG "Start-Date: Thu Jun 09 2022 10:25:31" on line 6.
    assert {e.at.date() for e in events} == {date(2022, 6, 9)}
    who = {(e.user, e.host) for e in events}
    assert ("José Juan Galera", "Plasmon") in who
    assert ("Marta Rodriguez", "DESKTOP-L00QHGH") in who
    unsupported = [e for e in events if e.kind is K.UNSUPPORTED]
    assert [(e.user, e.host) for e in unsupported] == [
        ("Javier", "DESKTOP-PV69PK5"), ("alu-escuela", "LIBRE-03"), ("SATCOM1", "SATCOM-02"),
        ("cristian", "cristian-PC")]
    assert {(e.feature, e.reason, e.code) for e in unsupported} == {
        ("MATLAB", "No such feature exists.", "-5,346")}
    assert [e.count for e in events] == [1] * 40


def test_bom_and_crlf_give_the_same_events():
    text = corpus_log(MLM)
    assert parse("\ufeff" + text.replace("\n", "\r\n"), tz=MADRID) == parse(text, tz=MADRID)
    reader = DebugLogReader(tz=MADRID)
    fed = [reader.feed(line + "\r") for line in text.split("\n")]
    assert [e for e in fed if e is not None] == parse(text, tz=MADRID)


# ---- every event kind -------------------------------------------------------------------------

EVERY_KIND = "\n".join([  # the trailing spaces are the real format's
    " 9:00:00 (lmgrd) TIMESTAMP 3/2/2026",
    ' 9:00:01 (adskflex) OUT: "AutoCAD" José Juan Galera@ARCH-PC01  (2 licenses) ',
    ' 9:00:02 (adskflex) IN: "AutoCAD" abauer@ARCH-PC01  (INACTIVE) ',
    ' 9:00:03 (adskflex) IN: "AutoCAD" abauer@ARCH-PC01  (3 licenses) (REMOVED) ',
    ' 9:00:04 (adskflex) DENIED: "AutoCAD" klang@ARCH-PC11  (Licensed number of users already reached. (-4,342))',
    ' 9:00:05 (adskflex) QUEUED: "3dsMax" mhahn@ARCH-PC13  ',
    ' 9:00:06 (adskflex) DEQUEUED: "3dsMax" mhahn@ARCH-PC13  ',
    ' 9:00:07 (adskflex) UNSUPPORTED: "Maya" (00B0 EF6E AFC6 B280 ) a.b@example.com@ARCH-PC02  (No such feature exists. (-5,346))',
    " 9:00:08 (adskflex) EXPIRED: Inventor",
    " 9:00:09 (lmgrd) adskflex exited with status 36 signal = 17",
    " 9:00:09 (lmgrd) REStarted adskflex (internet tcp_port 2080 pid 4440)",
    " 9:00:11 (lmgrd) Rereading license file... Requested from upm@flexlm02",
    " 9:00:11 (adskflex) Rereading license file...",
    " 9:00:11 (lmgrd) Done rereading",
    " 9:00:11 (lmgrd) ...Finished rereading",
    " 9:00:12 (adskflex) ...Finished rereading",
    " 9:00:13 (lmgrd) SHUTDOWN request from dubin at node ubuntu-20-intel",
    " 9:00:13 (lmgrd) lmgrd will now shut down all the vendor daemons",
    " 9:00:13 (lmgrd) Shutting down adskflex pid=4440 because of signal 15",
    " 9:00:13 (adskflex) EXITING DUE TO SIGNAL 15",
    " 9:00:14 (lmgrd) EXITING DUE TO SIGNAL 15",
])


def test_every_event_kind():
    at = [local(2026, 3, 2, 9, 0, s) for s in range(15)]
    assert parse(EVERY_KIND, server="arch") == [
        Event(at[1], K.OUT, "adskflex", "AutoCAD", "José Juan Galera", "ARCH-PC01", 2,
              server="arch", line=2),
        Event(at[2], K.IN, "adskflex", "AutoCAD", "abauer", "ARCH-PC01", 1, "INACTIVE",
              server="arch", line=3),
        Event(at[3], K.IN, "adskflex", "AutoCAD", "abauer", "ARCH-PC01", 3, "REMOVED",
              server="arch", line=4),
        Event(at[4], K.DENIED, "adskflex", "AutoCAD", "klang", "ARCH-PC11", 1,
              "Licensed number of users already reached.", "-4,342", "arch", 5),
        Event(at[5], K.QUEUED, "adskflex", "3dsMax", "mhahn", "ARCH-PC13", server="arch", line=6),
        Event(at[6], K.DEQUEUED, "adskflex", "3dsMax", "mhahn", "ARCH-PC13", server="arch",
              line=7),
        # user@host splits on the last "@"; the key in parentheses is not the user.
        Event(at[7], K.UNSUPPORTED, "adskflex", "Maya", "a.b@example.com", "ARCH-PC02", 1,
              "No such feature exists.", "-5,346", "arch", 8),
        Event(at[8], K.EXPIRED, "adskflex", "Inventor", server="arch", line=9),
        Event(at[9], K.SHUTDOWN, "adskflex", reason="adskflex exited with status 36 signal = 17",
              server="arch", line=10),
        Event(at[9], K.RESTARTED, "adskflex", reason="internet tcp_port 2080 pid 4440",
              server="arch", line=11),
        Event(at[12], K.REREAD, "adskflex", user="upm", host="flexlm02", server="arch", line=16),
        # lmgrd's "Shutting down adskflex" and adskflex's own EXITING are one event.
        Event(at[13], K.SHUTDOWN, "adskflex", user="dubin", host="ubuntu-20-intel",
              reason="Shutting down adskflex pid=4440 because of signal 15", server="arch",
              line=19),
        Event(at[14], K.SHUTDOWN, "lmgrd", user="dubin", host="ubuntu-20-intel",
              reason="EXITING DUE TO SIGNAL 15", server="arch", line=21),
    ]


@pytest.mark.parametrize(("tail", "count", "reason", "code"), [
    ("", 1, None, None),
    ("(1 license) ", 1, None, None),
    ("(12 licenses) ", 12, None, None),
    ("(INACTIVE)", 1, "INACTIVE", None),
    ("(2 licenses) (INACTIVE) ", 2, "INACTIVE", None),
    ("(Users are queued for this feature. (-24,332))", 1,
     "Users are queued for this feature.", "-24,332"),
    ('(Licensed number of users already reached. (-4,342:10054 "WinSock: Connection reset"))',
     1, "Licensed number of users already reached.", '-4,342:10054 "WinSock: Connection reset"'),
    ("(Licensed number of users already reached. (-4,342:10054 )) ", 1,
     "Licensed number of users already reached.", "-4,342:10054"),  # an empty WinSock text
    ("(4 licenses) (User/host on EXCLUDE list for feature. (-38,348)) ", 4,
     "User/host on EXCLUDE list for feature.", "-38,348"),
    ("(free text (not a code))", 1, "free text (not a code)", None),
    ("unbracketed words", 1, "unbracketed words", None),
])
def test_the_tail_after_user_and_host(tail, count, reason, code):
    line = f'10:00:00 (MLM) DENIED: "MATLAB" jdoe@host1  {tail}'
    event = DebugLogReader(tz=UTC, start_date=date(2026, 1, 5)).feed(line)
    assert (event.user, event.host, event.count, event.reason, event.code) == (
        "jdoe", "host1", count, reason, code)


def test_lines_in_every_usual_shape():
    reader = DebugLogReader(tz=UTC, start_date=date(2026, 1, 5))
    shapes = [
        '10:00:00 (MLM) OUT: "MATLAB" jdoe@host1  ',   # the real shape
        '10:00:00 (MLM) OUT: "MATLAB" jdoe@host1',     # trailing spaces stripped by a tool
        '10:00:00 (MLM) OUT: "MATLAB" jdoe@host1 ',
        '10:00:00 (MLM) OUT: "MATLAB" jdoe@host1  \r',  # CRLF, split on LF only
        '10:00:00 (MLM) OUT: "MATLAB" jdoe@host1  \n',
        '\ufeff10:00:00 (MLM) OUT: "MATLAB" jdoe@host1  ',
    ]
    for line in shapes:
        event = reader.feed(line)
        assert (event.kind, event.feature, event.user, event.host, event.count) == (
            K.OUT, "MATLAB", "jdoe", "host1", 1), line
    # Some tools strip the space that pads a one-digit hour.
    event = reader.feed('9:59:59 (MLM) OUT: "MATLAB" jdoe@host1  ')
    assert event.at == datetime(2026, 1, 5, 9, 59, 59, tzinfo=UTC)
    # Zero-padded (plugin style) and space-padded hours are the same time.
    padded = reader.feed('09:59:59 (MLM) IN: "MATLAB" jdoe@host1  ').at
    assert padded == reader.feed(' 9:59:59 (MLM) IN: "MATLAB" jdoe@host1  ').at
    assert reader.diagnostics == []


# ---- dates and times --------------------------------------------------------------------------

def out(clock: str, user: str = "jdoe", daemon: str = "MLM") -> str:
    return f'{clock:>8} ({daemon}) OUT: "MATLAB" {user}@host1  '


def times(lines: list[str], **kwargs) -> list[datetime]:
    return [e.at for e in parse("\n".join(lines), **kwargs)]


def test_midnight_rollover():
    assert times([" 9:00:00 (lmgrd) TIMESTAMP 3/1/2026", out("23:59:58"), out("0:00:02"),
                  out("7:30:00")]) == [local(2026, 3, 1, 23, 59, 58), local(2026, 3, 2, 0, 0, 2),
                                       local(2026, 3, 2, 7, 30)]


def test_small_steps_back_are_out_of_order_lines_not_a_new_day():
    assert times([" 9:00:00 (lmgrd) TIMESTAMP 3/2/2026", out("10:00:05"), out("10:00:03"),
                  out("10:00:06")]) == [local(2026, 3, 2, 10, 0, s) for s in (5, 3, 6)]


def test_a_line_from_before_midnight_written_after_midnight_keeps_its_day():
    assert times([" 9:00:00 (lmgrd) TIMESTAMP 3/1/2026", out("23:59:58"), out("0:00:01"),
                  out("23:59:59", daemon="adskflex"), out("0:00:05")]) == [
        local(2026, 3, 1, 23, 59, 58), local(2026, 3, 2, 0, 0, 1), local(2026, 3, 1, 23, 59, 59),
        local(2026, 3, 2, 0, 0, 5)]


def test_the_wrap_threshold():
    """More than WRAP_BACKSTEP_S (3 h) back is a new day: a quiet night in a log without
    TIMESTAMPs; less is the same day."""
    assert WRAP_BACKSTEP_S == 3 * 3600
    start = [" 9:00:00 (lmgrd) TIMESTAMP 3/2/2026", out("12:00:00")]
    assert times(start + [out("9:00:00")])[-1] == local(2026, 3, 2, 9)
    assert times(start + [out("8:59:59")])[-1] == local(2026, 3, 3, 8, 59, 59)
    assert times([" 9:00:00 (lmgrd) TIMESTAMP 3/2/2026", out("17:00:00"), out("7:45:00")]) == [
        local(2026, 3, 2, 17), local(2026, 3, 3, 7, 45)]


def test_days_are_counted_without_timestamps():
    lines = [" 9:00:00 (lmgrd) TIMESTAMP 2/27/2026"]
    lines += [out(f"{hour}:15:00") for _ in range(3) for hour in (2, 7, 12, 17, 22)]
    got = times(lines)
    assert got[0] == local(2026, 2, 28, 2, 15)  # 9:00 -> 2:15 wraps
    assert got[-1] == local(2026, 3, 2, 22, 15)  # across the end of February
    assert got == sorted(got)


def test_date_lines_reanchor_the_count():
    lines = [" 9:00:00 (lmgrd) TIMESTAMP 3/2/2026", out("9:00:01"),
             " 9:05:00 (MLM) TIMESTAMP 3/5/2026", out("9:05:01"),
             " 9:10:00 (MLM) (@MLM-SLOG@) Time: Sat Mar 07 2026 09:10:00 Hora estándar romance",
             out("9:10:01"),
             " 9:20:00 (lmgrd) FlexNet Licensing (v11.19.6.0 build 314185 x64_n6) started on "
             "lic01 (IBM PC) (3/9/2026)", out("9:20:01"),
             " 9:30:00 (lmgrd) Server's System Date and Time: Tue Mar 10 2026 09:30:00 CET",
             out("9:30:01")]
    assert [t.date() for t in times(lines)] == [date(2026, 3, d) for d in (2, 5, 7, 9, 10)]


@pytest.mark.parametrize("start", [datetime(2026, 10, 24, 20, 0, tzinfo=BERLIN),
                                   datetime(2026, 3, 28, 20, 0, tzinfo=BERLIN),
                                   datetime(2026, 11, 1, 0, 0, tzinfo=ZoneInfo("America/Havana"))])
def test_daylight_saving_changes_as_the_simulator_writes_them(start):
    """Lines every 7 minutes across a DST change, written by the simulator's log writer in
    local time without a zone: each parses back to its own instant, the repeated hour
    included."""
    zone = start.tzinfo
    log = DebugLog(zone)
    t0 = int(start.timestamp())
    log.timestamp(t0, "lmgrd")
    written = list(range(t0 + 60, t0 + 14 * 3600, 7 * 60))
    for t in written:
        log.write(t, "adskflex", usage_line("OUT", "AutoCAD", "u", "h"))
    got = times(log.lines, tz=zone)
    assert [at.timestamp() for at in got] == written


def test_dates_before_the_first_date_line_are_counted_back():
    lines = [out("23:50:00"), out("23:55:00"), " 0:10:00 (lmgrd) TIMESTAMP 3/2/2026",
             out("0:15:00")]
    expected = [local(2026, 3, 1, 23, 50), local(2026, 3, 1, 23, 55), local(2026, 3, 2, 0, 15)]
    assert times(lines) == expected
    assert times(lines, start_date=date(2020, 1, 1)) == expected  # the log's date wins


def test_a_log_without_any_date():
    lines = "\n".join([out("10:00:00"), out("10:05:00")])
    events, diagnostics = parse_debuglog(lines, tz=BERLIN, start_date=date(2026, 3, 2))
    assert [e.at for e in events] == [local(2026, 3, 2, 10), local(2026, 3, 2, 10, 5)]
    assert diagnostics == []
    events, diagnostics = parse_debuglog(lines, tz=BERLIN, server="lic1")
    assert len(events) == 2
    assert [(d.line, d.server) for d in diagnostics] == [(1, "lic1")]
    assert "names no date" in diagnostics[0].message


def test_live_reader_dates_and_the_dated_flag(monkeypatch):
    reader = DebugLogReader(tz=BERLIN, server="lic1")
    # Following a log just after midnight: a line from 23:59 is yesterday's.
    monkeypatch.setattr(reader, "_now", lambda: local(2026, 3, 2, 0, 5))
    assert reader.feed(out("23:59:00")).at == local(2026, 3, 1, 23, 59)
    assert not reader.dated and reader.date == date(2026, 3, 1)
    assert reader.feed(out("0:06:00")).at == local(2026, 3, 2, 0, 6)
    assert reader.feed(" 0:07:00 (lmgrd) TIMESTAMP 3/2/2026") is None
    assert reader.dated
    given = DebugLogReader(tz=BERLIN, start_date=date(2025, 12, 31))
    assert given.feed(out("12:00:00")).at == local(2025, 12, 31, 12)
    assert not given.dated


# ---- denial words -----------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "words"), [
    ("-4,342", "pool full"), ("-38,348", "on EXCLUDE list"), ("-39,349", "not on INCLUDE list"),
    ("-87,353", "over MAX"), ("-101,359", "reserved for others"), ("-5,346", "no such feature"),
    ("-10,32", "expired"), ("-18,147", "not supported by server"), ("-9,57", "invalid host"),
    ("-97,121", "vendor daemon down"), ("-41,0", "never checked out"), ("-24,332", "others queued"),
    ('-4,342:10054 "WinSock: Connection reset by peer"', "pool full"), ("-4", "pool full"),
])
def test_denial_reason_words_by_major_code(code, words):
    assert denial_reason_words(code, "whatever FlexLM said.") == words


def test_denial_reason_words_fall_back_to_the_reason():
    assert denial_reason_words("-999,1", "Something new happened.") == "Something new happened"
    assert denial_reason_words(None, "Users are queued for this feature.") == (
        "Users are queued for this feature")
    assert denial_reason_words("junk", None) == "denied"
    assert denial_reason_words(None, None) == "denied"


# ---- what is skipped and what is diagnosed ----------------------------------------------------

NOISE = [
    " 8:42:20 (lmgrd) -----------------------------------------------",
    " 8:42:20 (lmgrd)   Please Note:",
    " 8:42:20 (lmgrd) ",
    " 8:42:20 (lmgrd)",
    " 8:42:23 (lmgrd) (@lmgrd-SLOG@) Command-line options used at LS startup: -c x.lic -z -s",
    "14:25:32 (maplelmg) (@maplelmg-SLOG@) 00000000 ms at 13:00:20(6/9/2022),#4,(2836K),(,,544)",
    "14:25:32 (maplelmg) (@maplelmg-SLOG@) Peak active connections #8 attempted at Thu Jun 09 "
    "2022 11:06:51 Hora de verano romance",
    " 8:42:25 (adskflex) TCP_NODELAY NOT enabled",
    " 8:42:25 (adskflex) 64300ACD_F (consisting of:\t\t87676ACD_2023_0F ",
    "08:42:25 (adskflex_pluggin) INFO: Loading lib C:\\Autodesk\\adskflex_plugin.dll",
    "10:25:35 (MLM) SERVER-OUT: Failed to send the message(71) <END>",
    " 8:42:25 (adskflex) Server started on flexlm02 for:\t",
    " 8:42:31 (adskflex) Updating feature 64300ACD_F",
    " 8:42:31 (adskflex) RESERVING 1 AutoCAD/arch-lic01  licenses for USER hfischer",
    " 4:29:01 (lmgrd) Since this is an unknown status, license server ",
    "i86_re3",
    "free(): invalid pointer",
    "",
    "   ",
]


def test_noise_is_skipped_silently():
    events, diagnostics = parse_debuglog("\n".join(NOISE), tz=UTC, start_date=date(2022, 6, 9))
    assert events == [] and diagnostics == []


BROKEN = [
    ' 9:00:01 (MLM) OUT: MATLAB jdoe  ',  # unquoted feature (old FLEXlm) and no user@host
    ' 9:00:02 (MLM) DENIED: "MATLAB"',  # no user
    'OUT: "MATLAB" jdoe@host1  ',  # no time prefix
    '10:25:38 (MLM) OUT: "MATLAB" alu10:25:38 (MLM) OUT: "MATLAB" x@y  ',  # two lines glued
    ' 9:00:03 (MLM) TIMESTAMP 13/45/2022',
    ' 9:00:04 (MLM) IN server died: MATLAB by jdoe (1 licenses)',  # the pre-v6 format
    ' 9:00:05 (lmgrd) REStarted',
    ' 9:00:06 (MLM) EXPIRED:',
]


def test_lines_that_should_be_events_but_are_not_understood_are_diagnosed():
    text = "\n".join([" 9:00:00 (lmgrd) TIMESTAMP 3/2/2026", *BROKEN])
    events, diagnostics = parse_debuglog(text, tz=UTC, server="lic1")
    assert events == []
    assert [d.line for d in diagnostics] == list(range(2, 2 + len(BROKEN)))
    assert [d.text for d in diagnostics] == BROKEN
    assert {d.server for d in diagnostics} == {"lic1"}
    assert not any("internal error" in d.message for d in diagnostics)


def test_a_usage_line_without_user_at_host_is_read_and_diagnosed():
    reader = DebugLogReader(tz=UTC, start_date=date(2026, 1, 5))
    event = reader.feed('10:00:00 (MLM) DENIED: "MATLAB" jdoe  (No such feature exists. (-5,346))')
    assert (event.user, event.host, event.code) == ("jdoe", None, "-5,346")
    assert [d.line for d in reader.diagnostics] == [1]


def test_a_long_running_reader_keeps_a_bounded_number_of_diagnostics():
    reader = DebugLogReader(tz=UTC, start_date=date(2026, 1, 5))
    for _ in range(debuglog.MAX_DIAGNOSTICS + 5):
        reader.feed(BROKEN[0])
    assert len(reader.diagnostics) == debuglog.MAX_DIAGNOSTICS
    assert reader.dropped_diagnostics == 5


# ---- the simulator's log ----------------------------------------------------------------------

def test_simulator_round_trip(monkeypatch):
    """The architecture office for a working day: every denial the vendor daemon decided
    comes back from its log at the right time, for the right user, host, feature and code;
    lmremove, lmreread and lmdown come back as IN (REMOVED), REREAD and SHUTDOWN."""
    decided = []
    request = VendorDaemons.request

    def recording(self, t, client, feature, **kwargs):
        outcome = request(self, t, client, feature, **kwargs)
        if outcome.kind == "denied":
            decided.append((t, client.user, client.host, feature,
                            f"{outcome.error.code},{outcome.error.minor}", outcome.error.text))
        return outcome

    monkeypatch.setattr(VendorDaemons, "request", recording)
    server = SimulatedServer.from_scenario("architecture", seed=1)
    # Live: a reader follows the log as it grows (no start date: the log names it).
    reader = DebugLogReader(tz=server.zone, server="arch")
    seen: list[Event] = []

    def follow() -> list[Event]:
        lines = server.log.lines[reader.line_no:]
        new = [e for e in map(reader.feed, lines) if e is not None]
        seen.extend(new)
        return new

    follow()
    for _ in range(8):
        server.advance(3600)
        follow()
    denials = [(e.at.timestamp(), e.user, e.host, e.feature, e.code, e.reason)
               for e in seen if e.kind is K.DENIED]
    assert len(denials) > 50
    assert denials == decided
    assert {e.code for e in seen if e.kind is K.DENIED} >= {"-4,342", "-87,353", "-101,359"}
    assert all(e.daemon == "adskflex" and e.server == "arch" for e in seen)

    # lmremove of a seat held long enough (the simulator refuses younger ones).
    seat = next(s for s in server.daemons.seats
                if not s.borrow_until and server.now_s - s.start >= 120)
    assert server.lmutil(["lmremove", seat.feature, seat.user, seat.host, seat.display])[0] == 0
    removed = [e for e in follow() if e.kind is K.IN and e.reason == "REMOVED"]
    assert (removed[0].feature, removed[0].user, removed[0].host, removed[0].at) == (
        seat.feature, seat.user, seat.host, server.now)

    assert server.lmutil(["lmreread"])[0] == 0
    rereads = [e for e in follow() if e.kind is K.REREAD]
    assert [(e.daemon, e.user, e.host, e.at) for e in rereads] == [
        ("adskflex", "lmadmin", "arch-lic01", server.now)]

    server.advance(60)
    # The notebooks have borrowed seats: a plain lmdown is refused (-120), -force goes.
    assert server.lmutil(["lmdown", "-q"])[0] == 256 - 120
    assert server.lmutil(["lmdown", "-q", "-force"])[0] == 0
    shutdowns = [e for e in follow() if e.kind is K.SHUTDOWN]
    assert [(e.daemon, e.user, e.host, e.at) for e in shutdowns] == [
        ("adskflex", "lmadmin", "arch-lic01", server.now),
        ("lmgrd", "lmadmin", "arch-lic01", server.now)]

    # The whole log read at once gives what the live reader gave, without diagnostics.
    assert reader.diagnostics == []
    assert parse("\n".join(server.log.lines), tz=server.zone, server="arch") == seen
    grep = {kind: sum(f") {kind}: " in line for line in server.log.lines)
            for kind in ("OUT", "IN", "DENIED", "QUEUED", "DEQUEUED")}
    assert {kind: n for kind, n in kinds(seen).items() if kind in grep} == {
        kind: n for kind, n in grep.items() if n}


# ---- robustness -------------------------------------------------------------------------------

def assert_no_internal_error(diagnostics) -> None:
    assert not [d for d in diagnostics if "internal error" in d.message]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text):
    events, diagnostics = parse_debuglog(text, tz=BERLIN, start_date=date(2026, 3, 2))
    assert_no_internal_error(diagnostics)
    assert all(d.line >= 1 for d in diagnostics)
    assert all(e.at.tzinfo is not None for e in events)


REAL_LINES = [line for name in (ADSKFLEX, MAPLE, MLM)
              for line in corpus_log(name).split("\n")] + EVERY_KIND.split("\n") + BROKEN + NOISE
REAL_LINES += [line for text in SAMPLES.values() for line in text.split("\n")]
clocks = st.builds(lambda h, m, s, pad: f"{h:{pad}2}:{m:02}:{s:02}", st.integers(0, 29),
                   st.integers(0, 61), st.integers(0, 61), st.sampled_from(["0", " ", ""]))
log_like_lines = st.one_of(
    st.sampled_from(REAL_LINES),
    st.builds(lambda clock, line: clock + line[8:], clocks, st.sampled_from(REAL_LINES)),
    st.builds(lambda line, cut: line[:cut], st.sampled_from(REAL_LINES), st.integers(0, 80)),
    st.builds(lambda line, noise: line + noise, st.sampled_from(REAL_LINES), st.text(max_size=8)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(log_like_lines, max_size=40), st.sampled_from([UTC, BERLIN, MADRID]))
def test_never_raises_on_mangled_real_lines(lines, zone):
    reader = DebugLogReader(tz=zone, start_date=date(2026, 10, 25))
    events = [e for e in map(reader.feed, lines) if e is not None]
    assert_no_internal_error(reader.diagnostics)
    assert all(e.at.tzinfo is not None and e.line >= 1 for e in events)
    assert (reader.latest_at is not None) >= bool(events)


def test_the_latest_moment_read_is_the_last_timed_line_event_or_not():
    reader = DebugLogReader(tz=BERLIN, start_date=date(2026, 3, 2))
    assert reader.latest_at is None
    lines = ["9:00:00 (lmgrd) TIMESTAMP 3/2/2026", out("10:00:00"), "  a continuation",
             "10:05:00 (MLM) Vendor daemon still here", "23:59:00 (MLM) TIMESTAMP 3/2/2026",
             " 6:00:00 (MLM) TIMESTAMP 3/3/2026", "this line has no time"]
    moments = []
    for line in lines:
        reader.feed(line)
        moments.append(reader.latest_at)
    assert moments == [datetime(2026, 3, 2, 9, tzinfo=BERLIN),
                       datetime(2026, 3, 2, 10, tzinfo=BERLIN),
                       datetime(2026, 3, 2, 10, tzinfo=BERLIN),
                       datetime(2026, 3, 2, 10, 5, tzinfo=BERLIN),
                       datetime(2026, 3, 2, 23, 59, tzinfo=BERLIN),
                       datetime(2026, 3, 3, 6, tzinfo=BERLIN),
                       datetime(2026, 3, 3, 6, tzinfo=BERLIN)]


def test_the_parser_does_not_import_textual():
    code = ("import sys, lmconsole.adapters.flexlm.debuglog; "
            "sys.exit('textual' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_the_names_events_repeat_are_kept_once():
    """A log of a million events keeps each daemon, feature, user and host once, shared by
    the events that name it, not a copy per event (half the memory a kept event takes)."""
    log = "".join(f"10:00:{second:02d} (MLM) {kind}: \"{feature}\" jane@pc-{n}  \n"
                  for second, (kind, feature, n) in enumerate(
                      [("OUT", "MATLAB", 1), ("OUT", "SIMULINK", 2), ("IN", "MATLAB", 1),
                       ("IN", "SIMULINK", 2)]))
    events, _ = parse_debuglog(log, tz=UTC, start_date=date(2026, 3, 2))
    first, second, third, fourth = events
    assert (first.user, first.host, first.feature) == ("jane", "pc-1", "MATLAB")
    assert first.daemon is second.daemon is third.daemon is fourth.daemon
    assert first.user is second.user is third.user
    assert first.host is third.host and second.host is fourth.host
    assert first.feature is third.feature and second.feature is fourth.feature


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_characters="()\n\r"), min_size=1, max_size=12),
       st.sampled_from(["OUT", "IN", "DENIED", "QUEUED", "DEQUEUED"]),
       st.text(st.characters(blacklist_characters='"\n\r'), min_size=1, max_size=12))
def test_the_daemon_kind_and_feature_are_read_as_the_line_gives_them(daemon, word, feature):
    """The reader takes them from one piece of the line (`MLM) OUT: "MATLAB`), split after
    the match: the daemon holds no parenthesis and the word no colon, so a feature may hold
    anything but a quote, `) ` and `: "` too."""
    line = f'10:00:00 ({daemon}) {word}: "{feature}" jdoe@host1  '
    event = DebugLogReader(tz=UTC, start_date=date(2026, 1, 5)).feed(line)
    assert (event.daemon, event.kind, event.feature, event.user) == (
        daemon, EventKind(word), feature, "jdoe")


@settings(max_examples=300, deadline=None)
@given(st.dates(date(1971, 1, 1), date(2100, 12, 31)), st.integers(0, 86399),
       st.sampled_from([UTC, BERLIN, ZoneInfo("America/Sao_Paulo"), ZoneInfo("Asia/Kolkata")]))
def test_a_time_on_a_day_without_a_change_of_offset_is_that_wall_time(day, second, zone):
    """The reader adds the time of day to the day's midnight; on a day whose offset does not
    change that is the datetime of the wall time."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    if midnight.utcoffset() != (midnight + timedelta(days=1)).utcoffset():
        return  # a DST day: read instant by instant (see the daylight saving tests)
    hour, minute = divmod(second // 60, 60)
    clock = f"{hour:>2}:{minute:02}:{second % 60:02}"
    event = DebugLogReader(tz=zone, start_date=day).feed(out(clock))
    assert event.at == datetime(day.year, day.month, day.day, hour, minute, second % 60,
                                tzinfo=zone)
    assert event.at.tzinfo is zone and event.at.fold == 0
