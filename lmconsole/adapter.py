"""The protocol every licence-manager adapter (FlexLM, later RLM, LM-X, DSLS) implements.

The core knows only this protocol: how to ask a server for its status (an argv for the
server's transport to run) and how to turn the text that came back into the domain model;
the languages of the files an administrator edits; and the simulated server of the demo.
Adapters register themselves by name in `lmconsole.adapters.ADAPTERS`; nothing outside
`lmconsole.adapters` imports an adapter's own modules (tests/test_layering.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from lmconsole.model import Checkout, Diagnostic, Event, Pool, Record, ServerStatus
from lmconsole.transport import Transport

if TYPE_CHECKING:
    from lmconsole.adapter_records import LiveUse, PoolAllocation


class StatusReport(Record):
    """What one status command printed, parsed."""

    __slots__ = ("servers", "diagnostics", "reported_at", "recognised", "truncated_at")
    servers: tuple[ServerStatus, ...]
    diagnostics: tuple[Diagnostic, ...]
    reported_at: datetime | None  # the time the output itself names, if any
    recognised: bool  # False when the text is not this manager's output at all
    truncated_at: int | None  # the line where the output stops mid-structure, if it does

    def __init__(self, servers: tuple[ServerStatus, ...], diagnostics: tuple[Diagnostic, ...],
                 reported_at: datetime | None, recognised: bool = True,
                 truncated_at: int | None = None) -> None:
        self._init(servers, diagnostics, reported_at, recognised, truncated_at)


def __getattr__(name: str) -> object:
    """LiveUse and PoolAllocation, dataclasses that only the editors, checks and managed
    blocks use: their module (and dataclasses) is imported when one is first asked for, not
    by every status parser."""
    if name in ("LiveUse", "PoolAllocation"):
        from lmconsole import adapter_records

        return getattr(adapter_records, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def banner_only(output_name: str) -> str:
    """What a status output that was read but holds no server is: a capture that stopped
    after the utility's banner must never pass for a site with nothing in use."""
    return (f"this {output_name} output holds only its banner: no licence server, vendor "
            "daemon or feature")


def status_failure(report: StatusReport, argv: list[str], exit_code: int, stdout: str,
                   stderr: str, output_name: str) -> str | None:
    """Why a configured server's status command gave no server, or None when it gave one:
    its first line of complaint, else what the output lacked."""
    if not report.recognised:
        reason = (stderr.strip() or stdout.strip() or "no output").splitlines()[0]
    elif not report.servers:
        reason = stderr.strip().splitlines()[0] if stderr.strip() else banner_only(output_name)
    else:
        return None
    return f"{' '.join(argv)} exited {exit_code}: {reason}"

class StatusQuery(Protocol):
    """The parts of a server's configuration an adapter needs to build its command."""

    name: str
    lmutil: str
    license: str | None  # "port@host[,port@host...]" or a licence file path


class EventReader(Protocol):
    """Turns a server's log, one line at a time as it is written, into events."""

    diagnostics: list[Diagnostic]  # lines not understood and conditions to warn of, in order
    # The date of the first line read, as the log itself implies it (an old log's import
    # reads ahead to its first date line, then reads it again from that date); None until
    # the log names a date.
    log_start_date: date | None
    # The moment of the latest line read that carries a time, an event or not (FlexLM's
    # TIMESTAMP lines); None where the reader's other lines carry none: its latest event is.
    latest_at: datetime | None

    def feed(self, line: str) -> Event | None: ...

    def flush(self) -> Event | None:
        """The event of a line held back for a continuation that did not come (called at the
        end of the input, and when a followed log goes quiet)."""
        ...


def read_events(reader: EventReader, lines: Iterable[str]) -> list[Event]:
    """Every event of `lines`, the last held-back one included."""
    events = [event for line in lines if (event := reader.feed(line)) is not None]
    last = reader.flush()
    return events + [last] if last is not None else events


class LineLogReader:
    """An EventReader of a log whose every record is one line (RLM's report log, LM-X's
    server log, Sentinel RMS's usage log): what each starts with, and a whole saved log read
    at once. Subclasses write `feed`."""

    def __init__(self, *, tz: tzinfo, server: str | None = None,
                 start_date: date | None = None) -> None:
        self.tz = tz
        self.server = server
        self.diagnostics: list[Diagnostic] = []
        self.log_start_date: date | None = None
        self.latest_at: datetime | None = None  # see EventReader; set by `seen`
        self.line = 0  # the number of the line last fed

    def feed(self, line: str) -> Event | None:
        raise NotImplementedError

    def flush(self) -> Event | None:
        return None  # every record is one line: nothing is held back

    def seen(self, at: datetime) -> None:
        """A record at `at` was read, an event or not."""
        if self.latest_at is None or at > self.latest_at:
            self.latest_at = at

    @classmethod
    def read_text(cls, text: str, *, tz: tzinfo, server: str | None = None,
                  start_date: date | None = None) -> tuple[list[Event], list[Diagnostic]]:
        """A whole saved log: its events and the lines that could not be read."""
        reader = cls(tz=tz, server=server, start_date=start_date)
        return read_events(reader, text.splitlines()), reader.diagnostics


class LicenceManagerAdapter(Protocol):
    kind: str  # "flexlm", "rlm", ...
    output_name: str  # what its status output is called in messages: "lmstat", "rlmstat"
    status_command: str  # the command that prints it, for messages: "lmutil lmstat -a"
    # whether remove_argv can free a seat (FlexLM's lmremove, RLM's rlmremove); a manager
    # that has no such command is not offered the action
    frees_seats: bool

    def status_argv(self, server: StatusQuery) -> list[str]:
        """The command that prints the full status of `server`."""
        ...

    def config_problems(self, settings: Mapping[str, object]) -> list[tuple[str, str]]:
        """(key, message) for each setting of a configured server (its [[servers]] table)
        that this manager's adapter cannot serve: the configuration check reports them."""
        ...

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        """Parse a status output. Never raises on bad input: what it cannot read becomes a
        Diagnostic. `name` names the server when the output does not; `tz` is the server's
        zone; `now` resolves dates when the output carries none."""
        ...

    def event_reader(self, *, tz: tzinfo, server: str,
                     start_date: date | None = None) -> EventReader:
        """A reader for the vendor daemon's debug log of `server`, whose zone is `tz`.
        `start_date` is the date of the first line until the log names one (None: the day
        that puts it nearest to now, right for a live tail)."""
        ...

    def parse_log(self, text: str, *, tz: tzinfo) -> tuple[list[Event], list[Diagnostic]]:
        """A whole saved debug log (a headless check's `--debug-log`), written in zone `tz`:
        its events and what was not understood. Never raises on bad input."""
        ...

    def denial_words(self, code: str | None, reason: str | None) -> str:
        """A denial's reason in a few words, by its code (FlexLM: "-4,342" -> "pool full");
        the manager's own text when the code says nothing known."""
        ...

    def remove_argv(self, server: StatusQuery, status: ServerStatus | None, feature: str,
                    seat: Checkout) -> list[str]:
        """The command that frees `seat` of `feature` (FlexLM: lmremove). ValueError, saying
        why: the status lacks what the command needs (RLM: the seat's handle)."""
        ...

    def reread_argv(self, server: StatusQuery) -> list[str]:
        """The command that makes the server re-read its options file (FlexLM: lmreread)."""
        ...

    def restart_argvs(self, server: StatusQuery, *, force: bool = False) -> list[list[str]]:
        """The commands that restart the server's vendor daemon (or the licence server, by
        its configured stop and start commands), in order. ValueError: it cannot be
        restarted from here, and why. `force`: even while seats are borrowed."""
        ...

    def options_language(self, license_text: str | None, vendor: str | None = None
                         ) -> FileLanguage:
        """The options-file language, knowing the licence file (None: not known), of the
        vendor daemon `vendor` (None: not known; every daemon's features are its)."""
        ...

    def daemon_options_files(self, license_text: str, license_path: str | None
                             ) -> list[DaemonOptionsFile]:
        """The options file of each vendor daemon, as the licence file names them."""
        ...

    def options_file_owner(self, license_text: str, license_path: str | None,
                           options_path: str, vendor: str | None) -> OptionsFileOwner:
        """Whose options file `options_path` is: `vendor` when given (ValueError when the
        licence file has no such daemon), else the daemon the licence file names it for."""
        ...

    def license_pools(self, license_text: str) -> dict[str, tuple[Pool, ...]]:
        """The pools of each feature the licence file grants (vendor, version, expiry):
        what a status leaves out of a feature nobody uses."""
        ...

    def license_language(self) -> FileLanguage:
        """The licence-file language: what an administrator may change in one."""
        ...

    def options_blocks(self) -> OptionsBlocks:
        """The managed blocks of its options files: directory groups and allocation pools
        kept in sync by lmconsole. NotImplementedError: the manager has none."""
        ...

    def simulator(self) -> Simulator:
        """The manager's simulated server, for the demo, servers configured with
        transport = "sim", and tests."""
        ...


# ---- the files an administrator edits: options files, licence files ---------------------------

def redundant_servers_problems(settings: Mapping[str, object]) -> list[tuple[str, str]]:
    """The server's `license` when a comma joins other than the three servers of a redundant
    triad (FlexLM's, RLM's and LM-X's rule; a config_problems for the adapters that keep it)."""
    licence = settings.get("license")
    if not isinstance(licence, str) or "@" not in licence:
        return []
    for entry in licence.replace(";", ":").split(":"):
        members = entry.split(",")
        if "@" in entry and len(members) not in (1, 3):
            return [("license", f'"{entry.strip()}" names {len(members)} servers; a comma joins '
                                "the three servers of a redundant triad (separate independent "
                                "servers with ':')")]
    return []


class DaemonOptionsFile(NamedTuple):
    """One vendor daemon's options file, and where lmconsole learnt of it."""

    vendor: str | None  # None: a server with one options file and no vendor configured
    path: str
    origin: str  # "options_files in the configuration", "VENDOR line 5 of /opt/lic.lic" ...


class OptionsFileOwner(NamedTuple):
    """The vendor daemon an options file belongs to, how that is known, and a note for a
    check that could not tell on a licence file of several daemons."""

    vendor: str | None
    origin: str | None  # "--vendor", "VENDOR line 6 of /opt/lic.lic names this file" ...
    note: Finding | None = None


class Finding(NamedTuple):
    """A validator's finding: 1-based line and column, "error", "warning" or "info", a
    stable code (OPT004, LIC008 ...) and the message."""

    line: int
    column: int
    severity: str
    code: str
    message: str


class Span(NamedTuple):
    """A highlighted stretch of one line: 0-based columns, end exclusive, and its kind
    ("keyword", "feature", "comment", "signed" ...: the editor styles each kind)."""

    start: int
    end: int
    kind: str


class Completion(NamedTuple):
    text: str  # what replaces the word being typed
    kind: str  # "keyword", "type", "feature", "user", "host", "group", "value" ...
    detail: str = ""  # shown beside it: "12 seats", "holds a seat now" ...


class Completions(NamedTuple):
    start: int  # the 0-based column where the word being completed starts
    items: tuple[Completion, ...]


class FileLanguage(Protocol):
    """One kind of file an administrator edits on a licence server, as the editor and the
    safe save see it. Never raises on bad text: problems are Findings."""

    kind: str  # "options", "license": names the audit log's actions (save-options ...)
    label: str  # "options file", "licence file"

    def check(self, text: str, live: LiveUse) -> list[Finding]:
        """The validator's findings on `text`."""
        ...

    def refusals(self, original: str, draft: str) -> list[Finding]:
        """Changes no save may make, forced or not (a licence file's signed fields)."""
        ...

    def restart_reasons(self, original: str, draft: str) -> list[str]:
        """What of the change only a restart applies, not a re-read (ports, server lines)."""
        ...

    def highlight(self, text: str) -> dict[int, list[Span]]:
        """The spans to style, by 0-based line."""
        ...

    def complete(self, text: str, row: int, column: int, live: LiveUse) -> Completions:
        """What may be typed at the 0-based (row, column): the words that fit there."""
        ...

    def what_if(self, original: str, draft: str, live: LiveUse) -> str | None:
        """What saving `draft` in place of `original` would change for the users, as text
        to show before the save; None when the language has nothing to say."""
        ...

    def what_if_report(self, original: str, draft: str, live: LiveUse) -> WhatIf | None:
        """The same, for `lmconsole what-if`: a report in words or JSON, and whether anyone's
        access changes; None when the language has nothing to say."""
        ...

    def unrecognised(self, text: str) -> str | None:
        """Why `text` is no file of this kind at all (said after the file's name), for a
        headless check to refuse it rather than call it clean; None when it is one."""
        ...

    def summary(self, text: str) -> dict:
        """What `text` holds, counted (directives; servers, features, seats ...): the
        summary of a headless check's JSON output."""
        ...


class WhatIf(Protocol):
    """Who a draft would newly deny or admit, found by replaying the usage of a period."""

    @property
    def changes_access(self) -> bool:
        """Someone would be newly denied or newly admitted."""
        ...

    def text(self, inputs: Mapping[str, str | None]) -> str:
        """The report in words; `inputs` names the files ("draft", "current" ...)."""
        ...

    def json(self, inputs: Mapping[str, str | None]) -> dict:
        """The report as a JSON object, `inputs` included."""
        ...


# ---- managed blocks of options files: directory groups, allocation pools ---------------------

class OptionsBlocks(Protocol):
    """Blocks of an options file between marker comments that lmconsole writes; the lines
    outside them are never touched."""

    def replace_block(self, text: str, block: str, lines: list[str]
                      ) -> tuple[str | None, str | None]:
        """`text` with `block` holding `lines` (added at the end when missing), and None;
        or None and why it cannot be written (broken markers ...)."""
        ...

    def block_lines(self, text: str, block: str) -> list[str] | None:
        """The lines in `block` now; None: the file has no such block."""
        ...

    def groups_block(self, groups: Mapping[str, Iterable[str]],
                     host_groups: Mapping[str, Iterable[str]]) -> tuple[list[str], list[str]]:
        """The lines defining these user and host groups, and notes on names left out."""
        ...

    def pools_block(self, pools: list[PoolAllocation], license_text: str | None,
                    outside: str = "") -> tuple[list[str], list[str], list[str]]:
        """The lines allocating the pools, or none and why not (more seats than the licence
        has, a pool's group defined in `outside` too ...); and notes. `outside`: the rest of
        the file, whose own reservations count against the licence."""
        ...


# ---- the simulated server of the demo ---------------------------------------------------------

class SimulatedServer(Protocol):
    """A licence server simulated in process, as the demo and the console's clock see it."""

    clock: SimulatedClock

    @property
    def now(self) -> datetime:
        """The server's time, in its zone."""
        ...

    def advance(self, seconds: float) -> None:
        """Move a manual clock (speed None) on, the workload and its log with it."""
        ...


class SimulatedClock(Protocol):
    def now(self) -> float:
        """Simulated seconds since the Unix epoch."""
        ...


class Scenario(Protocol):
    """A simulated site: its licence server's files, its people and their working day."""

    @property
    def zone(self) -> tzinfo: ...

    @property
    def start(self) -> datetime:
        """When its clock starts."""
        ...

    def starting_at(self, start: datetime) -> Scenario:
        """This scenario moved to start at `start`, the dates in its files with it."""
        ...


class Simulator(Protocol):
    """A licence manager's server simulated in process: seeded, replayable scenarios."""

    default_scenario: str  # the one a server configured with transport = "sim" gets

    def scenario(self, name: str) -> Scenario:
        """Scenario `name` as written; ValueError, saying which there are, when none is."""
        ...

    def start(self, scenario: Scenario, *, seed: int, at: datetime, speed: float | None,
              licence_path: Path | None = None) -> SimulatedServer:
        """A server of `scenario` whose clock reads `at`: a manual clock (speed None, moved
        by tests) or one running `speed` times real time. `licence_path`: its licence file
        (see copy_files), which a re-read reads again; else the scenario's own."""
        ...

    def copy_files(self, scenario: Scenario, directory: Path) -> Path:
        """The scenario's licence file and the files it names, copied into `directory`
        (their dates moved with the scenario): the licence file's path."""
        ...

    def transport(self, server: SimulatedServer, *, log_path: str | None = None,
                  follow_poll_s: float = 0.1) -> Transport:
        """A transport that runs the manager's commands on `server` and follows its log, at
        `log_path` too; other files are this machine's. It has `simulated = True` and the
        server as `.server`."""
        ...

    def denial_lines(self, server: SimulatedServer) -> list[str]:
        """The denials in the server's log so far, as written there, oldest first."""
        ...
