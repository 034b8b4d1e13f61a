"""The status parsers of the status-only managers never raise on bad input, as
tests/test_parsers_never_raise.py holds the FlexLM parsers to: mutated samples through the
parser and every renderer, then the inputs that break naive parsers (huge and Unicode
digits, dates beyond a datetime, long whitespace and digit runs, which must take linear
time)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings

from lmconsole.adapters import ADAPTERS
from lmconsole.model import Snapshot

from .corpus import CORPUS
from .test_betalm import TWO_SESSIONS
from .test_hasp import FEATURES as HASP_FEATURES
from .test_hasp import SESSIONS as HASP_SESSIONS
from .test_lsdyna import TWO_GROUPS
from .test_lum import STATUS as LUM_STATUS
from .test_mathlm import TUTORIAL
from .test_olicense import LOCKED
from .test_parsers_never_raise import CHICAGO, HUGE, mutated, render_all
from .test_public_samples import SAMPLES as PUBLIC_SAMPLES

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def samples(folder: str, *more: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((CORPUS / folder).glob("*.txt"))
            ] + list(more)


MONITORLM_TEXT = (PUBLIC_SAMPLES / "mathlm" / "monitorlm_text_format_tutorial_layout.txt"
                  ).read_text(encoding="utf-8")
HASP_HTML_TERMS = (PUBLIC_SAMPLES / "hasp" / "acc_features_sessions_html_terms_unlimited.txt"
                   ).read_text(encoding="utf-8")
SAMPLES = {
    "lsdyna": samples("lsdyna/lstc_qrun", TWO_GROUPS),
    "olicense": samples("olicense/olixtool", LOCKED),
    "betalm": samples("betalm/beta_lm_stat", TWO_SESSIONS),
    "mathlm": [TUTORIAL, MONITORLM_TEXT],
    "lum": [LUM_STATUS],
    "hasp": [HASP_FEATURES + HASP_SESSIONS, HASP_HTML_TERMS],
}

# Per manager: a one-line-of-interest output, its odd value in {value}.
TEMPLATES = {
    "lsdyna": ["LICENSE INFORMATION\nLS-DYNA          12/30/2022          {value}     60    "
               "500 |     0\n",
               "LICENSE INFORMATION\nLS-DYNA          12/30/{value}          1     60    500 |"
               "     0\n",
               "LICENSE INFORMATION\nLS-DYNA          12/30/2022          1     6    5 |     0\n"
               " bob     {value}@n1   {value}\n"],
    "olicense": ["olixtool 4 - OLicense XML Status Application\nServer: <h:{value}:0>\n"
                 "  m; FreeFloating; {value}; {value}-12-31 23:59:59;\n"
                 "    {value} FloatsLockedBy:\n      u@h #{value}\n"],
    "betalm": ["STATUS REPORT\n   PACKAGE:FEATURE     | MAX CREDIT | CREDIT USED | USED "
               "PERCENTAGE | USAGE\n  P:F | {value} | {value} | 1(%) | {value}\n",
               "STATUS REPORT\n      PACKAGE          |     ISSUED      |     EXPIRE      |   "
               "CREDIT\n  P | Sun Dec 13 {value} | Tue Mar {value} 2021 | {value}\n"
               "   USER NAME@HOST           |  FEATURE   |      PID   |       START\n"
               "  a@b | P | {value} | Mon Feb 22 16:51:43 {value}\n"],
    "mathlm": ["LMCONSOLE-MATHLM COUNT Mathematica {value} {value}\n"
               "LMCONSOLE-MATHLM SEAT Mathematica~u~h~{value}:00\n"
               "LMCONSOLE-MATHLM SEAT Mathematica~u~h~{value}d 01:00\nLMCONSOLE-MATHLM END\n",
               "MathLM Server h\nDate : Thursday, August {value} 2017 14:11:59\n"
               "License Usage Summary:\nSub Mathematica   A   {value}   {value}\n"
               "Licenses in Use:\nSub Mathematica   11.1   A   u   h   {value}:00\n"],
    "lum": ["Vendor Name: V\nProduct Name: P\nLicenses: {value}\nLicenses In Use: {value}\n"
            "Exp. Date: Sat Jan  1 23:59:59 {value}\nUser Name: u\n"
            "Check-out Date: 01/{value}/2026 10:00\n"],
    "hasp": ['{{"fid":"1","fn":"A","lic":"Expiration date: Fri Jan 1, {value} 00:00",'
             '"logc":"{value}","logl":"{value}"}},\n'
             '{{"fid":"1","usr":"u","lt":"Thu Dec {value}, 2026 08:00"}}\n'
             "/*lmconsole-hasp {value} http://h:{value}/x*/\n"],
}
BAD_VALUES = [HUGE, "²", "٣", "𝟠", str(2**64), "-1"]  # no count, port, year or pid
ODD_VALUES = [*BAD_VALUES, "99999", "0", ""]


def parse(kind: str, text: str, tz=UTC):
    return ADAPTERS[kind].parse_status(text, name="srv", tz=tz, now=NOW)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_mutated_samples_never_raise_in_the_parser_or_any_renderer(kind):
    @settings(max_examples=150, deadline=None)
    @given(mutated(SAMPLES[kind]))
    def check(text):
        report = parse(kind, text, tz=CHICAGO)
        render_all(Snapshot(NOW, report.servers, report.diagnostics))

    check()


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_huge_unicode_and_out_of_range_numbers_and_dates_are_diagnosed(kind):
    for template in TEMPLATES[kind]:
        for value in ODD_VALUES:
            report = parse(kind, template.format(value=value))
            render_all(Snapshot(NOW, report.servers, report.diagnostics))
            if value in BAD_VALUES:
                assert report.diagnostics, (kind, template, value)
            for feature in (f for s in report.servers for f in s.features):
                assert feature.issued is None or feature.issued < 2**31
                assert all(c.count < 2**31 for c in feature.checkouts)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_long_whitespace_and_digit_runs_are_parsed_in_linear_time(kind):
    run, digits = " " * 320_000, "1 " * 160_000
    texts = [sample.replace(" ", run, 3) + "x" for sample in SAMPLES[kind][:1]]
    texts += [template.format(value=odd) for template in TEMPLATES[kind]
              for odd in (run + "x", digits, "1" * 320_000 + "x", "." * 320_000,
                          "(" * 320_000, "|" * 320_000, "@" * 320_000, ";" * 320_000)]
    texts += [f"Trying 1@{'.' * 320_000}x\n", f"Server: <{'a:' * 160_000}>\n",
              "/*" * 160_000, "{" * 320_000, "[" * 320_000, '{"a":1},' * 40_000,
              "/**/\n" * 60_000 + '{"fid":"1","logl":"1"}',
              '{"fid":"1","logl":"1","lic":"' + "expir" * 64_000 + '"}',
              '{"fid":"1","logl":"1","lic":"' + "<br" * 100_000 + '"}']
    for text in texts:  # each must simply finish (a quadratic pattern takes minutes); the
        parse(kind, text)  # parsers' speed is measured in bench/, not here
