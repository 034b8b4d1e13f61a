"""What-if for a draft options file: the options decision model and the replay, checked on
small files and against the simulator's own enforcement."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest

from lmconsole.adapters.flexlm.debuglog import parse_debuglog
from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.adapters.flexlm.options import parse_options
from lmconsole.adapters.flexlm.sim import SimulatedServer
from lmconsole.adapters.flexlm.sim.scenario import SCENARIO_DIR
from lmconsole.adapters.flexlm.whatif import Holder, Policy, Seat, what_if
from lmconsole.cli.what_if import what_if_main

LICENCE = """\
SERVER lic01 ANY 27000
VENDOR demo options=demo.opt
INCREMENT CAD demo 2.0 31-dec-2026 3 SIGN=0
INCREMENT Solver demo 1.0 31-dec-2026 1 SIGN=0
INCREMENT Solver demo 2.0 31-dec-2026 1 SIGN=0
INCREMENT Free demo 1.0 31-dec-2026 uncounted HOSTID=ANY SIGN=0
PACKAGE Suite demo 1.0 COMPONENTS="CAD Solver" SIGN=0
"""


def policy(text: str, licence: str | None = LICENCE, **kwargs) -> Policy:
    return Policy.from_options(parse_options(text),
                               parse_license(licence) if licence else None, **kwargs)


def ask(p: Policy, user: str, feature: str = "CAD", held=(), *, host: str | None = None,
        count: int = 1):
    """The reason code (None: allowed) for `user`, with `held` = [(user, pool, count)]."""
    by_pool: dict[int, list[Holder]] = {}
    for who, pool, n in held:
        by_pool.setdefault(pool, []).append(Holder(who, f"{who}-pc", None, n))
    return p.decide(user, host or f"{user}-pc", None, feature, count=count,
                    in_use_by_pool=by_pool).reason_code


# --- the decision model -----------------------------------------------------------------


def test_exclude_is_checked_first_and_beats_include_and_reserve():
    p = policy("EXCLUDE CAD USER ann\nINCLUDE CAD USER ann\nRESERVE 1 CAD USER ann\n")
    decision = p.decide("ann", "ann-pc", None, "CAD")
    assert (decision.allowed, decision.reason_code, decision.words) == \
        (False, "-38", "on EXCLUDE list")
    assert decision.rule.line == 1 and decision.rule.text == "EXCLUDE CAD USER ann"
    assert ask(p, "bob") == "-39"  # the INCLUDE list shuts him out
    assert ask(policy("EXCLUDEALL HOST ann-pc\n"), "ann", "Solver") == "-38"


def test_an_include_list_shuts_everyone_else_out_of_that_feature_only():
    p = policy("GROUP cad ann bob\nINCLUDE CAD GROUP cad\n")
    assert [ask(p, u) for u in ("ann", "bob", "cyd")] == [None, None, "-39"]
    assert ask(p, "cyd", "Solver") is None
    assert ask(policy("INCLUDEALL USER ann\n"), "cyd", "Solver") == "-39"


def test_max_per_user_per_group_shared_and_all_users():
    p = policy("GROUP trainees tim tom\nMAX 1 CAD GROUP trainees\nMAX 2 CAD USER ALL_USERS\n")
    assert ask(p, "tom", held=[("tim", 0, 1)]) == "-87"  # the group shares one seat
    assert ask(p, "tom") is None
    assert ask(p, "ann", held=[("ann", 0, 2)]) == "-87"  # each user two
    assert ask(p, "ann", held=[("bob", 0, 2)]) is None
    assert ask(policy("MAX 1 CAD USER ann\n"), "ann", held=[("ann", 0, 1)]) == "-87"


def test_reservations_come_out_of_the_pool_and_beyond_the_pool_do_not_apply():
    p = policy("GROUP eng eve ed\nRESERVE 2 CAD GROUP eng\n")
    assert ask(p, "ann") is None
    assert ask(p, "bob", held=[("ann", 0, 1)]) == "-101"  # 1 free seat left for others? no
    assert ask(p, "eve", held=[("ann", 0, 1)]) is None  # members get their reserved seat
    assert ask(p, "bob", held=[("ann", 0, 1), ("eve", 0, 1)]) == "-101"
    assert ask(p, "bob", held=[("ann", 0, 1), ("eve", 0, 1), ("ed", 0, 1)]) == "-4"
    # 3 seats: the second line gets the one seat left, the third none.
    q = policy("RESERVE 2 CAD USER eve\nRESERVE 5 CAD USER ed\nRESERVE 1 CAD USER al\n")
    assert [count for _, count in q.reservations("CAD", 0)] == [2, 1, 0]
    assert ask(q, "al") == "-101"


def test_repeated_group_lines_merge_and_groupcaseinsensitive_folds_members():
    text = "GROUP g Ann\nGROUP g bob\nEXCLUDE CAD GROUP g\nHOST_GROUP lab LAB-*\n" \
           "EXCLUDE Solver HOST_GROUP lab\n"
    p = policy(text)
    assert [ask(p, u) for u in ("Ann", "bob", "ann")] == ["-38", "-38", None]
    assert ask(p, "cyd", "Solver", host="lab-01") is None
    folded = policy("GROUPCASEINSENSITIVE ON\n" + text)
    assert ask(folded, "ann") == "-38"
    assert ask(folded, "cyd", "Solver", host="lab-01") == "-38"
    assert ask(policy(text, case_insensitive=True), "ann") == "-38"
    assert ask(policy("GROUPCASEINSENSITIVE ON\nEXCLUDE CAD USER Ann\n"), "ann") is None


def test_feature_qualifiers_select_pools_and_packages_reach_their_components():
    p = policy("EXCLUDE Solver:VERSION=1.0 USER ann\n")
    decision = p.decide("ann", "ann-pc", None, "Solver")
    assert decision.allowed and decision.pool == 1  # the 2.0 pool takes her
    assert ask(p, "ann", "Solver", held=[("bob", 1, 1)]) == "-4"  # least restrictive
    assert ask(policy("EXCLUDE Suite USER ann\n"), "ann", "Solver") == "-38"
    # Without a licence file a qualifier cannot be resolved: the line covers the feature.
    assert ask(policy("EXCLUDE Solver:VERSION=1.0 USER ann\n", licence=None), "ann",
               "Solver") == "-38"


def test_every_feature_line_of_another_version_is_a_pool_and_quoted_specs_qualify():
    # dcyjukxm/FlexLM flexlm_v9.2/testsuite/pathtest.tem lines 14-15: two FEATURE lines
    licence = ("FEATURE p6215 demo 1.0 permanent 1 SIGN=0\n"
               "FEATURE p6215 demo 2.0 permanent 1 SIGN=0\n")
    p = policy("", licence)
    decision = p.decide("bob", "bob-pc", None, "p6215",
                        in_use_by_pool={0: [Holder("ann", "ann-pc")]})
    assert decision.allowed and decision.pool == 1
    # Jestzer/Options.File.Checker sampleMLM.opt line 34 quotes `feature:qualifier`
    # (MathWorks pools differ in VENDOR_STRING; asset_info alone would not split them)
    licence = ("INCREMENT SIMULINK MLM 51 31-dec-2026 4 VENDOR_STRING=lo=CN "
               "asset_info=778899 SIGN=0\n"
               "INCREMENT SIMULINK MLM 51 31-dec-2026 4 VENDOR_STRING=lo=IN "
               "asset_info=112233 SIGN=1\n")
    p = policy('EXCLUDE "SIMULINK:asset_info=778899" USER ann\n', licence)
    assert p.decide("ann", "ann-pc", None, "SIMULINK").pool == 1
    assert ask(p, "ann", "SIMULINK", held=[("bob", 1, 4)]) == "-4"
    assert ask(p, "bob", "SIMULINK", held=[("cyd", 1, 4)]) is None


def test_uncounted_pools_and_unknown_sizes():
    p = policy("MAX 0 Free USER ann\nRESERVE 1 Free USER bob\nINCLUDE Free USER bob\n")
    assert ask(p, "ann", "Free") == "-39"  # only INCLUDE/EXCLUDE on an uncounted pool
    assert ask(p, "bob", "Free", held=[("x", 0, 50)]) is None
    unknown = policy("RESERVE 1 CAD USER eve\nMAX 1 CAD USER ann\n", licence=None)
    assert ask(unknown, "bob", held=[("x", 0, 99)]) is None  # no size: no pool-full
    assert ask(unknown, "ann", held=[("ann", 0, 1)]) == "-87"
    sized = policy("RESERVE 1 CAD USER eve\n", licence=None, capacity={"CAD": 2})
    assert ask(sized, "bob", held=[("x", 0, 1)]) == "-101"


# --- the replay, with the simulator -------------------------------------------------------


class Capture:
    """A simulator run, written out as the files the CLI reads."""

    def __init__(self, directory, server: SimulatedServer, vendor: str) -> None:
        self.dir, self.server, self.vendor = directory, server, vendor
        self.lmstat_text = server.lmutil(["lmstat", "-a"])[1]
        self.log_text = "\n".join(server.log.lines) + "\n"
        self.licence_text = server.texts["licence"]
        self.options_text = server.texts["options"][vendor]
        for name, text in (("lmstat.txt", self.lmstat_text), ("debug.log", self.log_text),
                           ("licence.lic", self.licence_text),
                           ("current.opt", self.options_text)):
            (directory / name).write_text(text)
        status = parse_lmstat(self.lmstat_text, tz=server.zone)
        self.seats = [Seat(f.name, c) for s in status.servers for f in s.features
                      for c in f.checkouts]
        self.events = parse_debuglog(self.log_text, tz=server.zone)[0]
        self.licence = parse_license(self.licence_text)

    def run(self, draft_text: str, fmt: str = "text", **kwargs) -> tuple[int, str, str]:
        (self.dir / "draft.opt").write_text(draft_text)
        out, err = io.StringIO(), io.StringIO()
        args = dict(current_path=str(self.dir / "current.opt"),
                    license_path=str(self.dir / "licence.lic"),
                    lmstat_path=str(self.dir / "lmstat.txt"),
                    debuglog_path=str(self.dir / "debug.log"), tz=self.server.zone)
        code = what_if_main(str(self.dir / "draft.opt"), **{**args, **kwargs}, fmt=fmt,
                            out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def report(self, draft_text: str):
        return what_if(parse_options(self.options_text), parse_options(draft_text),
                       seats=self.seats, requests=self.events, license_file=self.licence)


def run_scenario(directory, name: str, vendor: str, hours: float, options: str | None = None,
                 seed: int = 1) -> SimulatedServer:
    """The scenario, from copies of its files (so that options can be changed)."""
    licence = SCENARIO_DIR / f"{name}.lic"
    shutil.copy(licence, directory / licence.name)
    for opt in SCENARIO_DIR.glob(f"{name}_*.opt"):
        shutil.copy(opt, directory / opt.name)
    if options is not None:
        (directory / f"{name}_{vendor}.opt").write_text(options)
    server = SimulatedServer.from_scenario(name, seed=seed,
                                           licence_path=directory / licence.name)
    server.advance(hours * 3600)
    return server


@pytest.fixture(scope="module")
def reserved(tmp_path_factory):
    directory = tmp_path_factory.mktemp("reserved")
    return Capture(directory, run_scenario(directory, "reserved", "ARCGIS", 6), "ARCGIS")


def test_an_identical_draft_changes_nothing_and_the_model_agrees_with_the_log(reserved):
    code, out, err = reserved.run(reserved.options_text)
    assert (code, err) == (0, "")
    assert "no change: the draft changes nobody's access" in out
    report = reserved.report(reserved.options_text)
    counts = report.counts
    assert counts["requests"] > 50 and counts["requests_denied_in_log"] > 10
    assert counts["seats"] == len(reserved.seats) > 0
    # The simulator enforces the same rules: the model of the current file reproduces
    # every logged outcome (-4 and -101 included) and every held seat.
    assert counts["model_agrees"] == counts["requests"] + counts["seats"]
    assert report.idle_reservations == ()  # the engineers did use their Viewer seats


def test_excluding_a_user_who_held_seats_denies_them(reserved):
    victim = reserved.seats[0].checkout.user
    feature = reserved.seats[0].feature
    draft = reserved.options_text + f"EXCLUDE {feature} USER {victim}\n"
    report = reserved.report(draft)
    assert {f.user for f in report.newly_denied} == {victim}
    assert {f.source for f in report.newly_denied} == {"request", "seat"}
    assert all(f.draft.reason_code == "-38" and f.now.allowed for f in report.newly_denied)
    code, out, _ = reserved.run(draft)
    assert code == 1
    assert f"  {victim} on {feature}: " in out
    assert f"on EXCLUDE list (draft line 5: EXCLUDE {feature} USER {victim})" in out
    code, out, _ = reserved.run(draft, fmt="json")
    data = json.loads(out)
    assert code == 1 and data["changes_access"] is True
    assert data["counts"]["users_newly_denied"] == 1
    assert data["newly_denied"][0]["draft"]["code"] == "-38"


def test_a_reservation_for_a_group_that_never_used_the_feature_is_idle(reserved):
    draft = reserved.options_text + "GROUP managers boss chief\nRESERVE 1 Editor GROUP managers\n"
    report = reserved.report(draft)
    assert [(r.feature, r.name, r.seats, r.applies, r.new) for r in
            report.idle_reservations] == [("Editor", "managers", 1, True, True)]
    # Half of Editor's two seats set aside: analysts who got the second seat are refused.
    assert report.newly_denied
    assert {f.draft.reason_code for f in report.newly_denied} == {"-101"}
    code, out, _ = reserved.run(draft)
    assert code == 1
    assert "draft line 6: RESERVE 1 Editor GROUP managers: keeps 1 seat of Editor idle (new)" \
        in out


def test_removing_an_exclude_that_caused_denials_admits_those_requests(tmp_path):
    original = (SCENARIO_DIR / "reserved_ARCGIS.opt").read_text()
    current = original + "EXCLUDE Viewer USER avi\n"
    capture = Capture(tmp_path, run_scenario(tmp_path, "reserved", "ARCGIS", 6, current),
                      "ARCGIS")
    excluded = [e for e in capture.events if e.code and e.code.startswith("-38,")]
    assert excluded and {e.user for e in excluded} == {"avi"}
    report = capture.report(original)
    admitted = {f.line: f for f in report.newly_admitted}
    assert admitted and {f.user for f in admitted.values()} == {"avi"}
    assert all(f.now.reason_code == "-38" and f.logged.startswith("DENIED (-38,")
               for f in admitted.values())
    # Only the requests the EXCLUDE refused; the others found the pool full anyway
    # (avi retries while the analysts hold the unreserved seats).
    assert set(admitted) <= {e.line for e in excluded}
    code, out, _ = capture.run(original)
    assert code == 1 and "  avi on Viewer: " in out and "was on EXCLUDE list" in out


def test_architecture_max_and_reserve_lines(tmp_path):
    capture = Capture(tmp_path, run_scenario(tmp_path, "architecture", "adskflex", 8),
                      "adskflex")
    same = capture.report(capture.options_text)
    assert not same.newly_denied and not same.newly_admitted
    # Lifting the trainees' shared cap admits exactly the requests it refused (when the
    # log shows any), and tightening it to zero shuts them out.
    lifted = capture.report(capture.options_text.replace("MAX 1 AutoCAD", "MAX 9 AutoCAD"))
    over_max = [e for e in capture.events if e.code and e.code.startswith("-87,")]
    assert len(lifted.newly_admitted) <= len(over_max)
    assert all(f.user in ("tlehmann", "ukaiser") for f in lifted.newly_admitted)
    closed = capture.report(capture.options_text.replace("MAX 1 AutoCAD", "MAX 0 AutoCAD"))
    assert {f.user for f in closed.newly_denied} <= {"tlehmann", "ukaiser"}
    assert all(f.draft.reason_code == "-87" for f in closed.newly_denied)


def test_cross_check_the_simulator_enforces_the_draft_as_the_model_predicts(tmp_path):
    """After the draft is written and `lmreread`, the simulator's answers to a sample of
    the replayed requests match Policy.decide on the seats it then holds.

    Where they may legitimately differ (not exercised here): DISPLAY rules (the model sees
    no display for log requests), a licence with several pools of a feature (the model
    places seats itself), and requests for more than one seat."""
    server = run_scenario(tmp_path, "reserved", "ARCGIS", 5)
    draft = ("GROUP engineers natal efrat rachel chen richard\n"
             "GROUP analysts avi dana yossi noa moshe\n"
             "RESERVE 2 Viewer GROUP engineers\n"
             "EXCLUDE Viewer USER noa\n"
             "MAX 1 Editor GROUP analysts\n"
             "INCLUDE Spatial_Analyst USER tamar\n")
    (tmp_path / "reserved_ARCGIS.opt").write_text(draft)
    assert server.lmutil(["lmreread"])[0] == 0
    model = Policy.from_options(parse_options(draft), parse_license(server.texts["licence"]))
    events = parse_debuglog("\n".join(server.log.lines), tz=server.zone)[0]
    sample = list(dict.fromkeys((e.user, e.host, e.feature) for e in events
                                if e.kind in ("OUT", "DENIED")))
    sample += [("tamar", "gis-pc06", "Spatial_Analyst"), ("omer", "gis-pc09", "Spatial_Analyst")]
    assert len(sample) > 10
    seen: set[int | None] = set()
    codes = {"-38": -38, "-39": -39, "-87": -87, "-4": -4, "-101": -101}
    for user, host, feature in sample:
        held: dict[int, list[Holder]] = {}
        for seat in server.daemons.seats_of(feature):
            held.setdefault(seat.pool, []).append(Holder(seat.user, seat.host, seat.display,
                                                         seat.count))
        predicted = model.decide(user, host, host, feature, in_use_by_pool=held)
        outcome = server.checkout(user, host, feature)
        actual = None if outcome.kind == "out" else outcome.error.code
        seen.add(actual)
        assert (None if predicted.allowed else codes[predicted.reason_code]) == actual, \
            (user, feature, predicted, outcome)
        if outcome.kind == "out":
            server.checkin(outcome.handle)
    assert {None, -38, -39} <= seen, seen


def test_bad_input_exits_2(reserved, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = what_if_main(str(tmp_path / "missing.opt"), current_path=str(tmp_path / "x.opt"),
                        out=out, err=err)
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue() == f"lmconsole: error: {tmp_path / 'missing.opt'}: no such file\n"
    code, _, err_text = reserved.run(reserved.options_text, lmstat_path=str(tmp_path))
    assert code == 2 and "is a directory, not an lmstat output" in err_text
    (tmp_path / "bin.log").write_bytes(b"\x00\x01")
    code, _, err_text = reserved.run(reserved.options_text, debuglog_path=str(tmp_path /
                                                                               "bin.log"))
    assert code == 2 and "binary file" in err_text
    code, _, err_text = reserved.run(reserved.options_text, tz="Not/AZone")
    assert code == 2 and "unknown time zone" in err_text


def test_without_licence_file_lmstat_sizes_the_pools(reserved):
    draft = reserved.options_text + "GROUP managers boss\nRESERVE 1 Editor GROUP managers\n"
    code, out, _ = reserved.run(draft, license_path=None)
    assert code == 1 and "keeps 1 seat of Editor idle" in out
    code, out, _ = reserved.run(reserved.options_text, license_path=None, lmstat_path=None)
    assert code == 0


def test_the_what_if_command_line(reserved):
    victim = reserved.seats[0].checkout.user
    feature = reserved.seats[0].feature
    (reserved.dir / "draft.opt").write_text(
        reserved.options_text + f"EXCLUDE {feature} USER {victim}\n")
    result = subprocess.run(
        [sys.executable, "-m", "lmconsole", "what-if", str(reserved.dir / "draft.opt"),
         "--current", str(reserved.dir / "current.opt"),
         "--license", str(reserved.dir / "licence.lic"),
         "--lmstat", str(reserved.dir / "lmstat.txt"),
         "--debug-log", str(reserved.dir / "debug.log"),
         "--server-tz", str(reserved.server.zone), "--format", "json"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["counts"]["users_newly_denied"] == 1
    missing = subprocess.run([sys.executable, "-m", "lmconsole", "what-if", "nope.opt",
                              "--current", "nope2.opt"], capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 2 and missing.stderr.startswith("lmconsole: error: ")
