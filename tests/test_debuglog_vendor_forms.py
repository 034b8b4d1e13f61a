"""The debug-log parser on real lines from outside the corpus: vendor data after user@host,
old FLEXlm's unquoted features, a daemon's reasons for exiting, and the shapes a redacted or
hand-made log takes. Each sample names its source (the review's SOURCES.md, by file).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lmconsole.adapters.flexlm.debuglog import DebugLogReader, parse_debuglog
from lmconsole.adapters.flexlm.denial_words import denial_reason_words
from lmconsole.model import Event, EventKind
from lmconsole.screens.events import EventsScreen
from lmconsole.screens.live import LiveData, Logged

from .corpus import read_corpus

K = EventKind
DAY = date(2024, 3, 17)

# debuglog/01: Wildsong/arctic-monitor README.md, quoting a Telelogic DOORS server (old
# FLEXlm): the feature is not quoted and the parenthesised part is on the next line.
TELELOGIC = "\n".join([
    "14:46:39 (telelogic) DENIED: DOORS indkach@indkach  [telelogic] ",
    "(Licensed number of users already reached. (-4,342:10054 )) ",
    "14:46:39 (telelogic) DENIED: DOORS indkach@indkach  [telelogic] ",
    "(Licensed number of users already reached. (-4,342:10054 )) ",
    "14:46:39 (telelogic) OUT: TLSTOK-token indkach@indkach  [DOORS] ",
    "(3 licenses)",
])
# debuglog/06: a blog post on Synopsys SCL 11.9, a pt_shell session with snpslmd's lines.
PRIMETIME = "\n".join([
    "14:45:45 (snpslmd) TCP_NODELAY NOT enabled",
    '14:45:45 (snpslmd) OUT: "PrimeTime" xxxxx@ubuntu-x86  [J3_7f0101_611_1] ',
    "sh: 1: Syntax error: Bad fd number",
    '14:46:16 (snpslmd) IN: "PrimeTime" xxxxx@ubuntu-x86  [J3_7f0101_611_1] ',
])
# debuglog/17: Revenera's FNP 2024 "Verbose Debug Log Messages" page, its two examples.
VERBOSE = "\n".join([
    '8:41:54 (demo) OUT: "f1" ADas@BLR-LT-104276',
    '8:41:54 (demo) OUT: "f1" ADas@BLR-LT-104276 ^^^ 1.0 ADas 127.0.0.1 29865 0x12CE',
])
# debuglog/04: the same Synopsys post, snpslmd failing to start beside a running copy.
LOCK_FILE = "\n".join([
    "13:48:56 (lmgrd) Started snpslmd (internet tcp_port 59331 pid 2024)",
    "13:48:56 (snpslmd) FlexNet Licensing version v11.14.1.3 build 212549 x64_lsb",
    "13:48:56 (snpslmd) Cannot open daemon lock file",
    "13:48:56 (snpslmd) EXITING DUE TO SIGNAL 41 Exit reason 9",
    "13:48:56 (lmgrd) snpslmd exited with status 41 (Exited because another server was running)",
    '13:48:56 (lmgrd) MULTIPLE "snpslmd" license server systems running.',
    "13:48:56 (lmgrd) Please kill, and run lmreread",
    "13:48:56 (lmgrd) ",
    "13:48:56 (lmgrd) This error probably results from either:",
    "13:48:56 (lmgrd)   1. Another copy of the license server manager (lmgrd) is running.",
    '13:48:56 (lmgrd)   2. A prior license server manager (lmgrd) was killed with "kill -9"',
    "13:48:56 (lmgrd)       (which would leave the vendor daemon running).",
    '13:48:56 (lmgrd) To correct this, do a "ps -ax | grep snpslmd"',
    '13:48:56 (lmgrd)   (or equivalent "ps" command)',
    '13:48:56 (lmgrd) and kill the "snpslmd" process.',
])
# debuglog/05: the same post, an lmdown as the terminal showed it.
LMDOWN = "\n".join([
    "14:24:37 (lmgrd) SHUTDOWN request from dubin at node ubuntu-20-intel",
    "14:24:37 (lmgrd) lmgrd will now shut down all the vendor daemons",
    "",
    "    1 FlexNet License Server shut down",
    "14:24:37 (lmgrd) EXITING DUE TO SIGNAL 15",
])
# debuglog/03: ihayhurst/SmokedWeaselCheese README.md, a Geneious server whose daemon name
# was redacted, once with a space.
GENEIOUS = "\n".join([
    "16:01:34 (lmgrd) TIMESTAMP 4/8/2019  ",
    "16:06:37 (app-name) TIMESTAMP 4/8/2019  ",
    '16:07:10 (app-name) OUT: "floating_license" fbloggs@gbpcx5cg90224lt  ',
    '17:05:01 (app name) IN: "floating_license" fbloggs@gbpcx5cg90224lt  ',
])
# debuglog/15: the demo data of a web "FlexLM log analyzer", one space before the reason.
WEBTOOL = "\n".join([
    '9:01:05 (adskflex) OUT: "87224ACD_2024_0F" designer01@WORKSTATION01',
    '9:07:11 (adskflex) DENIED: "87224ACD_2024_0F" engineer03@LAPTOP-B (Max seat limit reached)',
    '9:22:12 (adskflex) DENIED: "87224ACD_2024_0F" designer01@WORKSTATION01 (User not in '
    'INCLUDE list)',
    '10:15:22 (adskflex) DENIED: "86815REVIT_2023_0F" engineer04@LAPTOP-C (License expired)',
])
# debuglog/02: an Abaqus server's log (a Python script's log_content): a denial, and the
# per-job line ABAQUSLM writes.
ABAQUS = "\n".join([
    '18:48:22 (ABAQUSLM) DENIED: "abaqus" askmanson@node353.igcar.gov.in  (25 licenses) '
    "(Users are queued for this feature. (-24,332))",
    "18:49:27 (lmgrd) TIMESTAMP 4/28/2023",
    "19:23:41 (ABAQUSLM) 1682693477/1/6.17-1/30/sta_par/9179/kulbir/unknown/node350.igcar.gov.in",
])
# debuglog/07: justbennet/flexlm_reporter, a UMich ANSYS log of 2017-06-08: the vendor
# names ansyslmd serves, continued on an untimed line.
ANSYS_VENDORS = "\n".join([
    " 9:49:42 (ansyslmd) Serving features for the following vendor names:",
    " ansyslmd  ansoftd  ",
    " 9:49:42 (ansyslmd) SLOG: Statistics Log Frequency is 240 minute(s).",
])
SAMPLES = {"telelogic": TELELOGIC, "primetime": PRIMETIME, "verbose": VERBOSE,
           "lock_file": LOCK_FILE, "lmdown": LMDOWN, "geneious": GENEIOUS, "webtool": WEBTOOL,
           "abaqus": ABAQUS, "ansys_vendors": ANSYS_VENDORS}


def parse(text: str, **kwargs) -> list[Event]:
    events, diagnostics = parse_debuglog(text, tz=UTC, start_date=DAY, **kwargs)
    assert diagnostics == []
    return events


def fields(event: Event) -> tuple:
    return (event.kind, event.feature, event.user, event.host, event.count, event.reason,
            event.code, event.extra)


def feed_all(reader: DebugLogReader, text: str) -> list:
    """What the live reader returns for each line, in order."""
    return [reader.feed(line) for line in text.split("\n")]


# ---- vendor data after user@host ------------------------------------------------------------

def test_synopsys_checkout_data_is_vendor_data_not_the_reason():
    assert [fields(e) for e in parse(PRIMETIME)] == [
        (K.OUT, "PrimeTime", "xxxxx", "ubuntu-x86", 1, None, None, "[J3_7f0101_611_1]"),
        (K.IN, "PrimeTime", "xxxxx", "ubuntu-x86", 1, None, None, "[J3_7f0101_611_1]")]


def test_flexnet_verbose_trailer_is_vendor_data_and_the_host_ends_at_the_space():
    plain, verbose = parse(VERBOSE)
    assert fields(plain) == (K.OUT, "f1", "ADas", "BLR-LT-104276", 1, None, None, None)
    assert fields(verbose) == (K.OUT, "f1", "ADas", "BLR-LT-104276", 1, None, None,
                               "^^^ 1.0 ADas 127.0.0.1 29865 0x12CE")
    # Built from the page's templates (`"feature" user@host (reason (error)) ^^^ ver user
    # ip pid handle in_use out_of project_name flex_version flex_revision date time
    # is_dup_group ^^^`), not captured lines; the project names an `@` of its own.
    trailer = "^^^ 1.0 ADas 127.0.0.1 29865 0x12CE 4 4 cad@lab 11 19 3/17/2024 8:41:55 0 ^^^"
    denied, out = parse("\n".join([
        f'8:41:55 (demo) DENIED: "f1" ADas@BLR-LT-104276 (Licensed number of users already '
        f"reached. (-4,342)) {trailer}",
        f'8:41:56 (demo) OUT: "f1" ADas@BLR-LT-104276 (2 licenses) {trailer}']))
    assert fields(denied) == (K.DENIED, "f1", "ADas", "BLR-LT-104276", 1,
                              "Licensed number of users already reached.", "-4,342", trailer)
    assert fields(out) == (K.OUT, "f1", "ADas", "BLR-LT-104276", 2, None, None, trailer)


def test_a_winsock_code_with_a_space_before_its_paren_is_read():
    # debuglog/01 (Wildsong/arctic-monitor README.md) with its two lines joined.
    event, = parse("14:46:39 (telelogic) DENIED: DOORS indkach@indkach  [telelogic] "
                   "(Licensed number of users already reached. (-4,342:10054 )) ")
    assert fields(event) == (K.DENIED, "DOORS", "indkach", "indkach", 1,
                             "Licensed number of users already reached.", "-4,342:10054",
                             "[telelogic]")
    assert denial_reason_words(event.code, event.reason) == "pool full"


# ---- old FLEXlm: unquoted features, the reason on the next line ------------------------------

def test_old_flexlm_unquoted_features_with_the_reason_on_the_next_line():
    events = parse(TELELOGIC, server="doors")
    denial = (K.DENIED, "DOORS", "indkach", "indkach", 1,
              "Licensed number of users already reached.", "-4,342:10054", "[telelogic]")
    assert [fields(e) for e in events] == [
        denial, denial, (K.OUT, "TLSTOK-token", "indkach", "indkach", 3, None, None, "[DOORS]")]
    assert [e.line for e in events] == [1, 3, 5]
    assert {(e.at, e.daemon, e.server) for e in events} == {
        (datetime(2024, 3, 17, 14, 46, 39, tzinfo=UTC), "telelogic", "doors")}


def test_the_live_reader_returns_an_old_flexlm_line_with_its_continuation():
    reader = DebugLogReader(tz=UTC, start_date=DAY)
    got = feed_all(reader, TELELOGIC)
    assert [e and (e.kind, e.count, e.code) for e in got] == [
        None, (K.DENIED, 1, "-4,342:10054"), None, (K.DENIED, 1, "-4,342:10054"),
        None, (K.OUT, 3, None)]
    assert reader.flush() is None and reader.line_no == 6


@pytest.mark.parametrize("word", ["OUT", "IN", "DENIED", "QUEUED"])
def test_old_flexlm_lines_of_each_usage_kind(word):
    """The shape of debuglog/01 for each kind: the parenthesised part on the same line, on
    the next line, or nowhere (then the next timed line releases the event)."""
    line = f"14:46:39 (telelogic) {word}: DOORS indkach@indkach  [telelogic] "
    same_line, next_line, alone = parse("\n".join([
        line + "(2 licenses) (INACTIVE)", line, "(2 licenses) (INACTIVE)", line,
        "14:46:40 (telelogic) TCP_NODELAY NOT enabled"]))
    expected = (K[word], "DOORS", "indkach", "indkach", 2, "INACTIVE", None, "[telelogic]")
    assert fields(same_line) == fields(next_line) == expected
    assert fields(alone) == (K[word], "DOORS", "indkach", "indkach", 1, None, None,
                             "[telelogic]")
    assert [same_line.line, next_line.line, alone.line] == [1, 2, 4]


def test_a_held_line_keeps_its_place_before_the_events_after_it():
    lines = ["14:46:39 (telelogic) OUT: DOORS indkach@indkach  [telelogic] ",
             '14:46:40 (ibmratl) OUT: "RequisitePro" jdoe@pc1  ',
             '14:46:41 (ibmratl) IN: "RequisitePro" jdoe@pc1  ']
    reader = DebugLogReader(tz=UTC, start_date=DAY)
    got = feed_all(reader, "\n".join(lines))
    # Each line's event comes one line late once a line was held back; flush ends it.
    assert [e and (e.daemon, e.kind, e.line) for e in got] == [
        None, ("telelogic", K.OUT, 1), ("ibmratl", K.OUT, 2)]
    assert (reader.flush().line, reader.flush()) == (3, None)
    assert [e.line for e in parse("\n".join(lines))] == [1, 2, 3]


def test_unquoted_lines_without_user_at_host_are_diagnosed():
    events, diagnostics = parse_debuglog(
        "14:46:39 (telelogic) DENIED: DOORS indkach  [telelogic] ", tz=UTC, start_date=DAY)
    assert events == [] and [d.line for d in diagnostics] == [1]


# ---- why a daemon stopped --------------------------------------------------------------------

def test_a_shutdown_carries_the_cause_logged_before_it_and_multiple_servers_are_diagnosed():
    events, diagnostics = parse_debuglog(LOCK_FILE, tz=UTC, start_date=DAY, server="scl")
    at = datetime(2024, 3, 17, 13, 48, 56, tzinfo=UTC)
    assert events == [Event(at, K.STARTED, "snpslmd", server="scl", line=1),
                      Event(at, K.SHUTDOWN, "snpslmd", reason="Cannot open daemon lock file; "
                            "EXITING DUE TO SIGNAL 41 Exit reason 9", server="scl", line=4)]
    multiple, = diagnostics
    assert (multiple.line, multiple.server) == (6, "scl")
    assert multiple.message.startswith("a second snpslmd is serving")
    assert "lmreread" in multiple.message


def test_an_orderly_shutdown_has_no_cause_in_front():
    lmdown, = parse(LMDOWN)
    assert (lmdown.daemon, lmdown.user, lmdown.host, lmdown.reason) == (
        "lmgrd", "dubin", "ubuntu-20-intel", "EXITING DUE TO SIGNAL 15")
    # The same lines as lmgrd writes them, without the terminal's lines between them.
    adjacent = "\n".join(line for line in LMDOWN.split("\n") if line.startswith("14:"))
    assert parse(adjacent)[0].reason == "EXITING DUE TO SIGNAL 15"


def test_abaqus_job_lines_and_untimed_vendor_names_are_skipped():
    """Nothing an event would show: the job line repeats the user and host of the checkout
    (which has its own OUT line), the vendor names are start-up information."""
    denial, = parse(ABAQUS)
    assert (denial.count, denial.code) == (25, "-24,332")
    assert parse(ANSYS_VENDORS) == []


# ---- shapes of redacted and hand-made logs ---------------------------------------------------

def test_a_daemon_name_with_a_space():
    events = parse(GENEIOUS)
    assert [(e.kind, e.daemon, e.user, e.host) for e in events] == [
        (K.OUT, "app-name", "fbloggs", "gbpcx5cg90224lt"),
        (K.IN, "app name", "fbloggs", "gbpcx5cg90224lt")]


def test_one_space_before_the_reason():
    assert [(e.kind, e.user, e.host, e.reason) for e in parse(WEBTOOL)] == [
        (K.OUT, "designer01", "WORKSTATION01", None),
        (K.DENIED, "engineer03", "LAPTOP-B", "Max seat limit reached"),
        (K.DENIED, "designer01", "WORKSTATION01", "User not in INCLUDE list"),
        (K.DENIED, "engineer04", "LAPTOP-C", "License expired")]
    # A user name with spaces (a corpus user) keeps them: the host ends at the space.
    event, = parse('10:00:00 (MLM) DENIED: "MATLAB" Marta Rodriguez@DESKTOP-L00QHGH '
                   "(Licensed number of users already reached. (-4,342))")
    assert (event.user, event.host, event.code) == ("Marta Rodriguez", "DESKTOP-L00QHGH",
                                                    "-4,342")


# ---- the whole logs, read at once and line by line -------------------------------------------

CORPUS_LOGS = ["upm_adskflex_reread_dup_vendor_unsupported_mixed_time_format_EXCERPT.log.txt",
               "upm_maplelmg_mixed_versions_blank_line_localized_tz_EXCERPT.log.txt",
               "upm_mlm_unsupported_hex_out_in_EXCERPT.log.txt"]
LOGS = {**{name: lambda name=name: read_corpus("flexlm", "debuglog", name)
           for name in CORPUS_LOGS},
        **{name: lambda text=text: text for name, text in SAMPLES.items()}}


@pytest.mark.parametrize("name", LOGS)
def test_the_batch_parser_and_the_live_reader_agree(name):
    text = LOGS[name]().lstrip("\ufeff")
    events, batch_diagnostics = parse_debuglog(text, tz=UTC, start_date=DAY)
    reader = DebugLogReader(tz=UTC, start_date=events[0].at.date() if events else DAY)
    live = [e for e in feed_all(reader, text) if e is not None]
    held = reader.flush()
    assert live + ([held] if held else []) == events
    assert reader.diagnostics == batch_diagnostics


def test_the_events_screen_shows_the_vendor_data():
    event = parse(PRIMETIME)[0]
    row = EventsScreen(LiveData(["scl"])).row(Logged(1, event, 0.0), False)
    assert row.values[6] == "[J3_7f0101_611_1]"
