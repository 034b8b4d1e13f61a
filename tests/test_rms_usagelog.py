"""Sentinel RMS's usage log: the documented example read as a person reads it (the events,
their times from the epoch stamp, the server's start and shutdown), the older SentinelLM
form, commuter licences and denials, what an encrypted log hides, a configured RMS server's
log imported into the history, and the reader never raises (mutated logs, huge numbers,
long lines)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.rms.usagelog import UsageLogReader, parse_usagelog

from .test_history_import import database, listed, lmconsole, summary
from .test_parsers_never_raise import HUGE, mutated

PACIFIC = ZoneInfo("America/Los_Angeles")
RMS = ADAPTERS["rms"]
# The example of Thales' "Usage Log File" page (a server in California: 17:33:33 local is
# 934590813 seconds after the epoch), as the page prints it.
DOCUMENTED = """\
# Startup Sentinel RMS Development Kit v7.00 Fri Aug 13 17:33:31 1999  934590811 jsmith 140 4294489039
2 0 MTI1 Fri Aug 13 17:33:33 1999  934590813 99 v 0 1 0 jsmith jsmith 7.00 1 - MA== 754986 OTM1MzQ1Nzk5
2 0 MTI1 Fri Aug 13 17:33:33 1999  934590813 99 v 2 0 0 jsmith jsmith 7.00 1 - MQ== 905242 MTY2MDIyOA==
# Shutdown Sentinel RMS Development Kit v7.00 Fri Aug 13 17:33:34 1999  934590814 jsmith 4294489039 Mg== 2058783
"""
# A working day of a CAD feature of three seats: two people, a denial, a commuter licence
# taken out and back (SentinelLM 7's form: six more dashes after the comment).
DAY = """\
# Startup Sentinel RMS Development Kit v9.1.0 Mon Nov 30 07:00:00 2026  1796018400 lserv 140 42
2 0 MQ== Mon Nov 30 08:01:00 2026  1796022060 CAD 2.0 0 1 0 ann ws1 9.1.0 1 - MQ== 1 MQ==
2 0 Mg== Mon Nov 30 08:02:00 2026  1796022120 CAD 2.0 0 3 0 bob ws2 9.1.0 2 - Mw== 2 Mg==
2 0 Mw== Mon Nov 30 08:03:00 2026  1796022180 CAD 2.0 1 3 0 eve ws3 9.1.0 1 - Mw== 3 Mw==
2 0 NA== Mon Nov 30 09:00:00 2026  1796029185 CAD 2.0 8 3 0 kai nb4 9.1.0 1 - - - - - - MQ== 4 NA==
2 0 NQ== Mon Nov 30 10:01:00 2026  1796029260 CAD 2.0 2 1 7200 ann ws1 9.1.0 1 - MQ== 5 NQ==
2 0 Ng== Mon Nov 30 10:32:00 2026  1796031120 CAD 2.0 9 0 5400 kai nb4 9.1.0 1 - MQ== 6 Ng==
2 0 Nw== Mon Nov 30 11:00:00 2026  1796032800 CAD 2.0 5 0 0 bob ws2 9.1.0 2 - MQ== 7 Nw==
"""


def test_the_documented_example_is_a_start_a_checkout_its_return_and_a_shutdown():
    events, diagnostics = parse_usagelog(DOCUMENTED, tz=PACIFIC, server="plant")
    assert diagnostics == []
    assert [(e.kind.value, e.daemon, e.feature, e.user, e.host, e.count, e.at)
            for e in events] == [
        ("STARTED", "rms", None, None, None, 1, datetime(1999, 8, 13, 17, 33, 31, tzinfo=PACIFIC)),
        ("OUT", "rms", "99", "jsmith", "jsmith", 1, datetime(1999, 8, 13, 17, 33, 33,
                                                             tzinfo=PACIFIC)),
        ("IN", "rms", "99", "jsmith", "jsmith", 1, datetime(1999, 8, 13, 17, 33, 33,
                                                            tzinfo=PACIFIC)),
        ("SHUTDOWN", "rms", None, None, None, 1, datetime(1999, 8, 13, 17, 33, 34,
                                                          tzinfo=PACIFIC))]
    assert [(e.line, e.server) for e in events] == [(1, "plant"), (2, "plant"), (3, "plant"),
                                                    (4, "plant")]


def test_a_day_of_issues_a_denial_a_commuter_licence_and_releases():
    berlin = ZoneInfo("Europe/Berlin")
    events, diagnostics = parse_usagelog(DAY, tz=berlin)
    assert [(e.kind.value, e.user, e.count, e.extra, f"{e.at:%H:%M}") for e in events] == [
        ("STARTED", None, 1, None, "07:00"),
        ("OUT", "ann", 1, None, "08:01"), ("OUT", "bob", 2, None, "08:02"),
        ("DENIED", "eve", 1, None, "08:03"),
        ("OUT", "kai", 1, "commuter", "09:59"),  # its epoch stamp, not its date words
        ("IN", "ann", 1, None, "10:01"), ("IN", "kai", 1, "commuter", "10:32")]
    assert diagnostics == []  # transaction type 5 is of no kind the history keeps: read past
    assert events[0].at.tzinfo is berlin


def test_without_its_tag_word_an_entry_reads_the_same_and_dates_the_log():
    reader = UsageLogReader(tz=PACIFIC)
    assert reader.log_start_date is None
    event = reader.feed("2 0 Fri Aug 13 17:33:33 1999  934590813 99 v 0 1 0 jsmith jsmith "
                        "7.00 1 -")
    assert (event.kind.value, event.feature, event.user) == ("OUT", "99", "jsmith")
    assert reader.log_start_date == datetime(1999, 8, 13).date()
    assert reader.latest_at == event.at
    assert reader.flush() is None
    # no epoch stamp it can read: the date words, in the server's zone
    event = reader.feed("2 0 Fri Aug 13 17:33:33 1999  x 99 v 0 1 0 jsmith jsmith 7.00 1 -")
    assert event.at == datetime(1999, 8, 13, 17, 33, 33, tzinfo=PACIFIC)


def test_what_an_encrypted_log_hides_is_diagnosed_not_guessed():
    events, diagnostics = parse_usagelog(
        "3 0 MTI1 Fri Aug 13 17:33:33 1999  934590813 99 v 0 MQ== 0 jsmith jsmith 7.00 MQ== -\n"
        "4 0 aGlkZGVuIHJlY29yZA==\n"
        "1 0 Fri Aug 13 17:33:33 1999  934590813 99 v 0 1 0 jsmith\n"
        "1 0 Fri Aug 13 17:33:33 1999  934590813 99 v 0 1 0 jsmith jsmith 7.00 many -\n"
        "# a comment\n", tz=PACIFIC)
    assert events == []
    assert [(d.line, d.message) for d in diagnostics] == [
        (1, "usage log entry not read: its licence count is encrypted (log encryption "
            "level 3)"),
        (2, "not a usage log entry (or one encrypted whole)"),
        (3, "usage log entry with too few fields"),
        (4, "usage log entry not read: licence count is not a number: 'many'")]


@settings(max_examples=200, deadline=None)
@given(mutated([DOCUMENTED, DAY]))
def test_the_usage_log_reader_never_raises(text):
    parse_usagelog(text, tz=PACIFIC)
    RMS.parse_log(text, tz=PACIFIC)


def test_huge_numbers_and_long_lines_are_read_in_linear_time():
    events, diagnostics = parse_usagelog(
        f"2 0 Fri Aug 13 17:33:33 1999  {HUGE} 99 v 0 1 0 a b 7.00 {HUGE} -\n"
        f"2 0 Thu Aug 13 17:33:33 9998  {HUGE} 99 v 0 1 0 a b 7.00 1 -\n", tz=PACIFIC)
    assert [e.at.year for e in events] == [9998]  # its date words: no epoch stamp to read
    assert [d.message[:40] for d in diagnostics] == ["usage log entry not read: licence count "]
    for line in ("2 0 " + "a" * 300_000, "2 0 Fri " + " " * 300_000 + "x",
                 "# Startup " + "Fri " * 60_000, "2 0 Fri Aug 13 17:33:33 1999 1 " + "x " * 99_999,
                 "# Shutdown Fri Aug " + "1" * 300_000):
        started = time.perf_counter()
        parse_usagelog(line + "\n", tz=PACIFIC)
        assert time.perf_counter() - started < 2, line[:30]


def test_import_of_a_usage_log_through_a_configured_rms_server(tmp_path: Path):
    config = tmp_path / "config" / "lmconsole" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[[servers]]\nname = "plant"\nmanager = "rms"\nlicense = "5093@lic1"\n'
                      'timezone = "Europe/Berlin"\ndebug_log = "/var/log/lservsta"\n')
    log = tmp_path / "lservsta"
    log.write_text(DAY)
    result = summary(lmconsole(tmp_path, "import", str(log), "--server", "plant",
                               "--database", database(tmp_path)))
    assert result["events"] == "7 (7 new)"
    assert result["denials"] == "1"
    assert result["sessions"].startswith("3 (1 still open)")  # bob's: type 5 ends nothing
    assert [(d["feature"], d["user"], d["at"]) for d in listed(tmp_path, "denials")] == [
        ("CAD", "eve", "2026-11-30T07:03:00+00:00")]
    sessions = listed(tmp_path, "sessions")
    assert sorted((s["user"], s["duration_s"]) for s in sessions if s["duration_s"]) == [
        ("ann", 2 * 3600), ("kai", 32 * 60 + 15)]
