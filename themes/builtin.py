"""lmconsole's own themes: dark, light and high contrast. Registered with the app by name;
every TCSS rule is written against theme variables ($primary, $panel, $warning...), so a
user's own theme works as well as these."""

from __future__ import annotations

from textual.theme import Theme

DARK = Theme(
    name="lmconsole-dark",
    primary="#3a86c8",
    secondary="#2a5f8f",
    accent="#e0a040",
    warning="#e0a040",
    error="#e05260",
    success="#5cbf75",
    foreground="#dcdfe4",
    background="#16191d",
    surface="#1c2026",
    panel="#262c34",
    dark=True,
)

LIGHT = Theme(
    name="lmconsole-light",
    primary="#1f5f99",
    secondary="#3a86c8",
    accent="#a55d00",
    warning="#a55d00",
    error="#b3261e",
    success="#2e7d32",
    foreground="#1d2329",
    background="#f4f5f7",
    surface="#ffffff",
    panel="#e1e5ea",
    dark=False,
    variables={"footer-key-foreground": "#1f5f99"},
)

HIGH_CONTRAST = Theme(
    name="lmconsole-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#00ffff",
    warning="#ffff00",
    error="#ff5555",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    dark=True,
    variables={
        "block-cursor-background": "#ffff00",
        "block-cursor-foreground": "#000000",
        "block-cursor-blurred-background": "#808000",
        "block-cursor-blurred-foreground": "#000000",
        "footer-key-foreground": "#ffff00",
    },
)

THEMES = (DARK, LIGHT, HIGH_CONTRAST)
DEFAULT_THEME = DARK.name
