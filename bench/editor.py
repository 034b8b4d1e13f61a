"""Benchmark: what the editor computes as an admin types in a large options file.

Generates (seeded) an options file of `--groups` GROUP lines of 40 users each and one
INCLUDE/RESERVE/MAX line per user, against a licence file of `--features` features, and
times, at the end of the file:
  - a completion (ctrl+space, and the ghost suggestion after every keystroke);
  - the analysis run 0.3 s after typing stops (parse, check with 2,000 live names,
    highlight);
  - the licence file's signed-change check on a 400-line licence file;
  - in the editor screen itself (Textual, headless): how long the event loop, which reads
    the keys, stalls while that analysis runs, in a thread (as after a typing pause) and at
    once (as before a save).
Prints milliseconds (median of `--repeat`). Asserts nothing.

    .venv/bin/python bench/editor.py [--groups 100] [--features 200] [--repeat 9]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from lmconsole.adapter import LiveUse
from lmconsole.adapters.flexlm.language import LicenseLanguage, OptionsLanguage


def licence_text(features: int) -> str:
    lines = ["SERVER lic1 001e67a4b2c1 27000", "VENDOR adskflex options=/opt/lic/adskflex.opt"]
    for n in range(features):
        lines.append(f"INCREMENT F{n:03d} adskflex 1.000 31-dec-2030 {n % 20 + 1} \\")
        lines.append(f'\tVENDOR_STRING=commercial ISSUED=1-jan-2026 SIGN="{n:04X} 6E52 1F0A"')
    return "\n".join(lines) + "\n"


def options_text(groups: int, features: int, rng: random.Random) -> tuple[str, list[str]]:
    users = [f"user{n:04d}" for n in range(groups * 40)]
    lines = []
    for g in range(groups):
        lines.append(f"GROUP team{g:03d} " + " ".join(users[g * 40:(g + 1) * 40]))
    for user in users:
        feature = f"F{rng.randrange(features):03d}"
        keyword = rng.choice(("INCLUDE", "RESERVE 1", "MAX 2"))
        lines.append(f"{keyword} {feature} USER {user}")
    return "\n".join(lines) + "\n", users


_EDITS = itertools.count(1)


def analyse(language: OptionsLanguage, text: str, live: LiveUse) -> None:
    """What the editor runs 0.3 s after a keystroke, on a text it has not seen yet."""
    text += f"# edit {next(_EDITS)}\n"
    language.check(text, live)
    language.highlight(text)


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    rng = random.Random(7)
    licence = licence_text(args.features)
    options, users = options_text(args.groups, args.features, rng)
    live = LiveUse(users=frozenset(users[:2000]), hosts=frozenset(f"ws{n}" for n in range(500)))
    language = OptionsLanguage(licence)
    draft = options + "EXCLUDE F0"
    row = draft.count("\n")
    lines = draft.count("\n") + 1
    print(f"python {platform.python_version()}, options file: {lines:,} lines, "
          f"{len(draft) / 1024:.0f} KiB; licence: {args.features} features")
    figures = {
        "complete a feature name": lambda: language.complete(draft, row, 10, live),
        "complete a user name": lambda: language.complete(
            draft + "1 USER user00", row, 24, live),
        "analysis (parse, check, highlight)": lambda: analyse(language, draft, live),
        "licence: signed-change check": lambda: LicenseLanguage().refusals(
            licence, licence.replace("lic1", "lic2")),
    }
    for name, action in figures.items():
        print(f"{name:36} {median_ms(action, args.repeat):8.1f} ms")
    for name, stall in asyncio.run(editor_stalls(licence, draft, args.repeat)).items():
        print(f"{name:36} {stall:8.1f} ms")


async def editor_stalls(licence: str, options: str, repeat: int) -> dict[str, float]:
    """The longest the editor's event loop went without a turn while an analysis ran, median
    over `repeat` analyses: in a thread, and at once."""
    from lmconsole.adapters import ADAPTERS
    from lmconsole.adapters.transports.local import LocalTransport
    from lmconsole.app import ConsoleServer, LMConsoleApp
    from lmconsole.audit import AuditLog
    from lmconsole.config import ServerConfig

    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        (folder / "license.lic").write_text(licence)
        (folder / "big.opt").write_text(options)
        config = ServerConfig("big", options_file=str(folder / "big.opt"),
                              license_file=str(folder / "license.lic"), vendor="adskflex")
        app = LMConsoleApp([ConsoleServer(config, ADAPTERS["flexlm"], LocalTransport())],
                           monitor=False, audit=AuditLog(folder / "audit.log"))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("E")
            await finished(app, lambda group: group != "editor-watch")
            editor = app.screen
            threaded, at_once = [], []
            for n in range(repeat):
                editor.area.load_text(options + f"# edit {n}\n")
                await pilot.pause(editor.DEBOUNCE_S + 0.1)  # the typing pause's analysis
                await finished(app, lambda group: group == "editor-analysis")
                editor.analysed_text = None
                threaded.append(await longest_stall(
                    lambda: editor.analysis_worker(editor.area.text, editor.live()),
                    lambda: editor.analysed_text == editor.area.text))
                at_once.append(await longest_stall(editor.analyse, lambda: True))
    return {"editor: keys stall, analysis in thread": statistics.median(threaded),
            "editor: keys stall, analysis at once": statistics.median(at_once)}


async def finished(app, groups) -> None:
    """Wait for the app's workers of those groups (an empty list would wait for them all,
    and the editor's file watcher runs until the editor closes)."""
    workers = [w for w in app.workers if groups(w.group)]
    if workers:
        await app.workers.wait_for_complete(workers)


async def longest_stall(start, done) -> float:
    """Start, then yield to the event loop every 1 ms until `done()` (at most 10 s): the
    longest gap between two turns, in ms."""
    longest, last = 0.0, time.perf_counter()
    start()
    for _ in range(10_000):
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
        if done():
            break
    return longest * 1000


if __name__ == "__main__":
    main()
