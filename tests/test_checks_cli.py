"""The headless check-options / check-license functions: output format and exit codes."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from lmconsole.cli.check_license import check_license_main
from lmconsole.cli.check_options import check_options_main

from .corpus import CORPUS

VMWARE = CORPUS / "flexlm" / "license" / "flexlm_license_parser_vmware_esx_good.lic.txt"
WILDCARD = (CORPUS / "flexlm" / "options"
            / "options_file_checker_small_groups_host_group_wildcard.opt.txt")
DIAGNOSTIC = re.compile(r"^(?P<path>.+):(\d+):(\d+): (error|warning|info): .+ \[[A-Z]{3}\d{3}\]$")


def run(function, *args, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    code = function(*args, out=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_clean_options_exit_0_and_print_nothing(tmp_path):
    path = tmp_path / "MLM.opt"
    path.write_text("GROUP g a b\nINCLUDE MATLAB GROUP g\n")
    assert run(check_options_main, str(path), None, "text") == (0, "", "")


def test_findings_print_path_line_col_and_exit_1():
    code, out, err = run(check_options_main, str(WILDCARD), str(VMWARE), "text")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines and all(DIAGNOSTIC.match(line) for line in lines)
    assert lines[0] == (f"{WILDCARD}:2:21: warning: host '192.168.86.25' is a wildcard or IP "
                        f"address, which is unreliable (DHCP); use host names [OPT019]")
    assert any(line.endswith("[OPT009]") for line in lines)


def test_json_output(tmp_path):
    path = tmp_path / "bad.opt"
    path.write_text("INCLUDE MATLAB USER a b\nGROUP g x\nGROUP g y\nINCLUDEALL GROUP g\n")
    code, out, _ = run(check_options_main, str(path), None, "json")
    payload = json.loads(out)
    assert code == 1
    assert payload["path"] == str(path)
    assert payload["diagnostics"][0] == {
        "line": 1, "column": 23, "severity": "error", "code": "OPT004",
        "message": "INCLUDE takes one name, found 2; define a GROUP or HOST_GROUP for several"}
    assert payload["summary"]["errors"] == 1 and payload["summary"]["info"] == 1
    assert payload["summary"]["directives"] == 4


def test_info_only_exits_0(tmp_path):
    path = tmp_path / "ok.opt"
    path.write_text("GROUP g x\nGROUP g y\nINCLUDEALL GROUP g")
    code, out, _ = run(check_options_main, str(path), None, "text")
    assert code == 0 and "[OPT007]" in out


def test_license_check_json_summary_and_exit_0():
    code, out, _ = run(check_license_main, str(VMWARE), "json", today=date(2026, 1, 1))
    payload = json.loads(out)
    assert code == 0 and payload["diagnostics"] == []
    assert payload["summary"]["pools"] == 4 and payload["summary"]["seats"] == 96


def test_license_findings_exit_1(tmp_path):
    path = tmp_path / "license.dat"
    path.write_text("SERVER a 00aa 27000\nFEATURE f v 1.0 1-jan-2020 1 SIGN=1\n")
    code, out, _ = run(check_license_main, str(path), "text", today=date(2026, 1, 1))
    assert code == 1
    assert out == f"{path}:2:17: error: f expired on 2020-01-01 [LIC008]\n"


def test_unreadable_inputs_exit_2(tmp_path):
    binary = tmp_path / "x.opt"
    binary.write_bytes(b"\x7fELF\x00\x01")
    missing = tmp_path / "missing.opt"
    good = tmp_path / "good.opt"
    good.write_text("TIMEOUTALL 3600\n")
    for args in ((str(binary), None), (str(missing), None), (str(tmp_path), None),
                 (str(good), str(missing))):
        code, out, err = run(check_options_main, *args, "text")
        assert code == 2 and out == ""
        assert err.startswith("lmconsole: error: ") and str(tmp_path) in err
    code, _, err = run(check_license_main, str(missing), "json")
    assert code == 2 and err == f"lmconsole: error: {missing}: no such file\n"


def test_latin1_license_is_read(tmp_path):
    path = tmp_path / "license.dat"
    path.write_bytes("# Lizenz für Büro\nSERVER a ANY 27000\n".encode("latin-1"))
    assert run(check_license_main, str(path), "text") == (0, "", "")


def test_headless_module_does_not_import_textual(tmp_path):
    script = ("import sys; from lmconsole.cli.check_options import check_options_main; "
              "import lmconsole.adapters.flexlm.validate; "
              "assert 'textual' not in sys.modules, 'textual imported'")
    subprocess.run([sys.executable, "-c", script], check=True)


def test_default_streams_via_python_c(tmp_path):
    path = tmp_path / "MLM.opt"
    path.write_text("NOLOG DENIED\n")
    result = subprocess.run(
        [sys.executable, "-c",
         f"import sys; from lmconsole.cli.check_options import check_options_main; "
         f"sys.exit(check_options_main({str(path)!r}, None, 'text'))"],
        capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{path}:1:7: warning: NOLOG DENIED")


def test_usage_from_lmstat_and_debug_log_names_who_an_include_would_lock_out(tmp_path):
    lmstat = CORPUS / "flexlm" / "lmstat" / "umich_flux_matlab_real_large_multi_checkout.txt"
    text = lmstat.read_text()
    block = text[text.index("Users of MATLAB:"):text.index("Users of SIMULINK:")]
    holders = {line.split()[0] for line in block.splitlines() if ", start " in line}
    path = tmp_path / "MLM.opt"
    path.write_text("INCLUDE MATLAB USER flash\n")
    code, out, _ = run(check_options_main, str(path), None, "text", lmstat_path=str(lmstat))
    assert code == 1
    assert out.endswith("[OPT029]\n") and f": {len(holders) - 1} of its {len(holders)} " \
        "recent users would be denied" in out
    assert run(check_options_main, str(path), None, "text") == (0, "", "")  # no usage known
    log = CORPUS / "flexlm" / "debuglog" / "upm_mlm_unsupported_hex_out_in_EXCERPT.log.txt"
    code, out, _ = run(check_options_main, str(path), None, "json", debuglog_path=str(log))
    assert json.loads(out)["summary"]["users_known"] > 0


AGREEMENT_LICENSE = """\
SERVER lic1 0011aabbccdd 27000
VENDOR MLM
FEATURE MATLAB MLM 39 permanent 10 SIGN=1
FEATURE Suite MLM 1.0 permanent 5 SIGN=2
PACKAGE Suite MLM 1.0 COMPONENTS="SIMULINK" SIGN=3
"""
# Each INCLUDE is one way the two used to disagree: a group member whose case differs
# (folded), a USER line whose case differs (not folded), a HOST line, a package's INCLUDE.
AGREEMENT_DRAFT = """\
GROUPCASEINSENSITIVE ON
GROUP team alice
INCLUDE MATLAB GROUP team
INCLUDE MATLAB HOST ws9
INCLUDE MATLAB USER Carol
INCLUDE Suite USER erin
"""
AGREEMENT_LOG = """\
 9:00:00 (lmgrd) TIMESTAMP 12/1/2026
 9:00:01 (MLM) OUT: "MATLAB" Alice@ws1  
 9:00:02 (MLM) OUT: "MATLAB" carol@ws2  
 9:00:03 (MLM) OUT: "MATLAB" dave@ws9  
 9:00:04 (MLM) OUT: "MATLAB" frank@ws3  
 9:00:05 (MLM) OUT: "SIMULINK" dave@ws9  
 9:00:06 (MLM) DENIED: "SIMULINK" erin@ws4  (Licensed number of users already reached. (-4,342))
"""


def test_check_options_names_everyone_what_if_finds_locked_out_by_an_include(tmp_path):
    from lmconsole.cli.what_if import what_if_main

    (tmp_path / "MLM.lic").write_text(AGREEMENT_LICENSE)
    (tmp_path / "draft.opt").write_text(AGREEMENT_DRAFT)
    (tmp_path / "current.opt").write_text("")
    (tmp_path / "debug.log").write_text(AGREEMENT_LOG)
    files = {"license_path": str(tmp_path / "MLM.lic"),
             "debuglog_path": str(tmp_path / "debug.log")}
    code, out, _ = run(what_if_main, str(tmp_path / "draft.opt"),
                       current_path=str(tmp_path / "current.opt"), fmt="json", **files)
    assert code == 1
    locked_out: dict[str, set[str]] = {}
    for finding in json.loads(out)["newly_denied"]:
        assert finding["draft"]["code"] == "-39", finding
        locked_out.setdefault(finding["feature"], set()).add(finding["user"])
    assert locked_out == {"MATLAB": {"carol", "frank"}, "SIMULINK": {"dave"}}

    code, out, _ = run(check_options_main, str(tmp_path / "draft.opt"), files["license_path"],
                       "json", debuglog_path=files["debuglog_path"])
    warned = {}
    for diagnostic in json.loads(out)["diagnostics"]:
        if diagnostic["code"] == "OPT029":
            feature = re.search(r"INCLUDE list of (\S+)", diagnostic["message"])[1]
            names = re.search(r"would be denied \((.*)\)$", diagnostic["message"])[1]
            warned[feature] = set(names.split(", "))
    assert code == 1 and warned == locked_out

    # The reverse: with those users admitted by name, neither finds anyone shut out.
    (tmp_path / "draft.opt").write_text(AGREEMENT_DRAFT + "INCLUDE MATLAB USER carol\n"
                                        "INCLUDE MATLAB USER frank\nINCLUDE Suite USER dave\n")
    code, out, _ = run(what_if_main, str(tmp_path / "draft.opt"),
                       current_path=str(tmp_path / "current.opt"), fmt="json", **files)
    assert code == 0 and json.loads(out)["newly_denied"] == []
    code, out, _ = run(check_options_main, str(tmp_path / "draft.opt"), files["license_path"],
                       "text", debuglog_path=files["debuglog_path"])
    assert "[OPT029]" not in out


# ---- an options file of a server with several vendor daemons ------------------------------

SCENARIOS = Path(__file__).resolve().parents[1] / "adapters" / "flexlm" / "sim" / "scenarios"
ENGINEERING = SCENARIOS / "engineering.lic"


def ugslmd_file_with_an_ansys_line(directory: Path) -> Path:
    """A copy of the engineering scenario (licence and ugslmd options file), the options
    file reserving a seat of a feature ansyslmd serves."""
    licence = directory / "engineering.lic"
    licence.write_text(ENGINEERING.read_text())
    options = directory / "engineering_ugslmd.opt"
    options.write_text("RESERVE 1 ANSYS_CFD USER bob\n")
    return options


def test_the_vendor_line_naming_the_file_makes_it_that_daemons(tmp_path):
    options = ugslmd_file_with_an_ansys_line(tmp_path)
    licence = str(tmp_path / "engineering.lic")
    code, out, _ = run(check_options_main, str(options), licence, "text")
    assert (code, out) == (1, (
        f"{options}:1:11: error: 'ANSYS_CFD' is served by ansyslmd, not by ugslmd, which reads "
        f"this file and ignores the line; move it to its options file [OPT031]\n"))
    code, out, _ = run(check_options_main, str(options), licence, "json")
    summary = json.loads(out)["summary"]
    assert (summary["vendor"], summary["vendor_from"]) == (
        "ugslmd", f"VENDOR line 6 of {licence} names this file")


def test_a_copy_of_the_file_elsewhere_is_matched_by_its_name(tmp_path):
    options = ugslmd_file_with_an_ansys_line(tmp_path)
    code, out, _ = run(check_options_main, str(options), str(ENGINEERING), "json")
    payload = json.loads(out)
    assert code == 1 and [d["code"] for d in payload["diagnostics"]] == ["OPT031"]
    assert payload["summary"]["vendor_from"] == (
        f"VENDOR line 6 of {ENGINEERING} names a file of this name "
        f"({SCENARIOS / 'engineering_ugslmd.opt'})")


def test_vendor_names_the_daemon_and_an_unknown_one_is_a_usage_error(tmp_path):
    options = tmp_path / "site.opt"
    options.write_text("RESERVE 1 ANSYS_CFD USER bob\n")
    assert run(check_options_main, str(options), str(ENGINEERING), "text",
               vendor="ansyslmd") == (0, "", "")
    code, out, _ = run(check_options_main, str(options), str(ENGINEERING), "text",
                       vendor="ugslmd")
    assert code == 1 and out.endswith("[OPT031]\n")
    code, out, err = run(check_options_main, str(options), str(ENGINEERING), "text",
                         vendor="ansys")
    assert (code, out) == (2, "")
    assert err == (f"lmconsole: error: --vendor ansys: {ENGINEERING} has no VENDOR ansys line "
                   f"(its vendor daemons: MLM, ansyslmd, ugslmd)\n")


def test_neither_on_a_licence_of_several_daemons_checks_all_and_says_so(tmp_path):
    options = tmp_path / "site.opt"
    options.write_text("RESERVE 1 ANSYS_CFD USER bob\n")
    code, out, _ = run(check_options_main, str(options), str(ENGINEERING), "text")
    assert (code, out) == (0, (
        f"{options}:1:1: info: the licence file has 3 vendor daemons (MLM, ansyslmd, ugslmd) "
        f"and no VENDOR line names this options file: its features are checked against all "
        f"of them; name its daemon with --vendor [OPT032]\n"))


def test_vendor_on_the_command_line(tmp_path):
    options = ugslmd_file_with_an_ansys_line(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "lmconsole", "check-options", str(options), "--license",
         str(ENGINEERING), "--vendor", "ansyslmd"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
