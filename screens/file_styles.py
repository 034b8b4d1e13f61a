"""The colours of the editor's highlighting: a style per span kind, from the app's theme.

The spans themselves come from the adapter's FileLanguage (no tree-sitter grammar exists for
options or licence files); editor.FileArea.get_line applies them.
"""

from __future__ import annotations

from rich.style import Style
from textual.theme import Theme

KINDS = ("comment", "keyword", "unknown", "type", "feature", "group", "number", "value",
         "signed")


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
        "signed": Style(color=muted, dim=True),  # a licence file's fields nobody may edit
    }


def diagnostic_style(theme: Theme, severity: str) -> Style:
    color = {"error": theme.error, "warning": theme.warning}.get(severity) or theme.primary
    return Style(underline=True, color=color, bold=severity == "error")
