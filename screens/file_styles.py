"""Syntax highlighting of FlexLM options files from our own parser's tokens.

No tree-sitter grammar exists for options files, so the editor's TextArea styles each line
itself (see editor.OptionsArea.get_line) from the spans computed here: (start, end, kind) per
0-based line, columns 0-based and end exclusive. The colours come from the app's theme.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, NamedTuple

from rich.style import Style
from textual.theme import Theme

if TYPE_CHECKING:  # screens do not import an adapter when they are loaded
    from lmconsole.adapters.flexlm.options import OptionsFile, Token

KINDS = ("comment", "keyword", "unknown", "type", "feature", "group", "number", "value")


class Span(NamedTuple):
    start: int
    end: int
    kind: str


def highlight_spans(text: str, options: OptionsFile | None = None) -> dict[int, list[Span]]:
    from lmconsole.adapters.flexlm.options import line_content, parse_options, physical_lines

    options = options if options is not None else parse_options(text)
    lines = [line_content(line) for line in physical_lines(text)]
    spans: dict[int, list[Span]] = defaultdict(list)

    def add(token: Token | None, kind: str) -> None:
        if token is None or token.line > len(lines):
            return
        start = token.column - 1
        end = min(start + len(token.text), len(lines[token.line - 1]))
        if end > start:
            spans[token.line - 1].append(Span(start, end, kind))

    for entry in options.entries:
        if entry.kind == "comment":
            content = lines[entry.line - 1]
            start = len(content) - len(content.lstrip())
            spans[entry.line - 1].append(Span(start, len(content), "comment"))
            continue
        if not entry.tokens:
            continue
        add(entry.tokens[0], "keyword" if entry.kind == "directive" else "unknown")
        if entry.kind != "directive":
            continue
        special = {id(t) for t in (entry.feature and entry.feature.token, entry.type_token,
                                   entry.group, entry.value) if t is not None}
        add(entry.feature.token if entry.feature else None, "feature")
        add(entry.type_token, "type")
        add(entry.group, "group")
        add(entry.value, "value")
        names_are_groups = entry.type in ("GROUP", "HOST_GROUP")
        for name in entry.names:
            if names_are_groups:
                add(name, "group")
        for token in entry.tokens[1:]:
            if id(token) not in special and token.text.isdigit():
                add(token, "number")
    return spans


def span_styles(theme: Theme) -> dict[str, Style]:
    """A style per span kind, from the theme's colours (a user's theme just works)."""
    muted = theme.foreground or "grey50"
    return {
        "comment": Style(color=muted, dim=True, italic=True),
        "keyword": Style(color=theme.accent or theme.primary, bold=True),
        "unknown": Style(color=theme.error, bold=True),
        "type": Style(color=theme.secondary or theme.primary),
        "feature": Style(color=theme.success or theme.primary, bold=True),
        "group": Style(color=theme.warning or theme.primary),
        "number": Style(color=theme.primary),
        "value": Style(color=theme.primary, italic=True),
    }


def diagnostic_style(theme: Theme, severity: str) -> Style:
    color = {"error": theme.error, "warning": theme.warning}.get(severity) or theme.primary
    return Style(underline=True, color=color, bold=severity == "error")
