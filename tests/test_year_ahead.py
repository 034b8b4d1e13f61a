"""The test run itself. `dev.py test --year-ahead` runs every test with the date a year ahead
(libfaketime); there, as here, a thread's wait with a timeout must end when it times out, or
any test whose threads wait so hangs the run (libfaketime 0.9.10 leaves sem_clockwait's
deadline unconverted: tests/year_ahead/sem_clockwait.c mends it)."""

from __future__ import annotations

import subprocess
import sys

WAITS = """
import queue, threading, time
started = time.monotonic()
threading.Event().wait(0.05)
try:
    queue.Queue().get(timeout=0.05)
except queue.Empty:
    pass
lock = threading.Lock()
lock.acquire()
assert not lock.acquire(timeout=0.05)
sleeper = threading.Thread(target=time.sleep, args=(10,), daemon=True)
sleeper.start()
sleeper.join(0.05)
print(round(time.monotonic() - started, 1))
"""


def test_thread_waits_with_a_timeout_time_out():
    result = subprocess.run([sys.executable, "-c", WAITS], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 5
