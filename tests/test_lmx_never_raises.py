"""The lmxendutil parsers never raise on bad input, as tests/test_parsers_never_raise.py
holds the FlexLM parsers to: mutated corpus outputs (and the simulator's XML) through the
parser and every renderer, then each kind of input that breaks naive parsers (huge and
Unicode digits, dates beyond a datetime, long whitespace and digit runs, which must take
linear time)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.lmx.licstat import parse_licstat
from lmconsole.adapters.lmx.licstat_xml import parse_licstat_xml
from lmconsole.model import Snapshot

from .corpus import CORPUS
from .test_lmx_licstat import FEMFAT, SHARED_SEAT, XML
from .test_parsers_never_raise import CHICAGO, HUGE, mutated, render_all

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
LMX = ADAPTERS["lmx"]
LICSTAT = [p.read_text(encoding="utf-8")
           for p in sorted((CORPUS / "lmx" / "licstat").glob("*.txt"))] + [FEMFAT, SHARED_SEAT]

FEATURE = ("LM-X License Server on 6200@lic1:\n"
           "Feature: CAD Version: {version} Vendor: ACME\n"
           "Start date: {start} Expire date: {expiry}\n"
           "Key type: EXCLUSIVE License sharing: HOST USER\n"
           "{used} of {total} license(s) used:\n"
           "{count} license(s) used by {who} [10.0.0.1]\n"
           "    Login time: {login}   Checkout time: {checkout}\n")


def feature(**values) -> str:
    return FEATURE.format(**{"version": "1.0", "start": "2026-01-01", "expiry": "2027-01-01",
                             "used": "1", "total": "5", "count": "1", "who": "bob@pc",
                             "login": "2026-12-03 08:00", "checkout": "2026-12-03 08:01",
                             **values})


def simulator_xml() -> str:
    simulator = LMX.simulator()
    scenario = simulator.scenario("cae")
    server = simulator.start(scenario, seed=3, at=scenario.start + timedelta(hours=3),
                             speed=None)
    return server.lmxendutil(["-licstatxml"])[1]


XMLS = [XML, simulator_xml()]


def messages(report) -> list[str]:
    return [d.message for d in report.diagnostics]


def render(report) -> None:
    render_all(Snapshot(report.reported_at or NOW, report.servers, report.diagnostics))


@settings(max_examples=200, deadline=None)
@given(mutated(LICSTAT))
def test_licstat_parse_and_every_renderer_never_raise_on_mutated_outputs(text):
    render(parse_licstat(text, tz=UTC, now=NOW))
    parse_licstat(text, tz=CHICAGO)  # no `now`: today's


@settings(max_examples=200, deadline=None)
@given(mutated(XMLS))
def test_licstat_xml_parse_and_every_renderer_never_raise_on_mutated_outputs(text):
    render(parse_licstat_xml(text, tz=UTC, now=NOW))
    render(LMX.parse_status(text, name="x", tz=CHICAGO, now=NOW))


def test_huge_numbers_become_diagnostics():
    report = parse_licstat(feature(used=HUGE, total=HUGE, count=HUGE), tz=UTC, now=NOW)
    (cad,) = report.servers[0].features
    assert (cad.issued, cad.in_use, cad.checkouts) == (None, None, ())
    assert messages(report) == ["licences in use out of range (more than 2,147,483,647)",
                                "licence count out of range (more than 2,147,483,647)",
                                "licence count out of range (more than 2,147,483,647)",
                                "seat detail without its seat"]
    report = parse_licstat(f"LM-X License Server on {HUGE}@lic1:\n", tz=UTC, now=NOW)
    assert report.servers[0].hosts[0].port is None
    assert messages(report) == ["port out of range (more than 65,535)"]
    xml = XML.replace('USED_LICENSES="21000"', f'USED_LICENSES="{HUGE}"')
    report = parse_licstat_xml(xml, tz=UTC, now=NOW)
    assert report.servers[0].features[0].seats_listed == 25000  # that seat is not counted
    assert messages(report) == ["licence count out of range (more than 2,147,483,647)"]


def test_unicode_digits_are_not_numbers():
    for digit in ("²", "٣", "𝟠"):
        report = parse_licstat(feature(total=f"1{digit}"), tz=UTC, now=NOW)
        (cad,) = report.servers[0].features
        assert cad.issued is None and cad.in_use == 1  # the line is not a count line
        assert messages(report) == ["unrecognised line"]
        report = parse_licstat(feature(login=f"2026-12-0{digit} 08:00"), tz=UTC, now=NOW)
        assert messages(report) == ["unreadable login time"]
        xml = XML.replace('TOTAL_LICENSES="1150000"', f'TOTAL_LICENSES="{digit}"')
        report = parse_licstat_xml(xml, tz=UTC, now=NOW)
        assert report.servers[0].features[0].issued is None
        assert messages(report) == ["licence count is not a number"]


def test_dates_beyond_a_datetime_are_unreadable():
    for expiry in ("99999-12-31", "0001-01-01", "2026-02-30", f"{HUGE}-01-01", "31.13.2026"):
        report = parse_licstat(feature(expiry=expiry), tz=CHICAGO, now=NOW)
        assert report.servers[0].features[0].pools[0].expiry is None
        assert messages(report) == ["unreadable expiry date"], expiry
    for moment in ("9999-12-31 23:59", "1969-12-31 23:59", "2026-12-03 25:61",
                   "2026-12-03 13:00 PM"):
        report = parse_licstat(feature(checkout=moment), tz=CHICAGO, now=NOW)
        assert report.servers[0].features[0].checkouts[0].start.hour == 8  # the login's
        assert messages(report) == ["unreadable checkout time"], moment
    xml = XML.replace('BORROW_EXPIRE_TIME="2022-02-20 10:00"',
                      'BORROW_EXPIRE_TIME="9999-12-31 23:59"')
    report = parse_licstat_xml(xml, tz=CHICAGO, now=NOW)
    assert report.servers[0].features[0].checkouts[1].linger_s == 0  # borrowed, time unknown
    assert messages(report) == ["unreadable borrow expiry time"]


def test_long_whitespace_and_digit_runs_are_parsed_in_linear_time():
    """320 kB runs where the line then fails to match."""
    run, digits = " " * 320_000, "1 " * 160_000
    texts = [feature(who="bob" + run + "x@pc"), feature(version="1.0" + run + "x"),
             "Feature: " + run + "x\n", "Feature: a Version:" + run + "Vendor" + run + "\n",
             feature(used=digits), feature(login="2026-12-03" + run + "08:00"),
             "Start date: " + run + "x Expire date:" + run + "\n", "[" * 320_000 + "\n",
             feature(who="bob@pc" + " [" * 100_000), "LM-X License Server on " + run + ":\n",
             "Login time: " + run + "Checkout time:" + run + "x\n", digits + " license(s) used by\n"]
    for text in texts:
        started = time.perf_counter()
        parse_licstat(text, tz=UTC, now=NOW)
        assert time.perf_counter() - started < 2, text[:40]
    started = time.perf_counter()
    parse_licstat_xml("<LM-X>" + '<FEATURE NAME="a" ' + "X=\"1\" " * 50_000 + "/>" * 2,
                      tz=UTC, now=NOW)
    assert time.perf_counter() - started < 2
