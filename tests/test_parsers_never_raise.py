"""Parsers and renderers never raise on bad input: what they cannot read becomes a diagnostic.

One property test per parser on mutated corpus files (bench/fuzz.py runs 100,000 a parser),
and one test for each kind of input that used to raise: digit strings past Python's
4,300-digit limit, Unicode digits, years beyond a datetime, a linger of 10^30 s, a request
for no seat in what-if, a count too large for a float, and a long whitespace run (which
made the lmstat parse quadratic: here it must simply finish; its speed is in bench/).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm.debuglog import parse_debuglog
from lmconsole.adapters.flexlm.license import format_license, parse_license, port_number
from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.adapters.flexlm.options import format_options, parse_options
from lmconsole.adapters.flexlm.validate import validate_options
from lmconsole.adapters.flexlm.validate_license import validate_license
from lmconsole.adapters.flexlm.whatif import Policy, Seat, what_if
from lmconsole.model import Checkout, Feature, ServerStatus, Snapshot, Status
from lmconsole.numbers import COUNT_MAX, PORT_MAX, read_int
from lmconsole.output import render_csv, render_json, render_prometheus, render_table
from tests.corpus import CORPUS

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")
HUGE = "9" * 5000  # past int()'s 4,300-digit limit


def corpus_texts(folder: str) -> list[str]:
    return [p.read_text(encoding="utf-8")
            for p in sorted((CORPUS / "flexlm" / folder).glob("*.txt"))]


LMSTAT, DEBUGLOG = corpus_texts("lmstat"), corpus_texts("debuglog")
LICENSE, OPTIONS = corpus_texts("license"), corpus_texts("options")

ODD_TEXT = st.sampled_from([
    HUGE, "²", "٣", "𝟠", "½", " " * 3000, "\t" * 3000, str(10**30), str(2**64), "99999",
    "1" + "0" * 400, "-1", "(", ")", '"', "\\", "\n", "\ufeff", "1-jan-99999", ":99",
]) | st.text(max_size=8)


@st.composite
def mutated(draw, texts: list[str]) -> str:
    """A corpus text with one to three spans replaced by odd text."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 12)))
        text = text[:start] + draw(ODD_TEXT) + text[end:]
    return text


def snapshot_of(text: str) -> Snapshot:
    report = parse_lmstat(text, tz=UTC, now=NOW)
    return Snapshot(report.reported_at or NOW, report.servers, report.diagnostics)


def render_all(snapshot: Snapshot) -> None:
    render_json(snapshot)
    render_table(snapshot, seats=True)
    render_csv(snapshot, rows="seats")
    render_prometheus(snapshot)


def lmstat_seat(tail: str, who: str = "jdoe host1 /dev/tty", server: str = "lic1/27000 101"
                ) -> str:
    return ("Users of MATLAB:  (Total of 10 licenses issued;  Total of 2 licenses in use)\n\n"
            '  "MATLAB" v39, vendor: MLM, expiry: 31-dec-2026\n\n'
            f"    {who} (v39) ({server}), start Mon 3/4 9:12{tail}\n")


def messages(report) -> list[str]:
    return [d.message for d in report.diagnostics]


# ---- one property test per parser ------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(mutated(LMSTAT))
def test_lmstat_parse_and_every_renderer_never_raise_on_mutated_outputs(text):
    render_all(snapshot_of(text))
    parse_lmstat(text, tz=CHICAGO, now=NOW)


@settings(max_examples=200, deadline=None)
@given(mutated(DEBUGLOG))
def test_debuglog_parse_never_raises_on_mutated_logs(text):
    parse_debuglog(text, tz=CHICAGO)
    parse_debuglog(text, tz=UTC, start_date=date(2026, 12, 1))


@settings(max_examples=200, deadline=None)
@given(mutated(LICENSE))
def test_license_parse_and_validation_never_raise_on_mutated_files(text):
    license_file = parse_license(text)
    validate_license(license_file, NOW.date())
    format_license(license_file)


@settings(max_examples=200, deadline=None)
@given(mutated(OPTIONS))
def test_options_parse_and_validation_never_raise_on_mutated_files(text):
    options = parse_options(text)
    validate_options(options, parse_license(LICENSE[0]), known_names=("jdoe",))
    format_options(options)


@settings(max_examples=100, deadline=None)
@given(mutated(OPTIONS), mutated(LMSTAT))
def test_what_if_never_raises_on_mutated_drafts_and_seats(draft, lmstat):
    seats = [Seat(f.name, c) for s in parse_lmstat(lmstat, tz=UTC, now=NOW).servers
             for f in s.features for c in f.checkouts]
    what_if(parse_options(OPTIONS[1]), parse_options(draft), seats=seats[:50],
            requests=parse_debuglog(DEBUGLOG[0], tz=UTC)[0][:50],
            license_file=parse_license(LICENSE[0]))


# ---- the reader ------------------------------------------------------------------------------


def test_the_number_reader_takes_ascii_digits_in_range_only():
    assert read_int("27000", PORT_MAX) == 27000
    assert read_int("65536", PORT_MAX) is None
    assert read_int(str(COUNT_MAX)) == COUNT_MAX
    assert read_int(str(COUNT_MAX + 1)) is None
    for text in (HUGE, "²", "٣", "12٣", "𝟠", "", None, "-1", "+1", " 1", "1_000"):
        assert read_int(text) is None, text


# ---- huge digit strings ----------------------------------------------------------------------


def test_huge_numbers_in_an_lmstat_seat_line_become_diagnostics():
    report = parse_lmstat(lmstat_seat(f", {HUGE} licenses"), tz=UTC, now=NOW)
    feature = report.servers[0].features[0]
    assert feature.checkouts == ()  # a seat of unknown size is no seat
    assert messages(report) == ["licence count out of range (more than 2,147,483,647)"]

    report = parse_lmstat(lmstat_seat(f", PID: {HUGE} (linger: {10**30})",
                                      server=f"lic1/{HUGE} {HUGE}"), tz=UTC, now=NOW)
    seat = report.servers[0].features[0].checkouts[0]
    assert (seat.user, seat.port, seat.handle, seat.pid, seat.linger_s) == \
        ("jdoe", None, None, None, None)
    assert messages(report) == ["port out of range (more than 65,535)",
                                "handle out of range (more than 4,294,967,295)",
                                "linger out of range (more than 2,147,483,647)",
                                "PID out of range (more than 4,294,967,295)"]


def test_huge_numbers_in_lmstat_headers_reservations_and_sources_become_diagnostics():
    text = (f"License server status: {HUGE}@lic1\n"
            f"Users of A:  (Total of {HUGE} licenses issued;  Total of 1 license in use)\n"
            f"Users of B:  (Total of 2 licenses issued;  Total of {HUGE} licenses in use)\n"
            f'  "B" v1, vendor: MLM, expiry: 1-jan-0\n'
            f"    {HUGE} RESERVATIONs for USER bob (lic1/27000)\n")
    report = parse_lmstat(text, tz=UTC, now=NOW)
    a, b = report.servers[0].features
    assert (a.issued, a.in_use, b.issued, b.in_use, b.reservations) == (None, 1, 2, None, ())
    assert messages(report) == ["licences issued out of range (more than 2,147,483,647)",
                                "licences in use out of range (more than 2,147,483,647)",
                                "reservation count out of range (more than 2,147,483,647)"]
    render_all(snapshot_of(text))


def test_huge_numbers_in_licence_and_options_files_are_findings():
    lic = parse_license(f"SERVER lic1 ANY {HUGE}\nVENDOR MLM port={HUGE}\n"
                        f"FEATURE f MLM 1.0 permanent {HUGE} SIGN=1\n"
                        f'PACKAGE p MLM 1.0 COMPONENTS="a:1.0:{HUGE}" SIGN=1\n')
    assert port_number(lic.servers[0].port) is None and lic.features[0].seats is None
    assert lic.packages[0].components == (("a", "1.0", None),)
    found = {f.code: f.message for f in validate_license(lic, NOW.date())}
    assert found["LIC006"] == ("licence count '999999999999'... (5,000 characters) is out of "
                               "range (0 to 2,147,483,647)")
    assert "LIC011" in found  # the VENDOR port

    options = parse_options(f"MAX {HUGE} f USER bob\nTIMEOUTALL {HUGE}\n")
    problems = [p.message for d in options.directives for p in d.problems]
    assert problems == [
        "MAX: '999999999999'... (5,000 characters) is out of range (0 to 2,147,483,647)",
        "TIMEOUTALL: '999999999999'... (5,000 characters) is out of range (0 to "
        "2,147,483,647)"]


# ---- Unicode digits --------------------------------------------------------------------------


def test_unicode_digits_are_not_numbers_anywhere():
    for digit in ("²", "٣", "𝟠"):
        report = parse_lmstat(lmstat_seat(f", {digit} licenses"), tz=UTC, now=NOW)
        assert report.servers[0].features[0].checkouts == ()
        assert messages(report) == ["unrecognised line"]
        report = parse_lmstat(lmstat_seat("", server=f"lic1/2700{digit} 1{digit}"), tz=UTC,
                              now=NOW)
        seat = report.servers[0].features[0].checkouts[0]
        assert (seat.port, seat.handle) == (None, None)  # not 27003 and 13
        lic = parse_license(f"FEATURE f MLM 1.0 1-jan-202{digit} {digit} SIGN=1\n")
        assert (lic.features[0].seats, lic.features[0].expiry_ok) == (None, False)
        options = parse_options(f"MAX {digit} f USER bob\n")
        assert options.directives[0].number is None
        events, _ = parse_debuglog(f" 9:12:0{digit} (MLM) OUT: \"f\" bob@pc\n", tz=UTC,
                                   start_date=date(2026, 12, 1))
        assert events == []


# ---- dates and durations out of range --------------------------------------------------------


def test_years_beyond_a_date_are_unreadable_dates():
    report = parse_lmstat(lmstat_seat("").replace("31-dec-2026", "31-dec-99999"), tz=UTC,
                          now=NOW)
    assert report.servers[0].features[0].pools[0].expiry is None
    assert messages(report) == ["unreadable expiry date"]
    lic = parse_license("FEATURE f MLM 1.0 1-jan-99999 1 SIGN=1\n")
    assert [f.code for f in validate_license(lic, NOW.date())] == ["LIC007"]


def test_a_status_date_in_year_9999_west_of_utc_is_out_of_range():
    text = ("Flexible License Manager status on Fri 12/31/9999 23:30\n"
            + lmstat_seat(" (linger: 100)"))
    report = parse_lmstat(text, tz=CHICAGO)
    assert report.reported_at is None
    assert messages(report) == ["status date out of range (year 9999)"]
    render_all(Snapshot(NOW, report.servers, report.diagnostics))


def test_a_linger_of_ten_to_the_thirty_seconds_is_out_of_range():
    report = parse_lmstat(lmstat_seat(f" (linger: {10**30})"), tz=UTC, now=NOW)
    seat = report.servers[0].features[0].checkouts[0]
    assert (seat.borrowed, seat.linger_s, seat.linger_total_s) == (False, None, None)
    assert messages(report) == ["linger out of range (more than 2,147,483,647)"]


def test_the_longest_linger_in_range_is_counted_without_date_arithmetic():
    report = parse_lmstat("Flexible License Manager status on Fri 12/31/9998 23:30\n"
                          + lmstat_seat(f" (linger: {COUNT_MAX})"), tz=UTC)
    seat = report.servers[0].features[0].checkouts[0]
    assert seat.borrowed and seat.linger_total_s == COUNT_MAX and seat.linger_s > 0


# ---- what-if ---------------------------------------------------------------------------------


def test_what_if_decides_a_request_for_no_seat_under_a_reservation_for_someone_else():
    licence = parse_license("INCREMENT CAD demo 2.0 31-dec-2026 3 SIGN=0\n")
    policy = Policy.from_options(parse_options("RESERVE 1 CAD USER eve\n"), licence)
    decision = policy.decide("bob", "bob-pc", None, "CAD", count=0, in_use_by_pool={})
    assert decision.allowed and decision.rule is None
    zero = Checkout("bob", "bob-pc", None, "2.0", 0, "lic1", 27000, 1, NOW, count=0)
    report = what_if(parse_options("RESERVE 1 CAD USER eve\n"), parse_options(""),
                     seats=[Seat("CAD", zero)], license_file=licence)
    assert not report.changes_access


# ---- renderers -------------------------------------------------------------------------------


def test_renderers_take_a_count_too_large_for_a_float():
    huge = 10**400  # in_use / issued overflows a float
    feature = Feature(name="f", vendor="MLM", issued=3, in_use=huge, uncounted=False)
    snapshot = Snapshot(NOW, (ServerStatus(name="lic1", source="27000@lic1", status=Status.UP,
                                           features=(feature,)),), ())
    assert "f       MLM    1000" in render_table(snapshot)
    render_all(snapshot)


# ---- a long whitespace run -------------------------------------------------------------------


def test_a_long_whitespace_run_is_parsed_in_linear_time():
    """320 kB runs where the line then fails to match: before, each took minutes."""
    run = " " * 320_000
    lines = [
        lmstat_seat(run + "x"),
        lmstat_seat("", who="jdoe" + "\t" * 320_000 + "host1 /dev/tty") + "x",
        f'  "MATLAB" v39, expiry: 1-jan-0{run}x\n',
        f"    1 RESERVATION for USER bob{run}x (lic1/27000)\n",
        f"Users of MATLAB:{run}x\n",
    ]
    for text in lines:
        report = parse_lmstat(text, tz=UTC, now=NOW)
        assert "unrecognised line" in messages(report)
