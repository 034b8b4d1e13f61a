"""The seeded workload: people who come to work, check features out and in, leave
sessions idle, borrow for site visits, queue for solver seats and retry after denials.

Each person is an actor driven by events on the server's timeline; every random choice
is drawn from one seeded generator in event order, so a run is a function of the seed,
the scenario and the times the clock is read at.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .daemon import Seat, VendorDaemons, Waiting
from .options import Client

DAY = 86400


@dataclass(frozen=True, slots=True)
class Task:
    """One thing a person does: use features for a while, or be away (no features)."""

    features: tuple[str, ...]  # the first is the main one; the rest are add-ons
    weight: float = 1.0
    minutes: tuple[float, float] = (30, 120)
    count: tuple[int, int] = (1, 1)
    idle: float = 0.0  # chance the session is left open, idle, after the work
    idle_minutes: tuple[float, float] = (30, 120)
    queue: bool = False
    give_up_minutes: float = 90
    borrow_days: tuple[float, float] | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    zone: ZoneInfo  # the site's zone: working hours are local to it
    tasks: tuple[Task, ...]
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    arrive: tuple[float, float] = (7.5, 9.0)  # hours, local
    leave: tuple[float, float] = (16.5, 18.5)
    pause: tuple[float, float] = (5, 30)  # minutes between tasks
    retry: tuple[float, float] = (3, 15)  # minutes before trying again after a denial
    retries: int = 3
    borrow_at_start: float = 0.0  # chance of a borrow right after the server starts


@dataclass(frozen=True, slots=True)
class Person:
    user: str
    host: str
    display: str
    profile: str
    zone: ZoneInfo | None = None  # the person's site, when not the profile's

    @property
    def client(self) -> Client:
        return Client(self.user, self.host, self.display)


class Workload:
    def __init__(self, people: list[Person], profiles: dict[str, Profile], seed: int,
                 daemons: VendorDaemons, schedule: Callable[[int, str, dict], None]) -> None:
        self.people = people
        self.profiles = profiles
        self.daemons = daemons
        self.schedule = schedule
        self.rng = random.Random(seed)
        self.leave_at: dict[int, int] = {}  # person index -> when they go home today

    # -- state ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        version, internal, gauss = self.rng.getstate()
        return {"rng": [version, list(internal), gauss],
                "leave_at": {str(k): v for k, v in self.leave_at.items()}}

    def restore(self, data: dict) -> None:
        version, internal, gauss = data["rng"]
        self.rng.setstate((version, tuple(internal), gauss))
        self.leave_at = {int(k): v for k, v in data["leave_at"].items()}

    # -- the timeline -----------------------------------------------------------------
    def begin(self, t: int) -> None:
        """Server start: everyone is placed on the timeline."""
        for index, person in enumerate(self.people):
            profile = self.profiles[person.profile]
            if profile.borrow_at_start and self.rng.random() < profile.borrow_at_start:
                borrows = [i for i, task in enumerate(profile.tasks) if task.borrow_days]
                self.schedule(t + self._minutes((1, 20)), "task",
                              {"who": index, "task": self.rng.choice(borrows)})
                continue
            self._plan_day(index, t, first=True)

    def handle(self, t: int, kind: str, data: dict) -> None:
        who = data["who"]
        if kind == "arrive":
            self.leave_at[who] = self._clock(who, t, self.profiles[self._p(who)].leave)
            self.schedule(t, "task", {"who": who})
        elif kind == "task":
            self._task(t, who, data.get("task"), data.get("tries", 0))
        elif kind == "finish":
            for handle in data["handles"]:
                seat = self.daemons.seat(handle)
                if seat is not None and seat.owner and seat.owner.startswith(f"{who}/"):
                    self.granted(self.daemons.checkin(t, handle))
            self._next(t, who)
        elif kind == "give_up" and self.daemons.leave_queue(t, data["handle"]):
            self._next(t, who)

    def dropped(self, t: int, requests: list[Waiting]) -> None:
        """Queued requests the daemons forgot (lmdown): their people move on."""
        for waiting in requests:
            if waiting.owner is not None:
                self._next(t, int(waiting.owner.split("/")[0]))

    def granted(self, seats: list[Seat]) -> None:
        """Queued requests that just got their seat start their session."""
        for seat in seats:
            if seat.owner is not None:
                who, task_index = map(int, seat.owner.split("/"))
                task = self.profiles[self._p(who)].tasks[task_index]
                self._hold(seat.start, who, task, [seat.handle])

    # -- one person -------------------------------------------------------------------
    def _task(self, t: int, who: int, task_index: int | None, tries: int) -> None:
        person = self.people[who]
        profile = self.profiles[person.profile]
        if task_index is None:
            if t >= self.leave_at.get(who, 0):
                self._plan_day(who, t)
                return
            task_index = self._pick(profile.tasks)
        task = profile.tasks[task_index]
        if not task.features:
            self.schedule(t + self._minutes(task.minutes), "task", {"who": who})
            return
        count = self.rng.randint(*task.count)
        borrow_s = int(self.rng.uniform(*task.borrow_days) * DAY) if task.borrow_days else None
        owner = f"{who}/{task_index}"  # lets a seat granted from the queue find its task
        outcome = self.daemons.request(t, person.client, task.features[0], count=count,
                                       version=task.version, borrow_s=borrow_s,
                                       queue=task.queue, owner=owner)
        if outcome.kind == "out":
            handles = [outcome.handle]
            for addon in task.features[1:]:
                extra = self.daemons.request(t, person.client, addon, version=task.version,
                                             owner=owner)
                if extra.kind == "out":
                    handles.append(extra.handle)
            if borrow_s:
                # The notebook leaves with the seat; the daemon checks it in when the
                # borrow ends, and its owner is back at work the day after.
                self._plan_day(who, t + borrow_s)
            else:
                self._hold(t, who, task, handles)
        elif outcome.kind == "queued":
            self.schedule(t + int(task.give_up_minutes * 60), "give_up",
                          {"who": who, "handle": outcome.handle})
        elif tries < profile.retries and outcome.kind == "denied":
            self.schedule(t + self._minutes(profile.retry), "task",
                          {"who": who, "task": task_index, "tries": tries + 1})
        else:
            self._next(t, who)

    def _hold(self, t: int, who: int, task: Task, handles: list[int]) -> None:
        work = self._minutes(task.minutes)
        end = t + work
        if task.idle and self.rng.random() < task.idle:
            for handle in handles:
                seat = self.daemons.seat(handle)
                if seat is not None:
                    seat.idle_since = end
            end += self._minutes(task.idle_minutes)
        self.schedule(end, "finish", {"who": who, "handles": handles})

    def _next(self, t: int, who: int) -> None:
        profile = self.profiles[self._p(who)]
        if t >= self.leave_at.get(who, 0):
            self._plan_day(who, t)
        else:
            self.schedule(t + self._minutes(profile.pause), "task", {"who": who})

    def _plan_day(self, who: int, t: int, first: bool = False) -> None:
        """Schedule the next arrival; at server start, people already at work carry on."""
        profile = self.profiles[self._p(who)]
        zone = self._zone(who)
        local = datetime.fromtimestamp(t, zone)
        if first and local.weekday() in profile.days:
            arrive = self._clock(who, t, profile.arrive)
            leave = self._clock(who, t, profile.leave)
            if arrive <= t < leave:
                self.leave_at[who] = leave
                self.schedule(t + self._minutes((1, 30)), "task", {"who": who})
                return
        day = local.date() + timedelta(days=0 if first else 1)
        while True:
            start = datetime.combine(day, time(), zone)
            arrive = self._clock(who, int(start.timestamp()), profile.arrive)
            if day.weekday() in profile.days and arrive > t:
                self.schedule(arrive, "arrive", {"who": who})
                return
            day += timedelta(days=1)

    # -- helpers ----------------------------------------------------------------------
    def _clock(self, who: int, t: int, hours: tuple[float, float]) -> int:
        """A random moment between two local clock hours, on the local day of `t`."""
        zone = self._zone(who)
        day = datetime.fromtimestamp(t, zone).date()
        midnight = datetime.combine(day, time(), zone)
        return int((midnight + timedelta(hours=self.rng.uniform(*hours))).timestamp())

    def _minutes(self, span: tuple[float, float]) -> int:
        return int(self.rng.uniform(*span) * 60)

    def _pick(self, tasks: tuple[Task, ...]) -> int:
        return self.rng.choices(range(len(tasks)), weights=[t.weight for t in tasks])[0]

    def _p(self, who: int) -> str:
        return self.people[who].profile

    def _zone(self, who: int) -> ZoneInfo:
        return self.people[who].zone or self.profiles[self._p(who)].zone
