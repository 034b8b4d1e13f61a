"""`lmconsole report forecast` against answers worked out by hand, on SQLite and PostgreSQL:
three polled days of one feature, and [prices] from a real configuration file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmconsole.history.store import HistoryStore

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures

DAY0 = 1_772_409_600  # 2026-03-02 00:00 UTC
PEAKS = (2, 3, 5)  # the busiest minute of each of three days, 4 issued


def fill(url: str) -> None:
    async def write() -> None:
        store = await HistoryStore.open(url)
        server_id = await store.server_id("cad", manager="flexlm", time_zone="UTC")
        rows = []
        for day, peak in enumerate(PEAKS):
            for minute, seats in ((9 * 60, 1), (11 * 60, peak), (15 * 60, 1)):
                rows.append({"server_id": server_id, "feature": "Revit",
                             "at": DAY0 + day * 86_400 + minute * 60, "in_use_peak": seats,
                             "in_use_mean": float(seats), "issued": 4, "reserved_idle": 0,
                             "borrowed": 0, "queued": 0, "from_log": False, "polls": 1})
        await store.upsert_poll_minutes(rows)
        await store.close()

    asyncio.run(write())


def forecast(tmp_path: Path, url: str, *args: str) -> dict:
    config = tmp_path / "config.toml"
    config.write_text('[prices]\ncurrency = "EUR"\nRevit = 100\n')
    result = subprocess.run(
        [sys.executable, "-m", "lmconsole", "--config", str(config), "report", "forecast",
         "--from", "2026-03-01", "--to", "2026-03-05", "--tz", "UTC", "--format", "json",
         "--database", url, *args],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_seats_needed_a_year_ahead_and_their_cost(tmp_path, url):
    fill(url)
    document = forecast(tmp_path, url)
    (row,) = document["rows"]
    # daily peaks 2, 3, 5: 95 % of 3 days (2.85) are at most 5; 5 x 1.2 = 6 seats, 2 more
    # than the 4 issued, at 100 EUR; the peaks rise 1.5 a day (least squares): 45 a month
    assert row == {"server": "cad", "feature": "Revit", "issued": 4, "days": 3, "peak": 5,
                   "p_peak": 5, "trend_30d": 45.0, "needed": 6, "to_add": 2, "price": 100.0,
                   "cost": 200.0}
    assert "(EUR)" in document["rules"][1]


def test_a_lower_percentile_and_no_growth(tmp_path, url):
    fill(url)
    (row,) = forecast(tmp_path, url, "--percentile", "50", "--growth", "0")["rows"]
    # half of the 3 days (1.5) are at most 3; no growth: 3 seats, none to add
    assert (row["p_peak"], row["needed"], row["to_add"], row["cost"]) == (3, 3, 0, 0.0)


@pytest.mark.parametrize("args", [("--percentile", "0"), ("--horizon", "-1"),
                                  ("--growth", "-100")])
def test_bad_forecast_options_exit_2(tmp_path, args):
    result = subprocess.run([sys.executable, "-m", "lmconsole", "report", "forecast", *args,
                             "--database", f"sqlite:///{tmp_path / 'h.db'}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "forecast:" in result.stderr


@pytest.mark.parametrize("prices, said", [
    ('[prices]\nRevit = "cheap"\n', "prices.Revit"),
    ('[prices]\nRevit = -5\n', "a number, 0 or more"),
    ('[prices]\ncurrency = 3\n', "prices.currency"),
    ('prices = 4\n', "expected a table"),
])
def test_bad_prices_in_the_configuration_are_named(prices, said):
    from lmconsole.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as raised:
        parse_config(prices, "config.toml")
    assert said in str(raised.value)


@pytest.mark.parametrize("text, said", [
    ("[true_denial]\nwindow_s = -1\n", "true_denial.window_s"),
    ("[true_denial]\nwindow_s = 2.5\n", "whole seconds"),
    ("[true_denial]\nwindow = 10\n", "window"),
])
def test_a_bad_true_denial_window_is_named(text, said):
    from lmconsole.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as raised:
        parse_config(text, "config.toml")
    assert said in str(raised.value)


def test_the_window_and_the_prices_are_read_and_shown_back():
    from lmconsole.config import parse_config, render_config

    config = parse_config('[true_denial]\nwindow_s = 30\n[prices]\ncurrency = "EUR"\n'
                          'MATLAB = 2400\n', "config.toml")
    assert (config.true_denial_window_s, config.prices, config.currency) == (
        30, (("MATLAB", 2400.0),), "EUR")
    again = parse_config(render_config(config), "config.toml")
    assert (again.true_denial_window_s, again.prices, again.currency) == (
        30, (("MATLAB", 2400.0),), "EUR")
