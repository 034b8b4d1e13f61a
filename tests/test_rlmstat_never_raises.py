"""The rlmstat parser never raises on bad input, as tests/test_parsers_never_raise.py holds
the FlexLM parsers to: mutated corpus outputs through the parser and every renderer, then
each kind of input that breaks naive parsers (huge and Unicode digits, dates beyond a
datetime, long whitespace runs, which must take linear time). bench/fuzz.py runs the
`rlmstat` target 100,000 times."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings

from lmconsole.adapters.rlm.rlmstat import parse_rlmstat
from lmconsole.model import Snapshot

from .corpus import CORPUS
from .test_parsers_never_raise import CHICAGO, HUGE, mutated, render_all
from .test_rlmstat import MANUAL

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
RLMSTAT = [p.read_text(encoding="utf-8")
           for p in sorted((CORPUS / "rlm" / "rlmstat").glob("*.txt"))] + [MANUAL]

POOL = ("demo license pool status on lic (port 40000)\n"
        "cad v{version}\n    count: {count}, # reservations: {res}, inuse: {inuse}, "
        "exp: {exp}\n")
USAGE = ("demo license usage status on lic (port {port})\n"
         "cad v1.0: {who} {count}/0 at {when}  (handle: {handle})\n")


def pool(**values) -> str:
    return POOL.format(**{"version": "1.0", "count": "5", "res": "0", "inuse": "1",
                          "exp": "permanent", **values})


def usage(**values) -> str:
    return USAGE.format(**{"port": "40000", "who": "bob@pc", "count": "1",
                           "when": "07/06 13:29", "handle": "41", **values})


def parse(text: str):
    return parse_rlmstat(text, tz=UTC, now=NOW)


def messages(report) -> list[str]:
    return [d.message for d in report.diagnostics]


@settings(max_examples=200, deadline=None)
@given(mutated(RLMSTAT))
def test_rlmstat_parse_and_every_renderer_never_raise_on_mutated_outputs(text):
    report = parse(text)
    render_all(Snapshot(report.reported_at or NOW, report.servers, report.diagnostics))
    parse_rlmstat(text, tz=CHICAGO)  # no `now`: resolved against the statistics, or today


def test_huge_numbers_become_diagnostics():
    report = parse(pool(count=HUGE, inuse=HUGE, res=HUGE))
    (feature,) = report.servers[0].features
    assert (feature.issued, feature.in_use, feature.reserved) == (None, None, 0)
    assert messages(report) == ["licence count out of range (more than 2,147,483,647)",
                                "reservations out of range (more than 2,147,483,647)",
                                "licences in use out of range (more than 2,147,483,647)"]
    report = parse(usage(count=HUGE, port=HUGE))
    assert report.servers[0].features == ()  # a seat of unknown size is no seat
    assert messages(report) == ["port out of range (more than 65,535)",
                                "licence count out of range (more than 2,147,483,647)"]
    report = parse(usage(handle="f" * 5000))
    assert report.servers[0].features[0].checkouts[0].handle is None
    assert messages(report) == ["handle out of range (more than 4,294,967,295)"]


def test_unicode_digits_are_not_numbers():
    for digit in ("²", "٣", "𝟠"):
        report = parse(pool(count=f"1{digit}", inuse=digit))
        (feature,) = report.servers[0].features
        assert (feature.issued, feature.in_use) == (None, None)
        assert messages(report) == ["licence count is not a number",
                                    "licences in use is not a number"]
        report = parse(usage(count=digit))  # not a usage line at all
        assert report.servers[0].features == ()
        assert messages(report) == ["unrecognised line"]


def test_dates_beyond_a_datetime_are_unreadable():
    report = parse(pool(exp="31-dec-99999"))
    assert report.servers[0].features[0].pools[0].expiry is None
    assert messages(report) == ["unreadable expiry date"]
    for stamp in ("Fri Dec 31 23:59:59 9999", "Mon Jan  1 00:00:00 1", "Tue Feb 30 10:00:00 2021",
                  f"Tue Nov  2 23:00:06 {HUGE}"):
        text = f"rlm status on lic (port 5053)\nRecent Statistics (00:16:08), init time: {stamp}\n"
        report = parse_rlmstat(text, tz=CHICAGO, now=NOW)
        assert report.reported_at is None
        assert messages(report) == ["unreadable statistics time"], stamp
    text = ("rlm status on lic (port 5053)\n"
            "Recent Statistics (99999d 00:16:08), init time: Fri Dec 31 23:59:59 9998\n")
    assert messages(parse_rlmstat(text, tz=CHICAGO)) == ["unreadable statistics time"]
    report = parse(usage(when="02/30 10:00") + "cad v1.0: eve@pc 1/0 at 13/99 99:99\n")
    assert [c.start for c in report.servers[0].features[0].checkouts] == [None, None]
    assert messages(report) == ["impossible checkout time"] * 2


def test_a_29_february_checkout_falls_back_to_the_last_leap_year():
    (seat,) = parse(usage(when="02/29 09:00")).servers[0].features[0].checkouts
    assert seat.start == datetime(2024, 2, 29, 9, 0, tzinfo=UTC)


def test_long_whitespace_and_digit_runs_are_parsed_in_linear_time():
    """320 kB runs where the line then fails to match."""
    run, digits = " " * 320_000, "1 " * 160_000
    texts = [usage(who="bob" + run + "x@pc"), usage(who=digits + "@pc") + "x",
             usage(when="07/06 13:29" + run + "x"), pool(exp="permanent" + run + "x"),
             "cad v1.0:" + run + "x\n", "cad v1.0: a@b " + digits + "/\n",
             f"demo license usage status on {run} (port 1)\n", "(" * 320_000 + "\n",
             usage(who="bob@pc" + "(1)" * 100_000)]
    for text in texts:  # each must simply finish (a quadratic pattern takes minutes); the
        parse(text)  # parser's speed is measured in bench/, not here
