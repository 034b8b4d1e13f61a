"""Fuzz the history's import: mutated corpus debug logs imported into SQLite and PostgreSQL.

bench/fuzz.py fuzzes the parsers; this goes on to the database: each input (a corpus debug
log changed as fuzz.py changes it, plus NUL runs and words longer than their columns) is
written to a file and imported (lmconsole.history.importer, in this process) as a server of
its own, into one SQLite file and one database of a PostgreSQL server started for the run
(tests/postgres.py's; `--no-postgresql` without it). An import may refuse a file, or say
lines were not understood; it must not raise. Prints per engine the inputs run, the
exceptions (the last line of the first few tracebacks) and the time; exits 1 when any
input raised.

    .venv/bin/python bench/fuzz_history.py [--count 300] [--seed 1] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzz import Targets, mutate  # noqa: E402
from history_import import postgresql_server  # noqa: E402

from lmconsole.adapters import ADAPTERS  # noqa: E402
from lmconsole.history.importer import Importer  # noqa: E402
from lmconsole.history.store import HistoryStore  # noqa: E402

WINDOW = 80  # lines of a corpus log an input keeps (fuzz.py's window)
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
SHOWN = 5  # tracebacks shown per engine


def hostile(rng: random.Random, text: str) -> str:
    """A run of NULs (a crash's, a copytruncate's hole) or a word far longer than its
    column, somewhere in the text."""
    at = rng.randrange(len(text) + 1)
    filler = rng.choice(("\0" * rng.choice((1, 7, 5000, 70_000)),
                         rng.choice("uxF@-4") * rng.choice((41, 201, 401, 3000))))
    return text[:at] + filler + text[at:]


def inputs(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    logs = Targets().debuglog
    made = []
    for _ in range(count):
        text = mutate(rng, rng.choice(logs), logs, WINDOW)
        if rng.random() < 0.5:
            text = hostile(rng, text)
        made.append(text)
    return made


async def import_each(url: str, texts: list[str], directory: Path) -> list[str]:
    """Each text imported as a server of its own; the tracebacks of those that raised."""
    store = await HistoryStore.open(url)
    failures = []
    try:
        for number, text in enumerate(texts):
            path = directory / f"fuzz{number}.log"
            path.write_bytes(text.encode("utf-8", "surrogateescape"))
            importer = Importer(store, ADAPTERS["flexlm"], server=f"fuzz{number}", tz=BERLIN,
                                time_zone="Europe/Berlin", now=NOW, progress=None)
            try:
                await importer.run([path])
            except Exception:  # noqa: BLE001  (what the run is for)
                failures.append(traceback.format_exc())
    finally:
        await store.close()
    return failures


def report(engine: str, texts: list[str], failures: list[str], took: float) -> None:
    print(f"{engine}: {len(texts)} inputs in {took:.1f} s, {len(failures)} raised")
    for failure in failures[:SHOWN]:  # the exception's line, not SQLAlchemy's link after it
        said = [line for line in failure.splitlines() if line and not line.startswith("(")]
        print(f"  {said[-1][:200]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args(argv)
    texts = inputs(args.count, args.seed)
    raised = 0
    with tempfile.TemporaryDirectory(prefix="lmconsole-fuzz-") as directory, \
            contextlib.ExitStack() as stack:
        engines = {"sqlite": f"sqlite:///{directory}/history.db"}
        if not args.no_postgresql:
            engines["postgresql"] = stack.enter_context(postgresql_server()).new_database()
        for engine, url in engines.items():
            started = time.perf_counter()
            failures = asyncio.run(import_each(url, texts, Path(directory)))
            report(engine, texts, failures, time.perf_counter() - started)
            raised += len(failures)
    return 1 if raised else 0


if __name__ == "__main__":
    sys.exit(main())
