"""Scenarios: a licence file, its options files and a workload description (TOML), shipped
as flat files in scenarios/ (`NAME.toml` names the rest).

A scenario is written for its `start`: the dates in its licence file (expiry, ISSUED=) are
dates as seen from then. `Scenario.starting_at` moves it to another start, and its files'
dates by as many days, so that a licence that expires three weeks in still does, whenever
the simulation starts."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

from ..dates import MONTHS
from .workload import Person, Profile, Task

SCENARIO_DIR = Path(str(files(__package__) / "scenarios"))


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    directory: Path  # where the licence file (and relative options files) live
    licence_file: str
    zone: ZoneInfo
    start: datetime  # when the clock starts (aware)
    server_started: datetime  # when lmgrd was started (aware), before `start`
    shown_licence_path: str | None = None  # what lmstat prints, if not the real path
    vendor_versions: dict[str, str] = field(default_factory=dict)
    people: tuple[Person, ...] = ()
    profiles: dict[str, Profile] = field(default_factory=dict)
    days_moved: int = 0  # how far its files' dates are moved from the ones written in them

    @property
    def licence_path(self) -> Path:
        return self.directory / self.licence_file

    def starting_at(self, start: datetime) -> Scenario:
        """This scenario with its clock starting at `start` (aware): lmgrd's start-up moves
        with it, and the dates in its files by as many calendar days (in its zone)."""
        start = start.astimezone(self.zone)
        shift = start.astimezone(UTC) - self.start.astimezone(UTC)
        server_started = (self.server_started.astimezone(UTC) + shift).astimezone(self.zone)
        days = (start.date() - self.start.date()).days
        return dataclasses.replace(self, start=start, server_started=server_started,
                                   days_moved=self.days_moved + days)

    def licence_text(self) -> str:
        """The licence file, its dates moved with the scenario."""
        return self.file_text(self.licence_file)

    def file_text(self, name: str) -> str:
        """One of the scenario's files (the licence file, an options file), its dates moved
        with the scenario."""
        text = (self.directory / name).read_text(encoding="utf-8")
        return move_dates(text, self.days_moved)


_FLEXLM_DATE = re.compile(r"\b(\d{1,2})-(" + "|".join(MONTHS) + r")-(\d{4})\b", re.IGNORECASE)


def move_dates(text: str, days: int) -> str:
    """Every FlexLM date in `text` (`31-dec-2026`) moved by `days`; year 0 (permanent) stays."""
    if days == 0:
        return text

    def moved(match: re.Match) -> str:
        day, month, year = int(match[1]), MONTHS[match[2].lower()], int(match[3])
        if year == 0:
            return match[0]
        try:
            new = date(year, month, day) + timedelta(days=days)
        except ValueError:  # no such date: not ours to correct
            return match[0]
        width = len(match[1])  # 05-jan stays two digits, 5-jan one
        return f"{new.day:0{width}}-{tuple(MONTHS)[new.month - 1]}-{new.year}"

    return _FLEXLM_DATE.sub(moved, text)


def scenario_names(directory: Path = SCENARIO_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_scenario(name: str, directory: Path = SCENARIO_DIR) -> Scenario:
    """Scenario `name` of `directory` (another manager's simulator keeps its own there)."""
    path = directory / f"{name}.toml"
    if not path.is_file():
        raise ValueError(f"no scenario {name!r}; choose one of "
                         f"{', '.join(scenario_names(directory))}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        zone = ZoneInfo(data["timezone"])
        profiles = {key: _profile(spec, zone) for key, spec in data["profiles"].items()}
        people = tuple(_people(data["people"], data.get("names", {})))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path.name}: not a valid scenario ({exc!r})") from exc
    for person in people:
        if person.profile not in profiles:
            raise ValueError(f"{path.name}: {person.user} has unknown profile {person.profile!r}")
    return Scenario(
        name=name, title=data["title"], directory=directory, licence_file=data["licence"],
        zone=zone, start=data["start"].replace(tzinfo=zone),
        server_started=data["server_started"].replace(tzinfo=zone),
        shown_licence_path=data.get("shown_licence_path"),
        vendor_versions=data.get("vendor_versions", {}), people=people, profiles=profiles)


def _profile(spec: dict, server_zone: ZoneInfo) -> Profile:
    tasks = tuple(_task(t) for t in spec["tasks"])
    plain = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()
             if k not in ("tasks", "site")}
    zone = ZoneInfo(spec["site"]) if "site" in spec else server_zone
    profile = Profile(zone=zone, tasks=tasks, **plain)
    if not profile.days or not profile.tasks:
        raise ValueError("a profile needs working days and tasks")
    return profile


def _task(spec: dict) -> Task:
    return Task(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()})


def _people(groups: list[dict], names: dict) -> list[Person]:
    """Expand each `[[people]]` group: explicit `users`, or `count` names generated from a
    `[names.X]` list; `host` and `display` are templates over n (1-based) and user."""
    taken: set[str] = set()
    people = []
    for group in groups:
        users = list(group.get("users", []))
        if "count" in group:
            users += _generated(names[group["names"]], group["count"], group.get("offset", 0),
                                taken)
        for n, user in enumerate(users, group.get("first_n", 1)):
            taken.add(user)
            host = group["host"].format(n=n, user=user)
            display = group.get("display", "{host}").format(n=n, user=user, host=host)
            site = ZoneInfo(group["site"]) if "site" in group else None
            people.append(Person(user, host, display, group["profile"], site))
    return people


def _generated(pool: dict, count: int, offset: int, taken: set[str]) -> list[str]:
    first, last = pool["first"], pool["last"]
    users = []
    i = offset
    while len(users) < count:
        user = f"{first[i % len(first)][0]}{last[(i * 7 + i // len(first)) % len(last)]}".lower()
        suffix = 2
        candidate = user
        while candidate in taken:
            candidate, suffix = f"{user}{suffix}", suffix + 1
        taken.add(candidate)
        users.append(candidate)
        i += 1
    return users
