"""Sessions seen by polls: where a server has no debug log, each checkout lmstat lists is a
session from when it was first listed (lmstat's own start time where it prints one) until
the first poll that no longer lists it (`seen_by_poll`). Idle reservations, which lmstat
counts in use, are sessions of their own (`reserved`, user "GROUP engineers"): OpenLM's
FLEXlm_Reserved_<type>_<name>. No I/O: the recorder writes the rows.

A session is known by its poll_key: the feature, user, host, display, handle and start of a
checkout; for a reservation, the feature, kind and name with the poll that first saw it
idle (a reservation idle again later is another session).
"""

from __future__ import annotations

from collections.abc import Iterable

from lmconsole.history.schema import END_SEEN_BY_POLL, END_STILL_OPEN
from lmconsole.model import BORROWED, ServerStatus

SEPARATOR = "\x1f"  # between the parts of a poll_key: a character no name has


class PollSessions:
    """The sessions one server's polls have open; `seen` returns the rows a poll opens and
    ends."""

    def __init__(self, server_id: int, still_open: Iterable[dict] = ()) -> None:
        self.server_id = server_id
        # identity (the key without a reservation's first sighting) -> its open row
        self.open: dict[str, dict] = {identity(row["poll_key"], row["reserved"]): row
                                      for row in still_open}

    def seen(self, status: ServerStatus, at: int) -> list[dict]:
        listed = dict(self._listed(status, at))
        rows = []
        for known in list(self.open):
            if known not in listed:
                ended = {**self.open.pop(known), "end_at": at, "end_kind": END_SEEN_BY_POLL}
                rows.append(ended)
        for name, row in listed.items():
            if name not in self.open:
                self.open[name] = row
                rows.append(row)
        return rows

    def _listed(self, status: ServerStatus, at: int) -> Iterable[tuple[str, dict]]:
        for feature in status.features:
            for seat in feature.checkouts:
                start = at if seat.start is None else min(at, int(seat.start.timestamp()))
                key = SEPARATOR.join(str(part) for part in (
                    feature.name, seat.user, seat.host, seat.display, seat.handle,
                    "" if seat.start is None else start))
                yield key, self._row(key, feature.name, seat.user, seat.host, seat.count,
                                     start, reserved=False, borrowed=seat.borrowed,
                                     display=seat.display, handle=seat.handle,
                                     version=seat.version)
            for reservation in feature.reservations:
                if reservation.kind == BORROWED:
                    continue
                name = SEPARATOR.join((feature.name, reservation.kind, reservation.name))
                yield name, self._row(f"{name}{SEPARATOR}{at}", feature.name,
                                      f"{reservation.kind} {reservation.name}", None,
                                      reservation.count, at, reserved=True)

    def _row(self, key: str, feature: str, user: str, host: str | None, count: int,
             start: int, *, reserved: bool, borrowed: bool = False,
             display: str | None = None, handle: int | None = None,
             version: str | None = None) -> dict:
        return {"server_id": self.server_id, "poll_key": key, "feature": feature,
                "user_name": user, "host": host, "display": display, "handle": handle,
                "version": version, "count": count, "borrowed": borrowed,
                "reserved": reserved, "start_at": start, "end_at": None,
                "end_kind": END_STILL_OPEN}


def identity(poll_key: str, reserved: bool) -> str:
    """A reservation's key without the poll that first saw it idle; a checkout's as it is."""
    return poll_key.rpartition(SEPARATOR)[0] if reserved else poll_key
