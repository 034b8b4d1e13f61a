"""`snapshot --from-file` tells the licence manager from the output itself: an RLM output is
read as RLM, and one of a manager no adapter reads yet is named and refused (exit 2), never
read as an empty FlexLM status."""

from __future__ import annotations

import json

import pytest

from lmconsole.adapters import HEAD_CHARS, LOOKAHEAD, Detected, detect_manager, unsupported
from lmconsole.inputs import InputError
from lmconsole.snapshot import adapter_of_output

from .corpus import CORPUS, read_corpus
from .test_cli_snapshot import lmconsole

# corpus folder -> the manager a reader names
MANAGERS = {
    "flexlm/lmstat": Detected("flexlm", "FlexLM"),
    "flexlm/lmstat_version": Detected("flexlm", "FlexLM"),
    "rlm/rlmstat": Detected("rlm", "RLM"),
    "lmx/licstat": Detected("lmx", "LM-X"),
    "rms/lsmon": Detected("rms", "Sentinel RMS"),
    "dsls/licenseusage": Detected("dsls", "DSLS"),
    "lsdyna/lstc_qrun": Detected("lsdyna", "LS-DYNA"),
    "olicense/olixtool": Detected("olicense", "OLicense"),
    "betalm/beta_lm_stat": Detected("betalm", "BETA LM"),
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


def test_an_output_of_a_manager_without_an_adapter_is_named_and_refused(monkeypatch):
    # every manager known by its banner has an adapter now: one is made up here
    monkeypatch.setitem(unsupported.SIGNS, "Acme LM", ("Acme License Monitor v",))
    text = "Acme License Monitor v2.1\nfeature cad: 3 of 5 in use\n"
    assert detect_manager(text) == Detected(None, "Acme LM")
    with pytest.raises(InputError, match=r"Acme LM output, not supported yet \(lmconsole "
                                         r"reads these status outputs: lmstat, rlmstat"):
        adapter_of_output(text, "saved.txt")


def test_a_truncated_rlm_output_names_rlmstat():
    text = ("rlmutil v15.0\ndemo license pool status on lic (port 40000)\n"
            "cad v1.0\n    count: 4, # reservations: 0, inuse: 1, exp: permanent\ncam v2.0\n")
    result = lmconsole("snapshot", "--from-file", "-", stdin=text.encode())
    assert result.returncode == 2
    assert "<stdin>:5: truncated rlmstat output" in result.stderr.decode()
    assert "`rlmutil rlmstat -a`" in result.stderr.decode()


def test_an_lmx_output_is_read_as_lmx_in_every_format():
    path = CORPUS / "lmx" / "licstat" / "license_manager_lmxendutil_licstat_altair_shared_custom.txt"
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json",
                       "--server-tz", "UTC")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""  # every line understood
    (server,) = json.loads(result.stdout)["servers"]
    assert (server["manager"], server["status"], server["source"]) == (
        "lmx", "up", "6200@licserv0013.com")
    assert [(f["name"], f["issued"], f["in_use"], f["uncounted"]) for f in server["features"]][:3] == [
        ("CatiaV5Reader", 3, 0, False), ("GlobalZoneEU", 1000003, 40000, False),
        ("HWAIFPBS", None, 0, True)]
    seat = server["features"][1]["checkouts"][0]
    assert (seat["user"], seat["host"], seat["count"], seat["start"]) == (
        "VRAAFG", "RD0082879", 15000, "2022-02-18T09:29:00+00:00")
    prometheus = lmconsole("snapshot", "--from-file", str(path), "--format", "prometheus")
    assert ('lmconsole_server_up{app="6200@licserv0013.com",manager="lmx",'
            'source="6200@licserv0013.com"} 1') in prometheus.stdout.decode()
    csv = lmconsole("snapshot", "--from-file", str(path), "--format", "csv", "--seats")
    rows = csv.stdout.decode().splitlines()
    assert len(rows) == 6 and all(row.endswith(",ALTAIR,lmx") for row in rows[1:])


@pytest.mark.parametrize("name, error", [
    ("license_manager_doc_lmxendutil_unable_to_connect.txt",
     "Unable to connect to license server!"),
    ("license_manager_lmxendutil_no_servers_available.txt",
     "There are no license server(s) available."),
])
def test_an_lmx_server_that_did_not_answer_exits_3(name, error):
    result = lmconsole("snapshot", "--from-file", str(CORPUS / "lmx" / "licstat" / name),
                       "--format", "json")
    assert result.returncode == 3
    (server,) = json.loads(result.stdout)["servers"]
    assert (server["manager"], server["status"], server["error"]) == ("lmx", "down", error)


def test_lmx_xml_on_standard_input_carries_its_denied_counts():
    from .test_lmx_licstat import XML

    result = lmconsole("snapshot", "--from-file", "-", "--format", "json",
                       stdin=XML.encode())
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["manager"] == "lmx"
    assert [(f["name"], f["denied"]) for f in server["features"]] == [
        ("HyperWorks", 3), ("Unlimited", 0)]
    prometheus = lmconsole("snapshot", "--from-file", "-", "--format", "prometheus",
                           stdin=XML.encode()).stdout.decode()
    assert ('lmconsole_feature_denied{app="6200@lic1",name="HyperWorks",vendor="ALTAIR"} 3'
            in prometheus)


def test_a_truncated_lmx_output_names_lmxendutil():
    text = ("LM-X End-user Utility v4.9.3\nLM-X License Server on 6200@lic:\n"
            "Feature: CAD Version: 1.0 Vendor: ACME\nStart date: NONE Expire date: 2027-01-01\n")
    result = lmconsole("snapshot", "--from-file", "-", stdin=text.encode())
    assert result.returncode == 2
    assert "<stdin>:3: truncated lmxendutil output" in result.stderr.decode()
    assert "`lmxendutil -licstatxml`" in result.stderr.decode()


@pytest.mark.parametrize("folder, name", SAMPLES[::3])
def test_a_manager_is_told_the_same_however_far_into_a_long_text_its_words_are(folder, name):
    # a long capture is searched from its head first; a sign near the head's end, or past it,
    # is found as in the whole text
    sample = read_corpus(folder, name)
    for noise in (0, HEAD_CHARS - LOOKAHEAD - 100, HEAD_CHARS - LOOKAHEAD + 100,
                  HEAD_CHARS - 50, HEAD_CHARS + 10, 3 * HEAD_CHARS):
        text = "x" * noise + "\n" + sample + "\n" + "y\n" * HEAD_CHARS
        assert detect_manager(text) == MANAGERS[folder], noise


def test_in_a_long_text_the_first_managers_words_still_decide():
    rlm = read_corpus("rlm", "rlmstat", "license_manager_rlmstat_a_csci_full.txt")
    lmstat = read_corpus("flexlm", "lmstat", "exporter_app2_three_server_triad.txt")
    for noise in (HEAD_CHARS - LOOKAHEAD - 100, HEAD_CHARS - 10, 2 * HEAD_CHARS):
        assert detect_manager("x" * noise + "\n" + rlm + lmstat * 50).kind == "rlm"
        assert detect_manager(lmstat + "x" * noise + "\n" + rlm).kind == "flexlm"
