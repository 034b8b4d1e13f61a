"""Fuzz the parsers and renderers with mutated copies of the real files of the corpus.

For each parser, `--count` inputs (default 100,000): a corpus file (a window of at most
`--window` lines of the large ones, so that a run stays in minutes), changed by one to three
mutations: byte flips, huge digit strings, Unicode digits, whitespace runs, truncation,
duplicated or dropped lines, out-of-range numbers and dates, lines spliced from other files.
Prints per parser the inputs run, the exceptions raised (the last line of the first few
tracebacks), the time and the slowest input; exits 1 when any input raised. Parsers never
raise (STYLE.md), so the expected count is 0.

    .venv/bin/python bench/fuzz.py [--count 100000] [--seed 1] [--only lmstat,options]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lmconsole.adapters.flexlm.debuglog import parse_debuglog
from lmconsole.adapters.flexlm.license import format_license, parse_license
from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.adapters.flexlm.options import format_options, parse_options
from lmconsole.adapters.flexlm.validate import validate_options
from lmconsole.adapters.flexlm.validate_license import validate_license
from lmconsole.adapters.flexlm.whatif import Seat, what_if
from lmconsole.adapters.flexlm.whatif_report import report_json, report_text
from lmconsole.adapters.rlm.rlmstat import parse_rlmstat
from lmconsole.model import Snapshot
from lmconsole.output import render_csv, render_json, render_prometheus, render_table

SHARED_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS = SHARED_CORPUS / "flexlm"
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")  # west of UTC: the last day of year 9999 overflows
WHAT_IF_INPUTS = {"draft": "draft.opt", "current": "current.opt", "license": "license.lic",
                  "lmstat": "lmstat.txt", "debug_log": "debug.log"}

# ---- mutations -------------------------------------------------------------------------------

UNICODE_DIGITS = "²³¹٣۴߅०১੩૫୬௭౮೯൦๓໔༣၅႙០᠑᥆᧑᪁᭓᮲᱃᱐꘡꣔꤁꧓꩓꯰０１９𝟎𝟠𝟫🯰½Ⅻ"
DIGITS = "0123456789"
HUGE_NUMBERS = ("9" * 4301, "1" * 5000, "7" * 20000, str(10**30), str(2**64), str(2**63),
                str(2**31), "4294967296", "1" + "0" * 400, "0" * 5000 + "1", "99999", "-1")
WHITESPACE = (" ", "\t", " \t", "\u00a0", "\u3000", "\x0b")
ODD_TEXT = ("(", ")", '"', "\\", "/", ":", ",", "@", "=", "#", "\x00", "\ufeff", "\u202e",
            "\r", "\n", "é", "\udcff", "(v", ") (", "Users of ", "start ", "linger: ")


def _positions(text: str, chars: str) -> list[int]:
    return [i for i, c in enumerate(text) if c in chars]


def flip_chars(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 8)):
        if not chars:
            break
        i = rng.randrange(len(chars))
        chars[i] = rng.choice((chr(rng.randrange(0x20, 0x7F)), chr(rng.randrange(0, 0x3000)),
                               rng.choice(ODD_TEXT)))
    return "".join(chars)


def _digit_runs(text: str) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, c in enumerate(text + "x"):
        if c in DIGITS:
            start = i if start is None else start
        elif start is not None:
            runs.append((start, i))
            start = None
    return runs


def huge_number(rng: random.Random, text: str) -> str:
    """A number of the text replaced by a huge one (or a sign, or 10^400 for floats)."""
    runs = _digit_runs(text)
    if not runs:
        return text + rng.choice(HUGE_NUMBERS)
    for _ in range(rng.randint(1, 3)):
        start, end = rng.choice(runs)
        text = text[:start] + rng.choice(HUGE_NUMBERS) + text[end:]
        runs = _digit_runs(text) if rng.random() < 0.3 else runs
        runs = [r for r in runs if r[1] <= len(text)]
        if not runs:
            break
    return text


def unicode_digits(rng: random.Random, text: str) -> str:
    places = _positions(text, DIGITS)
    if not places:
        return text
    chars = list(text)
    for i in rng.sample(places, min(len(places), rng.randint(1, 6))):
        chars[i] = rng.choice(UNICODE_DIGITS)
    return "".join(chars)


def whitespace_run(rng: random.Random, text: str) -> str:
    places = _positions(text, " \t:(,/") or [len(text)]
    i = rng.choice(places)
    run = rng.choice(WHITESPACE) * rng.choice((2, 50, 1000, 5000))
    return text[:i] + run + rng.choice(("", "", "x", "(", ")")) + text[i:]


def truncate(rng: random.Random, text: str) -> str:
    return text[: rng.randrange(len(text) + 1)]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def duplicate_lines(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    j = min(len(lines), i + rng.randint(1, 5))
    return "".join(lines[:j] + lines[i:j] * rng.randint(1, 4) + lines[j:])


def drop_lines(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    return "".join(lines[:i] + lines[i + rng.randint(1, 4):])


def odd_dates(rng: random.Random, text: str) -> str:
    """Years, months, days, hours out of range where the text has dates and times."""
    replacements = (("2025", "99999"), ("2024", "0"), ("2026", "10000"), ("-20", "-9999"),
                    ("/1", "/99"), ("1/", "13/"), ("0/", "0/0"), (":", ":99"), ("-jan-", "-xyz-"),
                    ("-dec-", "-dec-99999999"), ("permanent", "1-jan-99999"), (" 1", " 31"),
                    ("2/", "2/30 "), ("(linger: ", "(linger: 1000000000000000000000000000000 "),
                    ("TIMESTAMP ", "TIMESTAMP 12/31/99999 "), ("start ", "start Sun 2/29 "),
                    (" 2021", " 99999"), ("exp: ", "exp: 31-dec-"), (" at 1", " at 13/99 9"),
                    ("(handle: ", "(handle: ffffffffffff"), ("Nov  2", "Feb 30"))
    for _ in range(rng.randint(1, 3)):
        old, new = rng.choice(replacements)
        places = [i for i in range(len(text)) if text.startswith(old, i)]
        if places:
            i = rng.choice(places)
            text = text[:i] + new + text[i + len(old):]
    return text


MUTATIONS: tuple[Callable[[random.Random, str], str], ...] = (
    flip_chars, huge_number, unicode_digits, whitespace_run, truncate, duplicate_lines,
    drop_lines, odd_dates,
)


def splice(rng: random.Random, text: str, others: list[str]) -> str:
    lines, donor = _lines(text), _lines(rng.choice(others))
    i = rng.randrange(len(lines) + 1)
    return "".join(lines[:i] + [rng.choice(donor)] + lines[i:])


def window(rng: random.Random, text: str, size: int) -> str:
    """The first lines (the header that sets the context) and a random run of lines."""
    lines = _lines(text)
    if len(lines) <= size:
        return text
    head = size // 4
    start = rng.randrange(head, len(lines) - (size - head) + 1)
    return "".join(lines[:head] + lines[start:start + size - head])


def mutate(rng: random.Random, text: str, others: list[str], size: int) -> str:
    text = window(rng, text, size)
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.1:
            text = splice(rng, text, others)
        else:
            text = rng.choice(MUTATIONS)(rng, text)
    return text


# ---- what runs on each input ----------------------------------------------------------------


def _corpus(*folders: str, root: Path = CORPUS) -> list[str]:
    return [p.read_text(encoding="utf-8") for folder in folders
            for p in sorted((root / folder).glob("*.txt"))]


class Targets:
    """The inputs of each parser and what runs on them."""

    def __init__(self) -> None:
        self.lmstat = _corpus("lmstat", "lmstat_i", "lmstat_version")
        self.debuglog = _corpus("debuglog")
        self.license = _corpus("license")
        self.options = _corpus("options")
        self.rlmstat = _corpus("rlm/rlmstat", root=SHARED_CORPUS)
        self.license_file = parse_license(self.license[0])
        self.seats = [Seat(f.name, c) for text in self.lmstat
                      for s in parse_lmstat(text, tz=UTC, now=NOW).servers
                      for f in s.features for c in f.checkouts]
        self.events = [e for text in self.debuglog for e in parse_debuglog(text, tz=UTC)[0]]

    def corpora(self) -> dict[str, tuple[list[str], Callable[[str], object]]]:
        return {
            "lmstat": (self.lmstat, self.run_lmstat),
            "rlmstat": (self.rlmstat, self.run_rlmstat),
            "renderers": (self.lmstat, self.run_renderers),
            "debuglog": (self.debuglog, self.run_debuglog),
            "license": (self.license, self.run_license),
            "options": (self.options, self.run_options),
            "what-if options": (self.options, self.run_whatif_options),
            "what-if lmstat": (self.lmstat, self.run_whatif_lmstat),
            "what-if debuglog": (self.debuglog, self.run_whatif_debuglog),
        }

    @staticmethod
    def run_lmstat(text: str) -> None:
        parse_lmstat(text, tz=BERLIN, now=NOW)
        parse_lmstat(text, tz=CHICAGO)  # no `now`: dates resolved against the status line or today

    @staticmethod
    def run_rlmstat(text: str) -> None:
        report = parse_rlmstat(text, tz=BERLIN, now=NOW)
        snapshot = Snapshot(report.reported_at or NOW, report.servers, report.diagnostics)
        render_json(snapshot)
        render_table(snapshot, seats=True, tz=BERLIN)
        render_csv(snapshot, rows="seats")
        render_prometheus(snapshot)
        parse_rlmstat(text, tz=CHICAGO)

    @staticmethod
    def run_renderers(text: str) -> None:
        report = parse_lmstat(text, tz=UTC, now=NOW)
        snapshot = Snapshot(report.reported_at or NOW, report.servers, report.diagnostics)
        render_json(snapshot)
        render_table(snapshot, seats=True, tz=BERLIN)
        render_csv(snapshot)
        render_csv(snapshot, rows="seats")
        render_prometheus(snapshot)

    @staticmethod
    def run_debuglog(text: str) -> None:
        parse_debuglog(text, tz=BERLIN)
        parse_debuglog(text, tz=CHICAGO, start_date=date(2026, 12, 1))

    @staticmethod
    def run_license(text: str) -> None:
        license_file = parse_license(text)
        validate_license(license_file, TODAY)
        format_license(license_file)

    def run_options(self, text: str) -> None:
        options = parse_options(text)
        validate_options(options, self.license_file, known_names=("jdoe", "host1"))
        format_options(options)

    def _what_if(self, draft_text: str, seats, events, license_file=None) -> None:
        current = parse_options(self.options[1])
        report = what_if(current, parse_options(draft_text), seats=seats, requests=events,
                         license_file=license_file or self.license_file)
        report_text(report, WHAT_IF_INPUTS)
        report_json(report, WHAT_IF_INPUTS)

    def run_whatif_options(self, text: str) -> None:
        self._what_if(text, self.seats[:40], self.events[:60])

    def run_whatif_lmstat(self, text: str) -> None:
        report = parse_lmstat(text, tz=UTC, now=NOW)
        seats = [Seat(f.name, c) for s in report.servers for f in s.features for c in f.checkouts]
        self._what_if(self.options[0], seats, ())

    def run_whatif_debuglog(self, text: str) -> None:
        self._what_if(self.options[2], (), parse_debuglog(text, tz=UTC)[0])


# ---- driver ----------------------------------------------------------------------------------


def fuzz(name: str, corpus: list[str], run: Callable[[str], object], count: int, seed: int,
         size: int, shown: int) -> int:
    rng = random.Random(f"{seed}:{name}")
    failures: list[tuple[str, str, str]] = []  # (kind, last traceback line, input)
    slowest, slowest_input = 0.0, ""
    started = time.perf_counter()
    for _ in range(count):
        text = mutate(rng, rng.choice(corpus), corpus, size)
        t0 = time.perf_counter()
        try:
            run(text)
        except Exception as error:  # noqa: BLE001 - counting them is the point
            last = traceback.format_exception(error)[-1].strip()
            where = traceback.extract_tb(error.__traceback__)[-1]
            failures.append((f"{type(error).__name__} at {Path(where.filename).name}:"
                             f"{where.lineno}", last[:200], text))
        elapsed = time.perf_counter() - t0
        if elapsed > slowest:  # the slowest input tells of a parse that is not linear
            slowest, slowest_input = elapsed, text
    total = time.perf_counter() - started
    print(f"{name}: {count:,} inputs, {len(failures):,} exceptions, {total:,.1f} s "
          f"({count / total:,.0f}/s), slowest input {slowest * 1000:,.1f} ms "
          f"({len(slowest_input):,} chars)", flush=True)
    kinds: dict[str, list[str]] = {}
    for kind, last, _ in failures:
        kinds.setdefault(kind, []).append(last)
    for kind, lasts in list(kinds.items())[:shown]:
        print(f"  {len(lasts):,} x {kind}: {lasts[0]}", flush=True)
    if len(kinds) > shown:
        print(f"  ... and {len(kinds) - shown} more kinds", flush=True)
    return len(failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="inputs per parser")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=int, default=120,
                        help="at most this many lines of a corpus file per input")
    parser.add_argument("--only", default="", help="comma-separated parser names")
    parser.add_argument("--show", type=int, default=3, help="kinds of exception shown")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"fuzz: no corpus at {CORPUS} (shared/ must sit beside the repository)",
              file=sys.stderr)
        return 2
    targets = Targets().corpora()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in only if name not in targets]
    if unknown:
        print(f"fuzz: unknown parser {', '.join(unknown)}; known: {', '.join(targets)}",
              file=sys.stderr)
        return 2
    exceptions = 0
    for name, (corpus, run) in targets.items():
        if not only or name in only:
            exceptions += fuzz(name, corpus, run, args.count, args.seed, args.window,
                               args.show)
    print(f"total: {exceptions:,} exceptions")
    return 1 if exceptions else 0


if __name__ == "__main__":
    sys.exit(main())
