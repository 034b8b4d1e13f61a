"""An options file of a server with several vendor daemons is checked and completed against
its own daemon's features (OPT031): the engineering scenario's triad serves ugslmd, ansyslmd
and MLM, each with its own options file."""

from __future__ import annotations

from pathlib import Path

from lmconsole.adapter import LiveUse
from lmconsole.adapters.flexlm.daemons import vendor_of_options_file, vendor_options_files
from lmconsole.adapters.flexlm.language import OptionsLanguage
from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.adapters.flexlm.options import parse_options
from lmconsole.adapters.flexlm.validate import validate_options
from lmconsole.adapters.flexlm.validate_vendor import unknown_vendor_note

from .corpus import LMSTAT, REPO

SCENARIOS = REPO / "adapters" / "flexlm" / "sim" / "scenarios"
LICENCE_PATH = SCENARIOS / "engineering.lic"
LICENCE = parse_license(LICENCE_PATH.read_text())
UGS_OPTIONS = (SCENARIOS / "engineering_ugslmd.opt").read_text()


def codes(text: str, vendor: str | None, served_by=None, licence=LICENCE) -> list[tuple]:
    findings = validate_options(parse_options(text), licence, vendor=vendor,
                                served_by=served_by)
    return [(f.code, f.severity, f.line) for f in findings]


def test_each_scenario_options_file_checked_against_its_own_daemon_finds_no_more():
    for vendor in ("ugslmd", "ansyslmd", "MLM"):
        text = (SCENARIOS / f"engineering_{vendor}.opt").read_text()
        assert codes(text, vendor) == codes(text, None), vendor
    assert codes(UGS_OPTIONS, "ugslmd") == [("OPT019", "warning", 5)]  # pun-ws*, on purpose


def test_a_feature_of_another_daemon_is_an_error_naming_the_daemon_that_serves_it():
    text = UGS_OPTIONS + "RESERVE 1 ANSYS_CFD USER bob\n"
    line = text.count("\n")
    findings = validate_options(parse_options(text), LICENCE, vendor="ugslmd")
    assert [(f.code, f.severity, f.line, f.column) for f in findings] == [
        ("OPT019", "warning", 5, 20), ("OPT031", "error", line, 11)]
    findings = findings[1:]
    assert findings[0].message == (
        "'ANSYS_CFD' is served by ansyslmd, not by ugslmd, which reads this file and ignores "
        "the line; move it to its options file")
    # Not also "not a feature of the licence file" (OPT009), nor seat counts of its pools.
    assert codes(text + "RESERVE 9 ANSYS_CFD USER carol\n", "ugslmd")[1:] == [
        ("OPT031", "error", line), ("OPT031", "error", line + 1)]


def test_without_a_vendor_every_daemons_features_are_the_files():
    assert codes(UGS_OPTIONS + "RESERVE 1 ANSYS_CFD USER bob\n", None) == [
        ("OPT019", "warning", 5)]


def test_a_feature_no_daemon_serves_is_still_opt009_and_seats_count_this_daemons_pools():
    text = UGS_OPTIONS + "RESERVE 1 NX_CADD USER bob\nMAX 70 NX_CAD USER bob\n"
    lines = text.count("\n")
    assert codes(text, "ugslmd")[1:] == [("OPT009", "error", lines - 1),
                                         ("OPT012", "warning", lines)]


def test_live_features_count_as_served_by_the_daemon_lmstat_lists_them_under():
    text = "RESERVE 1 SOLVER_X USER bob\nRESERVE 1 ANSYS_CFD USER bob\n"
    served = {"SOLVER_X": frozenset({"ansyslmd"}), "ANSYS_CFD": frozenset({"ansyslmd"})}
    # Without the licence file the live features alone tell who serves what.
    assert codes(text, "ugslmd", served, licence=None) == [("OPT031", "error", 1),
                                                           ("OPT031", "error", 2)]
    assert codes(text, "ansyslmd", served, licence=None) == []
    # A feature this daemon serves now is not an error, though its licence lines lack it
    # (another licence file of the server may well hold it).
    both = {"ANSYS_CFD": frozenset({"ugslmd"})}
    assert codes("RESERVE 1 ANSYS_CFD USER bob\n", "ugslmd", both) == []


def test_live_features_of_a_real_two_daemon_lmstat_output():
    report = parse_lmstat((LMSTAT / "exporter_app3_two_vendor_daemons_large_user_list.txt")
                          .read_text(), name="app3")
    served: dict[str, frozenset[str]] = {}
    for feature in report.servers[0].features:
        if feature.vendor:
            served[feature.name] = served.get(feature.name, frozenset()) | {feature.vendor}
    assert served["feature5"] == {"vendor1"}
    assert codes("MAX 1 feature5 USER bob\n", "vendor2", served, licence=None) == [
        ("OPT031", "error", 1)]
    assert codes("MAX 1 feature5 USER bob\n", "vendor1", served, licence=None) == []


def test_completion_offers_only_the_daemons_features():
    text = "RESERVE 1 "
    live = LiveUse(served_by={"NX_Live": frozenset({"ugslmd"}),
                              "ANSYS_Live": frozenset({"ansyslmd"})})
    ugs = OptionsLanguage(LICENCE_PATH.read_text(), "ugslmd").complete(text, 0, len(text), live)
    names = [c.text for c in ugs.items]
    assert names == ["NX_CAD", "NX_CAM", "NX_Drafting", "NX_Nastran", "Simcenter3D",
                     "Teamcenter_Vis", "NX_Live"]
    assert ugs.items[-1].detail == "served by ugslmd now"
    every = OptionsLanguage(LICENCE_PATH.read_text()).complete(text, 0, len(text), live)
    assert {"ANSYS_CFD", "MATLAB", "NX_CAD"} <= {c.text for c in every.items}
    assert "NX_Live" not in {c.text for c in every.items}


def test_the_vendor_lines_name_each_daemons_options_file():
    found = vendor_options_files(LICENCE, str(LICENCE_PATH))
    assert [(v.vendor, v.path, v.line) for v in found] == [
        ("ugslmd", str(SCENARIOS / "engineering_ugslmd.opt"), 6),
        ("ansyslmd", str(SCENARIOS / "engineering_ansyslmd.opt"), 8),
        ("MLM", str(SCENARIOS / "engineering_MLM.opt"), 9)]
    # Absolute paths stay as written; a licence named without a directory keeps them relative.
    absolute = parse_license("VENDOR ugslmd /opt/ugs/ugslmd /etc/ugs.opt 27101\n"
                             "VENDOR MLM port=27100\n")
    assert [(v.vendor, v.path) for v in vendor_options_files(absolute, "lic/x.lic")] == [
        ("ugslmd", "/etc/ugs.opt")]
    assert vendor_options_files(LICENCE, "engineering.lic")[0].path == "engineering_ugslmd.opt"


def test_which_daemon_an_options_file_belongs_to(tmp_path: Path):
    found = vendor_of_options_file(LICENCE, str(LICENCE_PATH),
                                   str(SCENARIOS / "engineering_ansyslmd.opt"))
    assert found is not None and (found[0].vendor, found[1]) == ("ansyslmd", True)
    copy = tmp_path / "engineering_MLM.opt"  # a copy kept elsewhere: matched by its name
    copy.write_text("")
    found = vendor_of_options_file(LICENCE, str(LICENCE_PATH), str(copy))
    assert found is not None and (found[0].vendor, found[1]) == ("MLM", False)
    assert vendor_of_options_file(LICENCE, str(LICENCE_PATH), str(tmp_path / "x.opt")) is None


def test_a_licence_of_several_daemons_notes_that_the_file_is_checked_against_all():
    note = unknown_vendor_note(LICENCE)
    assert note is not None and (note.code, note.severity, note.line) == ("OPT032", "info", 1)
    assert "3 vendor daemons (MLM, ansyslmd, ugslmd)" in note.message
    assert unknown_vendor_note(parse_license("VENDOR MLM\nFEATURE A MLM 1 permanent 1\n")) \
        is None
