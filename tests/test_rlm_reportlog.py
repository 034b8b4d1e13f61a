"""RLM's report log, in the manual's three formats (no real report log is in the corpus):
checkouts, check-ins and true denials (last_attempt set) as events, a year from the START
and TIMESTAMP records, the small format's check-in told by its handle; then `lmconsole
import` of one into a real SQLite history through a configured RLM server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.rlm.reportlog import ReportLogReader, parse_reportlog
from lmconsole.model import EventKind

from .test_history_import import database, listed, lmconsole, summary
from .test_parsers_never_raise import mutated

BERLIN = ZoneInfo("Europe/Berlin")

STANDARD = """\
RLM Report Log Format 0, version 12.2, authenticated
ISV: reprise, RLM version 12.2 BL2
START bigserver 12/31/2025 22:00
TIMEZONE -60 1 # UTC+1, daylight saving
LICENSE FILE /opt/rlm/reprise.lic
PRODUCT cad 1.0 1 5 0 0 "" "" "" "" "" "" 0 0 0 0 0 0 0 0 0
INUSE cad 1.0 1 olaf ws1 "" 1 41 1f2e 12/31 21:00:00
OUT cad 1.0 1 anna.berg ws-07 "" 1 2 0 42 0 3a4b "" "" "" 12/31 22:15:03
OUT cad 1.0 1 bob pc2 "proj x" 2 4 0 43 0 3a4c "" "" "" 12/31 23:59:59
DENY cad 1.0 eve lab "" 1 -22 0 12/31 23:59
DENY cad 1.0 eve lab "" 1 -22 1 01/01 00:00
IN 1 cad 1.0 anna.berg ws-07 "" 1 3 0 42 01/01 08:00:00
IN 3 cad 1.0 bob pc2 "proj x" 2 1 0 43 01/01 09:30:00
OUT cad 1.0 1 carl pc3 "" 1 2 0 44 0 3a4d "" "" "" 13/45 10:00:00
OUT cad 1.0 1 dora pc4 "" many 2 0 45 0 3a4e "" "" "" 01/01 10:00:00
TIMESTAMP 01/02/2026 00:00
DENY cad 1.0 fred pc5 "" 1 -22 1 01/02 07:00:00.1234
"""

DETAILED_AND_SMALL = """\
RLM Report Log Format 2, version 15.1, authenticated
ISV: foundry, RLM version 15.1 BL1
START lic 03/04/2026 08:00
OUT nuke 13.2 2 ann pc1 "" 1 1 0 5a 0 99 "" "" "" 03/04 09:00:00.5000 "Linux" "nuke" 0 0 10.0.0.5
OUT nuke 13.2 ben pc2 "" 1 5b 0 09:05
IN 1 1 5b 09:45
IN 2 1 77 09:50
"""


def events(text: str, tz=UTC):
    return parse_reportlog(text, tz=tz, server="design")


def test_checkouts_checkins_and_true_denials_of_the_standard_format():
    found, diagnostics = events(STANDARD, BERLIN)
    assert [(e.kind, e.feature, e.user, e.host, e.count, e.at) for e in found] == [
        (EventKind.OUT, "cad", "anna.berg", "ws-07", 1, datetime(2025, 12, 31, 22, 15, 3,
                                                                tzinfo=BERLIN)),
        (EventKind.OUT, "cad", "bob", "pc2", 2, datetime(2025, 12, 31, 23, 59, 59, tzinfo=BERLIN)),
        # the 23:59 denial was not the last attempt (the client tried elsewhere): no event
        (EventKind.DENIED, "cad", "eve", "lab", 1, datetime(2026, 1, 1, 0, 0, tzinfo=BERLIN)),
        (EventKind.IN, "cad", "anna.berg", "ws-07", 1, datetime(2026, 1, 1, 8, 0, tzinfo=BERLIN)),
        (EventKind.IN, "cad", "bob", "pc2", 2, datetime(2026, 1, 1, 9, 30, tzinfo=BERLIN)),
        (EventKind.DENIED, "cad", "fred", "pc5", 1, datetime(2026, 1, 2, 7, 0, tzinfo=BERLIN)),
    ]
    assert {e.daemon for e in found} == {"reprise"} and {e.server for e in found} == {"design"}
    out_bob, denial, in_bob = found[1], found[2], found[4]
    assert out_bob.extra == "proj x" and out_bob.line == 9
    assert (denial.code, denial.reason) == ("-22", "last attempt")
    assert in_bob.reason == "removed by rlmremove"
    assert [(d.line, d.message) for d in diagnostics] == [
        (14, "OUT record with an impossible date or time"), (15, "unreadable licence count")]


def test_the_detailed_and_small_formats():
    found, diagnostics = events(DETAILED_AND_SMALL)
    assert [(e.kind, e.feature, e.user, e.host, e.at.time().isoformat(), e.daemon)
            for e in found] == [
        (EventKind.OUT, "nuke", "ann", "pc1", "09:00:00", "foundry"),
        (EventKind.OUT, "nuke", "ben", "pc2", "09:05:00", "foundry"),
        (EventKind.IN, "nuke", "ben", "pc2", "09:45:00", "foundry"),  # by its handle 5b
    ]
    assert {e.at.date() for e in found} == {date(2026, 3, 4)}
    assert [(d.line, d.message) for d in diagnostics] == [
        (7, "check-in of a handle whose checkout this log does not hold")]


def test_the_log_names_its_start_date_and_a_live_tail_takes_the_nearest_year():
    reader = ReportLogReader(tz=UTC, server="design")
    assert reader.log_start_date is None
    for line in STANDARD.splitlines()[:3]:
        reader.feed(line)
    assert reader.log_start_date == date(2025, 12, 31)
    tail = ReportLogReader(tz=UTC)
    now = datetime.now(UTC)
    event = tail.feed(f'OUT cad 1.0 1 bob pc2 "" 1 1 0 43 0 3a4c "" "" "" '
                      f'{now:%m/%d} {now:%H:%M:%S}')
    assert event.at.date() == now.date() and tail.flush() is None


def test_the_adapter_reads_its_servers_report_log():
    rlm = ADAPTERS["rlm"]
    found, _ = rlm.parse_log(STANDARD, tz=UTC)
    assert sum(e.kind is EventKind.DENIED for e in found) == 2
    assert rlm.denial_words("-22", "last attempt") == "denied (RLM status -22)"


@settings(max_examples=200, deadline=None)
@given(mutated([STANDARD, DETAILED_AND_SMALL]))
def test_the_report_log_reader_never_raises(text):
    events(text, BERLIN)
    parse_reportlog(text, tz=ZoneInfo("America/Chicago"))


def test_import_of_a_report_log_through_a_configured_rlm_server(tmp_path: Path):
    config = tmp_path / "config" / "lmconsole" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[[servers]]\nname = "design"\nmanager = "rlm"\nlicense = "5053@lic"\n'
                      'timezone = "Europe/Berlin"\n')
    log = tmp_path / "reprise.rl"
    log.write_text(STANDARD)
    result = summary(lmconsole(tmp_path, "import", str(log), "--server", "design",
                               "--database", database(tmp_path)))
    assert result["events"] == "6 (6 new)"
    assert result["denials"] == "2"
    assert result["sessions"].startswith("2 (0 still open)")
    denials = listed(tmp_path, "denials")
    assert [(d["feature"], d["user"], d["at"]) for d in denials] == [
        ("cad", "eve", "2025-12-31T23:00:00+00:00"), ("cad", "fred", "2026-01-02T06:00:00+00:00")]
    sessions = listed(tmp_path, "sessions")
    assert sorted((s["user"], s["duration_s"]) for s in sessions) == [
        ("anna.berg", 9 * 3600 + 44 * 60 + 57), ("bob", 9 * 3600 + 30 * 60 + 1)]


FOUNDRY = """\
RLM Report Log Format 0, version 12.2, authenticated
ISV: foundry, RLM version 12.2 BL2
START bigserver 12/31/2025 22:00
OUT nuke 13.2 1 anna.berg ws-07 "" 1 1 0 a1 0 77aa "" "" "" 12/31 22:30:00
DENY nuke 13.2 bob pc2 "" 1 -22 1 12/31 23:00:00
IN 1 nuke 13.2 anna.berg ws-07 "" 1 0 0 a1 01/01 07:00:00
"""


def test_import_of_each_isv_report_log_of_one_server(tmp_path: Path):
    config = tmp_path / "config" / "lmconsole" / "config.toml"
    config.parent.mkdir(parents=True)
    logs = [tmp_path / "reprise.rl", tmp_path / "foundry.rl"]
    config.write_text('[[servers]]\nname = "design"\nmanager = "rlm"\nlicense = "5053@lic"\n'
                      f'timezone = "Europe/Berlin"\ndebug_logs = ["{logs[0]}", "{logs[1]}"]\n')
    logs[0].write_text(STANDARD)
    logs[1].write_text(FOUNDRY)

    def imported() -> dict[str, str]:
        return summary(lmconsole(tmp_path, "import", *map(str, logs), "--server", "design",
                                 "--database", database(tmp_path)))

    result = imported()
    assert result["events"] == "9 (9 new)" and result["denials"] == "3"
    assert result["sessions"].startswith("3 (0 still open)")
    denials = listed(tmp_path, "denials")
    assert sorted((d["feature"], d["user"]) for d in denials) == [
        ("cad", "eve"), ("cad", "fred"), ("nuke", "bob")]
    sessions = listed(tmp_path, "sessions")
    assert sorted((s["feature"], s["user"], s["duration_s"]) for s in sessions) == [
        ("cad", "anna.berg", 9 * 3600 + 44 * 60 + 57), ("cad", "bob", 9 * 3600 + 30 * 60 + 1),
        ("nuke", "anna.berg", 8 * 3600 + 30 * 60)]
    again = imported()  # both files known: nothing new, nothing counted twice
    assert again["events"] == "9 (0 new)"
    assert len(listed(tmp_path, "denials")) == 3 and len(listed(tmp_path, "sessions")) == 3
