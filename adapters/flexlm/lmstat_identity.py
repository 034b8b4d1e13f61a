"""Who holds a seat: the `user host display [vendor data]` words that open an lmstat seat
line, before `(vVERSION)`.

lmstat prints `name node [display] [vendor_def]` separated by single spaces (FLEXlm's
lm_stat.c), and user names and displays may themselves contain spaces (`John Doe John_D
"U,K$ iQw`, `user 110 host110 display110`), so four or more words have no certain split.
The rules below are tried in order. They split right every seat line of the real outputs
we have, and find the user and host its author expects on every line of the mock written
to exercise exactly this (CharlesWB/LicenseStatus MockUtil/LmStatTest.cs) but the two he
marks as beyond any rule (shared/reference/formats.md 1.10):

1. trailing words lmstat adds after the display are extra: a bare version, `key=value`,
   `PACKAGE:COMPONENT`;
2. an X display (`server:1`, `:0.0`) or a terminal (`/dev/pts/3`) is the display; the host
   is the word before it, and the words after it are vendor data;
3. a host followed by a display that repeats it (`c630 c630.nibi.sharcnet`: Windows and
   ANSYS print the host name or its FQDN as display); the words after it are vendor data;
4. a word that is the host of a three-word seat line elsewhere in the output;
5. otherwise the display is the last word (with the word before it when the last one
   starts with a digit or is a single character: `display 111`, `display112 A`), and the
   host is the last host-like word before the display.

Rule 4 needs the whole output, so a split left to rule 5 is marked `tentative` and made
again once every seat line has been read.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import NamedTuple

_WORD = re.compile(r"\S+")
_VERSION_WORD = re.compile(r"v?[0-9]+(?:\.[0-9]+)*")
_PACKAGE_COMPONENT = re.compile(r"[A-Za-z_]\w*:[A-Za-z_]\w*")
_X_DISPLAY = re.compile(r"[\w.-]*:[0-9]+(?:\.[0-9]+)?")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_$")


class Identity(NamedTuple):
    user: str
    host: str | None
    display: str | None
    extra: str | None  # vendor data lmstat printed after the display
    tentative: bool = False  # rule 4 might change it once the output's hosts are known


class _Words:
    """The words of the text, keeping their positions so that a run of words is returned
    exactly as printed (a user name may hold two spaces in a row)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = [m.span() for m in _WORD.finditer(text)]

    def join(self, start: int, end: int | None = None) -> str | None:
        spans = self.spans[start:end]
        if not spans:
            return None
        return self.text[spans[0][0]:spans[-1][1]]

    def split_at(self, host: int, display_end: int) -> Identity:
        """user = the words before `host`, display = the words after it up to
        `display_end`, extra = the rest."""
        return Identity(self.join(0, host), self.join(host, host + 1),
                        self.join(host + 1, display_end), self.join(display_end))


def split_identity(who: str, version: str | None,
                   known_hosts: Collection[str] = ()) -> Identity:
    """Split the text before `(vVERSION)`; `known_hosts` are for rule 4."""
    parts = who.split()
    if len(parts) == 3:
        return Identity(parts[0], parts[1], parts[2], None)
    end = len(parts)
    while end > 3 and _is_extra_word(parts[end - 1], version):
        end -= 1
    if end <= 3:
        extra = " ".join(parts[end:]) or None
        return _short(parts, extra) if end < 3 else Identity(*parts[:3], extra)
    words = _Words(who)
    found = (_display_marker(parts, end) or _repeated_host(parts, end)
             or _known_host(parts, end, known_hosts))
    if found is not None:
        return words.split_at(*found)
    return words.split_at(_guessed_host(parts, end), end)._replace(tentative=True)


def _short(parts: list[str], extra: str | None) -> Identity:
    if not parts:
        return Identity("", None, None, extra)
    if len(parts) == 1:
        return Identity(parts[0], None, None, extra)
    if parts[1].startswith(("/", ":")):
        return Identity(parts[0], None, parts[1], extra)  # no host: `tia4108 /dev/pts/1`
    return Identity(parts[0], parts[1], None, extra)


def _is_extra_word(word: str, version: str | None) -> bool:
    if version is not None and word in (version, f"v{version}"):
        return True
    if "=" in word and not word.startswith("="):
        return True  # a component name: feature=test_feature
    if _PACKAGE_COMPONENT.fullmatch(word) is not None:
        return True
    return _VERSION_WORD.fullmatch(word) is not None and "." in word


def _display_marker(parts: list[str], end: int) -> tuple[int, int] | None:
    for index in range(2, end):
        word = parts[index]
        if word.startswith("/dev/") or _X_DISPLAY.fullmatch(word):
            return index - 1, index + 1
    return None


def _repeated_host(parts: list[str], end: int) -> tuple[int, int] | None:
    for index in range(1, end - 1):
        host = parts[index].lower()
        if _looks_like_host(host) and parts[index + 1].lower().startswith(host):
            return index, index + 2
    return None


def _known_host(parts: list[str], end: int, known_hosts: Collection[str]
                ) -> tuple[int, int] | None:
    for index in range(1, end - 1):
        if parts[index] in known_hosts:
            return index, end
    return None


def _guessed_host(parts: list[str], end: int) -> int:
    last = parts[end - 1]
    display_start = end - 2 if last[0].isdigit() or len(last) == 1 else end - 1
    for index in range(display_start - 1, 0, -1):
        if _looks_like_host(parts[index]):
            return index
    return display_start - 1


def _looks_like_host(word: str) -> bool:
    return word[0].isalnum() and _HOST_CHARS.issuperset(word)
