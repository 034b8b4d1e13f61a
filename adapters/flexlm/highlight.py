"""Highlighting of FlexLM options and licence files from our own parsers' tokens.

No tree-sitter grammar exists for these files, so the editor styles each line itself from the
spans computed here: (start, end, kind) per 0-based line, columns 0-based and end exclusive.
The kinds are the editor's (lmconsole.screens.file_styles gives each a colour): comment,
keyword, unknown, type, feature, group, number, value (a setting an administrator may change)
and signed (a licence file's fields covered by the vendor's signature).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from lmconsole.adapter import Span

from .license import LicenseFile, parse_license
from .license_edit import editable_tokens
from .options import (
    OptionsFile,
    Token,
    continues,
    line_content,
    parse_options,
    physical_lines,
)


class _Spans:
    """Spans by 0-based line, clipped to the line's content: a token of a continued line
    never runs past its own physical line; a quoted one continued on the next lines (a long
    SIGN=) gets a span on each."""

    def __init__(self, text: str) -> None:
        self.lines = [line_content(line) for line in physical_lines(text)]
        self.by_line: dict[int, list[Span]] = defaultdict(list)

    def add(self, token: Token | None, kind: str) -> None:
        if token is None or token.line > len(self.lines):
            return
        row, start, rest = token.line - 1, token.column - 1, len(token.text)
        while rest > 0 and row < len(self.lines):
            content = self.lines[row]
            # a continued line joins the next at its `\`, read as one space
            width = len(content.rstrip(" \t")) if continues(content) else len(content)
            end = min(start + rest, width)
            if end > start:
                self.by_line[row].append(Span(start, end, kind))
            if not continues(content):
                break
            rest -= width - start
            row += 1
            if row < len(self.lines):  # from the continuation's first non-blank
                start = len(self.lines[row]) - len(self.lines[row].lstrip(" \t"))
                rest -= start

    def comment(self, line: int) -> None:
        content = self.lines[line - 1]
        start = len(content) - len(content.lstrip())
        self.by_line[line - 1].append(Span(start, len(content), "comment"))


def options_spans(text: str, options: OptionsFile | None = None) -> dict[int, list[Span]]:
    options = options if options is not None else parse_options(text)
    spans = _Spans(text)
    for entry in options.entries:
        if entry.kind == "comment":
            spans.comment(entry.line)
            continue
        if not entry.tokens:
            continue
        spans.add(entry.tokens[0], "keyword" if entry.kind == "directive" else "unknown")
        if entry.kind != "directive":
            continue
        special = {id(t) for t in (entry.feature and entry.feature.token, entry.type_token,
                                   entry.group, entry.value) if t is not None}
        spans.add(entry.feature.token if entry.feature else None, "feature")
        spans.add(entry.type_token, "type")
        spans.add(entry.group, "group")
        spans.add(entry.value, "value")
        if entry.type in ("GROUP", "HOST_GROUP"):
            for name in entry.names:
                spans.add(name, "group")
                special.add(id(name))  # a group named 123 is no number
        for token in entry.tokens[1:]:
            if id(token) not in special and token.text.isdigit():
                spans.add(token, "number")
    return spans.by_line


def license_spans(text: str, license_file: LicenseFile | None = None
                  ) -> dict[int, list[Span]]:
    """Keywords, feature names, the fields an administrator may change (host names, ports,
    paths, lower-case attributes) and the signed rest, dimmed."""
    license_file = license_file if license_file is not None else parse_license(text)
    spans = _Spans(text)
    for entry in license_file.entries:
        if entry.kind == "comment":
            spans.comment(entry.line)
        elif entry.kind == "unknown" and entry.tokens:
            spans.add(entry.tokens[0], "unknown")
        elif entry.tokens:
            spans.add(entry.tokens[0], "keyword")
            for token, kind in _license_kinds(entry.kind, entry.tokens[1:]):
                spans.add(token, kind)
    return spans.by_line


def _license_kinds(keyword: str, args: Iterable[Token]) -> Iterable[tuple[Token, str]]:
    args = tuple(args)
    editable = {id(token) for token in editable_tokens(keyword, args)}
    for index, token in enumerate(args):
        if id(token) in editable:
            yield token, "value"
        elif index == 0 and keyword in ("FEATURE", "INCREMENT", "UPGRADE", "PACKAGE"):
            yield token, "feature"
        else:
            yield token, "signed"
