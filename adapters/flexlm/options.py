"""The FlexLM options file as an editor needs it: a lossless model of every line.

`parse_options(text)` splits the text into entries (directives, comments, blank lines); each
keeps its exact source text, so `format_options(parse_options(text)) == text` for any input
(CRLF, a missing final newline, TABs, continuation lines). Directives carry their tokens with
line and column, the keyword, feature spec, type, names and numbers. Nothing here raises on
bad input: a line that cannot be read becomes a directive of kind "unknown", and shape
problems (a missing argument, a count that is not a number) are listed on the directive for
the validator to report.

The lexing helpers (physical lines, continuation joining, tokens with positions) are shared
with the licence-file parser, which follows the same `\\` continuation rule.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from lmconsole.numbers import COUNT_MAX, is_ascii_number, read_int, shortened

TYPES = ("USER", "HOST", "DISPLAY", "INTERNET", "PROJECT", "GROUP", "HOST_GROUP")
NOLOG_EVENTS = ("IN", "OUT", "DENIED", "QUEUED", "UNSUPPORTED", "UPGRADE", "DEQUEUED")
ALIASES = {"USER_GROUP": "GROUP"}

# The shape of each keyword's arguments; see the "Keyword reference" in flexlm-admin.md §1.4.
SHAPES = {
    **dict.fromkeys(("INCLUDE", "EXCLUDE", "INCLUDE_BORROW", "EXCLUDE_BORROW",
                     "INCLUDE_ENTITLEMENT", "EXCLUDE_ENTITLEMENT"), "feature_type_name"),
    # INCLUDEALL_BORROW/EXCLUDEALL_BORROW: not in the admin guide, but read by the vendor
    # daemon (ls_get_opts.c of FlexLM 9.2) as the *ALL forms of INCLUDE_BORROW/EXCLUDE_BORROW.
    **dict.fromkeys(("INCLUDEALL", "EXCLUDEALL", "INCLUDEALL_ENTITLEMENT",
                     "EXCLUDEALL_ENTITLEMENT", "INCLUDEALL_BORROW", "EXCLUDEALL_BORROW"),
                    "type_name"),
    **dict.fromkeys(("RESERVE", "MAX"), "count_feature_type_name"),
    **dict.fromkeys(("MAX_BORROW_HOURS", "MAX_OVERDRAFT", "BORROW_LOWWATER", "LINGER",
                     "TIMEOUT", "ACTIVATION_LOWWATER", "ACTIVATION_EXPIRY_DAYS"),
                    "feature_number"),
    **dict.fromkeys(("TIMEOUTALL", "DAEMON_SELECT_TIMEOUT", "MAX_CONNECTIONS"), "number"),
    **dict.fromkeys(("GROUP", "HOST_GROUP"), "group"),
    **dict.fromkeys(("GROUPCASEINSENSITIVE", "AUTOMATIC_REREAD", "FQDN_MATCHING"), "switch"),
    "NOLOG": "nolog",
    **dict.fromkeys(("REPORTLOG", "DEBUGLOG"), "log"),
}
KEYWORDS = tuple(SHAPES) + tuple(ALIASES)
SWITCH_VALUES = {"GROUPCASEINSENSITIVE": ("ON", "OFF"), "AUTOMATIC_REREAD": ("ON", "OFF"),
                  "FQDN_MATCHING": ("EXACT", "LENIENT")}

# --- lexing, shared with license.py -------------------------------------------------------

_PHYSICAL_LINE = re.compile(r"[^\n]*\n|[^\n]+")
# A run of non-space characters in which "..." may hold spaces; an unclosed quote runs to
# the end of the logical line.
_TOKEN = re.compile(r'(?:[^\s"]|"[^"]*(?:"|$))+')


class Token(NamedTuple):
    text: str
    line: int  # 1-based
    column: int  # 1-based, on that physical line


class Problem(NamedTuple):
    """A shape problem the parser saw; the validator turns it into a coded diagnostic."""

    kind: str
    line: int
    column: int
    message: str


def physical_lines(text: str) -> list[str]:
    """The lines of `text`, each with its own line ending; "".join() gives `text` back."""
    return _PHYSICAL_LINE.findall(text)


def line_content(line: str) -> str:
    """A physical line without its line ending (\\r\\n, \\n or a final lone \\r)."""
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\n", "\r")):
        return line[:-1]
    return line


def continues(content: str) -> bool:
    return content.rstrip(" \t").endswith("\\")


class LogicalLine:
    """Physical lines joined at their `\\` continuations, with a map back to line/column."""

    def __init__(self, first_line: int, contents: list[str]) -> None:
        parts: list[str] = []
        self._starts: list[int] = []
        self._lines: list[int] = []
        offset = 0
        for index, content in enumerate(contents):
            if continues(content):
                content = content.rstrip(" \t")[:-1] + " "
            self._starts.append(offset)
            self._lines.append(first_line + index)
            parts.append(content)
            offset += len(content)
        self.text = "".join(parts)

    def position(self, offset: int) -> tuple[int, int]:
        index = max(bisect_right(self._starts, offset) - 1, 0)
        return self._lines[index], offset - self._starts[index] + 1

    def tokens(self) -> tuple[Token, ...]:
        return tuple(Token(match.group(), *self.position(match.start()))
                     for match in _TOKEN.finditer(self.text))


def unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text.lstrip('"') if text.startswith('"') else text


# --- the model ----------------------------------------------------------------------------


class FeatureSpec(NamedTuple):
    """`MATLAB`, `f1:VERSION=2.0` or `"MATLAB asset_info=220668"`."""

    name: str
    key: str | None  # the qualifier's keyword as written, e.g. "asset_info"
    value: str | None
    quoted: bool
    token: Token

    @property
    def qualified(self) -> bool:
        return self.key is not None


@dataclass(frozen=True, slots=True)
class Directive:
    """One entry of the file: a directive, a comment or a blank line, with its exact text."""

    kind: str  # "directive", "comment", "blank", "unknown"
    text: str  # the source text, line endings and continuations included
    line: int
    end_line: int
    tokens: tuple[Token, ...] = ()
    keyword: str | None = None  # upper case, aliases resolved (USER_GROUP -> GROUP)
    number: int | None = None
    feature: FeatureSpec | None = None
    type: str | None = None  # upper case as written; may be unknown
    type_token: Token | None = None
    names: tuple[Token, ...] = ()  # everything after the type; members of a GROUP
    group: Token | None = None  # the group a GROUP / HOST_GROUP line defines
    value: Token | None = None  # ON/OFF, exact/lenient, the NOLOG event, the log path
    problems: tuple[Problem, ...] = ()

    @property
    def keyword_token(self) -> Token | None:
        return self.tokens[0] if self.tokens and self.kind != "comment" else None

    @property
    def logical_text(self) -> str:
        contents = [line_content(line) for line in physical_lines(self.text)]
        return LogicalLine(self.line, contents).text


@dataclass(frozen=True, slots=True)
class OptionsFile:
    entries: tuple[Directive, ...]

    @property
    def directives(self) -> tuple[Directive, ...]:
        return tuple(e for e in self.entries if e.kind in ("directive", "unknown"))

    def with_keyword(self, *keywords: str) -> list[Directive]:
        return [d for d in self.entries if d.keyword in keywords and d.kind == "directive"]


def format_options(options: OptionsFile) -> str:
    return "".join(entry.text for entry in options.entries)


def parse_options(text: str) -> OptionsFile:
    lines = physical_lines(text)
    entries: list[Directive] = []
    index = 0
    while index < len(lines):
        start = index
        content = line_content(lines[index])
        stripped = content.strip()
        if not stripped:
            entries.append(Directive("blank", lines[index], index + 1, index + 1))
        elif stripped.startswith("#"):
            entries.append(Directive("comment", lines[index], index + 1, index + 1))
        else:
            contents = [content]
            while continues(contents[-1]) and index + 1 < len(lines):
                index += 1
                contents.append(line_content(lines[index]))
            source = "".join(lines[start:index + 1])
            entries.append(_directive(source, LogicalLine(start + 1, contents), index + 1))
        index += 1
    return OptionsFile(tuple(entries))


def _directive(source: str, logical: LogicalLine, end_line: int) -> Directive:
    tokens = logical.tokens()
    if not tokens:  # a lone "\" joined to a blank line
        return Directive("unknown", source, logical.position(0)[0], end_line)
    first = tokens[0]
    keyword = ALIASES.get(first.text.upper(), first.text.upper())
    base = dict(text=source, line=first.line, end_line=end_line, tokens=tokens)
    shape = SHAPES.get(keyword)
    if shape is None:
        return Directive("unknown", **base)
    fields, problems = _read_shape(shape, keyword, tokens)
    return Directive("directive", keyword=keyword, problems=tuple(problems), **base, **fields)


def _read_shape(shape: str, keyword: str, tokens: tuple[Token, ...]):
    args = list(tokens[1:])
    fields: dict = {}
    problems: list[Problem] = []
    keyword_token = tokens[0]

    def missing(what: str) -> None:
        last = args[-1] if args else keyword_token
        problems.append(Problem("missing", last.line, last.column,
                                f"{keyword} needs {what}"))

    def take_number() -> bool:
        if not args:
            missing("a number")
            return False
        token = args.pop(0)
        fields["number"] = _int(token.text)
        if fields["number"] is None:
            problems.append(Problem("number", token.line, token.column,
                                    _not_a_count(keyword, token.text)))
        return True

    def take_feature() -> bool:
        if not args:
            missing("a feature")
            return False
        fields["feature"] = parse_feature_spec(args.pop(0))
        return True

    def take_type_and_names() -> None:
        if not args:
            missing("a type (USER, HOST, GROUP ...) and a name")
            return
        type_token = args.pop(0)
        fields["type"], fields["type_token"] = type_token.text.upper(), type_token
        if not args:
            missing(f"a name after {type_token.text}")
        fields["names"] = tuple(args)
        args.clear()

    if shape == "count_feature_type_name":
        if take_number() and take_feature():
            take_type_and_names()
    elif shape == "feature_type_name":
        if take_feature():
            take_type_and_names()
    elif shape == "type_name":
        take_type_and_names()
    elif shape == "feature_number":
        if take_feature():
            take_number()
    elif shape == "number":
        take_number()
    elif shape == "group":
        if args:
            fields["group"] = args.pop(0)
            fields["names"] = tuple(args)
            args.clear()
        else:
            missing("a group name")
    elif shape in ("switch", "nolog"):
        if args:
            fields["value"] = args.pop(0)
            allowed = NOLOG_EVENTS if shape == "nolog" else SWITCH_VALUES[keyword]
            if fields["value"].text.upper() not in allowed:
                value = fields["value"]
                problems.append(Problem("value", value.line, value.column,
                                        f"{keyword} takes one of {', '.join(allowed)}, "
                                        f"not {value.text!r}"))
        else:
            missing("a value")
    elif shape == "log":
        if args:
            fields["value"] = args.pop(0)
            args.clear()  # the flags after the path (HIDE_USER, AUTO_ROLLOVER n ...)
        else:
            missing("a file path")
    if args:
        problems.append(Problem("extra", args[0].line, args[0].column,
                                f"{keyword}: unexpected {' '.join(a.text for a in args)!r}"))
    return fields, problems


def parse_feature_spec(token: Token) -> FeatureSpec:
    """As the vendor daemon reads it (parse_featspec in FlexLM's ls_get_opts.c): the name ends
    at the first `:` or space that has a `=` after it, inside quotes or not, so
    `"SIMULINK:asset_info=1"` and `"SIMULINK asset_info=1"` both qualify SIMULINK."""
    quoted = token.text.startswith('"')
    text = unquote(token.text).strip() if quoted else token.text
    cut = next((i for i, c in enumerate(text) if c in ": \t" and "=" in text[i:]), None)
    if cut is None:
        return FeatureSpec(text, None, None, quoted, token)
    key, _, value = text[cut + 1:].partition("=")
    return FeatureSpec(text[:cut], key.strip(), unquote(value.strip()), quoted, token)


def _not_a_count(keyword: str, text: str) -> str:
    if is_ascii_number(text):
        return f"{keyword}: {shortened(text)} is out of range (0 to {COUNT_MAX:,})"
    return f"{keyword}: {shortened(text)} is not a whole number"


def _int(text: str) -> int | None:
    return read_int(text, COUNT_MAX)
