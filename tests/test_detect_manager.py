"""`snapshot --from-file` tells the licence manager from the output itself: an RLM output is
read as RLM, and one of a manager no adapter reads yet is named and refused (exit 2), never
read as an empty FlexLM status."""

from __future__ import annotations

import json

import pytest

from lmconsole.adapters import Detected, detect_manager

from .corpus import CORPUS, read_corpus
from .test_cli_snapshot import assert_clean_error, lmconsole

# corpus folder -> the manager a reader names
MANAGERS = {
    "flexlm/lmstat": Detected("flexlm", "FlexLM"),
    "flexlm/lmstat_version": Detected("flexlm", "FlexLM"),
    "rlm/rlmstat": Detected("rlm", "RLM"),
    "lmx/licstat": Detected(None, "LM-X"),
    "rms/lsmon": Detected("rms", "Sentinel RMS"),
    "dsls/licenseusage": Detected("dsls", "DSLS"),
    "lsdyna/lstc_qrun": Detected(None, "LS-DYNA"),
    "olicense/olixtool": Detected(None, "OLicense"),
    "betalm/beta_lm_stat": Detected(None, "BETA LM"),
}
SAMPLES = [(folder, p.name) for folder in MANAGERS
           for p in sorted((CORPUS / folder).glob("*.txt"))]


@pytest.mark.parametrize("folder, name", SAMPLES)
def test_every_status_output_of_the_corpus_is_told_by_its_manager(folder, name):
    assert detect_manager(read_corpus(folder, name)) == MANAGERS[folder]


def test_the_first_managers_words_decide_and_a_text_of_none_is_undecided():
    rlm = read_corpus("rlm", "rlmstat", "license_manager_rlmstat_a_csci_full.txt")
    lmstat = read_corpus("flexlm", "lmstat", "exporter_app2_three_server_triad.txt")
    assert detect_manager(rlm + lmstat).kind == "rlm"
    assert detect_manager(lmstat + rlm).kind == "flexlm"
    assert detect_manager("hello\nworld\n") is None


def test_an_rlm_output_is_read_as_rlm():
    path = CORPUS / "rlm" / "rlmstat" / "license_manager_rlmstat_a_csci_full.txt"
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json",
                       "--server-tz", "UTC")
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["manager"] == "rlm" and server["status"] == "up"
    assert [(f["name"], f["issued"], f["in_use"]) for f in server["features"]][3] == (
        "converge_super", 1000, 93)
    prometheus = lmconsole("snapshot", "--from-file", str(path), "--format", "prometheus")
    assert ('lmconsole_server_up{app="35015@licserv.com",manager="rlm",'
            'source="35015@licserv.com"} 1') in prometheus.stdout.decode()
    csv = lmconsole("snapshot", "--from-file", str(path), "--format", "csv", "--seats")
    rows = csv.stdout.decode().splitlines()
    assert rows[0].endswith(",vendor,manager") and len(rows) == 4
    assert all(row.endswith(",csci,rlm") for row in rows[1:])


def test_an_unreachable_rlm_server_exits_3():
    path = CORPUS / "rlm" / "rlmstat" / "license_manager_rlmutil_error_connecting.txt"
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["servers"][0]["status"] == "down"


@pytest.mark.parametrize("folder", ["lmx/licstat", "olicense/olixtool"])
def test_an_output_of_a_manager_without_an_adapter_is_named_and_refused(folder):
    path = next((CORPUS / folder).glob("*.txt"))
    result = lmconsole("snapshot", "--from-file", str(path))
    assert_clean_error(result, f"{MANAGERS[folder].name} output, not supported yet")
    assert result.stdout == b""


def test_a_truncated_rlm_output_names_rlmstat():
    text = ("rlmutil v15.0\ndemo license pool status on lic (port 40000)\n"
            "cad v1.0\n    count: 4, # reservations: 0, inuse: 1, exp: permanent\ncam v2.0\n")
    result = lmconsole("snapshot", "--from-file", "-", stdin=text.encode())
    assert result.returncode == 2
    assert "<stdin>:5: truncated rlmstat output" in result.stderr.decode()
    assert "`rlmutil rlmstat -a`" in result.stderr.decode()
