"""Fixtures shared by every test."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SIM_LMUTIL = str(Path(sys.executable).with_name("lmconsole-sim-lmutil"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep the developer's own configuration, data and time zone out of every test.

    Yields the root of a fresh directory holding config/, data/, state/ and cache/, which
    XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME and XDG_CACHE_HOME point at.
    LMCONSOLE_CONFIG names config/lmconsole/config.toml, which exists and holds no settings
    (an empty configuration); a test that wants servers writes that file, and a test of the
    default discovery deletes the variable. TZ is UTC (time.tzset() applied and undone).
    """
    root = tmp_path_factory.mktemp("env")
    for name in ("config", "data", "state", "cache"):
        (root / name).mkdir()
        monkeypatch.setenv(f"XDG_{name.upper()}_HOME", str(root / name))
    config = root / "config" / "lmconsole" / "config.toml"
    config.parent.mkdir()
    config.write_text("# an empty configuration, written by tests/conftest.py\n")
    monkeypatch.setenv("LMCONSOLE_CONFIG", str(config))
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield root
    finally:
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()


@pytest.fixture
def sim_server(tmp_path, monkeypatch):
    """A simulator state directory (clock stopped) reached by the local transport through
    the executable lmutil."""
    from lmconsole.adapters.flexlm.sim import create_state_dir
    from lmconsole.config import ServerConfig, Transport

    directory = create_state_dir(tmp_path / "sim", "architecture", seed=3, speed=0)
    monkeypatch.setenv("LMCONSOLE_SIM_DIR", str(directory))
    return ServerConfig("office", transport=Transport.LOCAL, lmutil=SIM_LMUTIL,
                        license=str(directory / "license.lic"),
                        license_file=str(directory / "license.lic"),
                        options_file=str(directory / "adskflex.opt"),
                        debug_log=str(directory / "debug.log"), vendor="adskflex",
                        timezone="Europe/Berlin")
