"""The outputs of licence managers lmconsole has no adapter for yet, told by their banners,
so that one given to `snapshot --from-file` is named, not read as an empty FlexLM status."""

from __future__ import annotations

# name -> words its status utility prints near the top
SIGNS: dict[str, tuple[str, ...]] = {}


def first_signs(text: str) -> dict[str, int]:
    """Each manager named in `text`, and the offset of its first sign."""
    found = {}
    for name, signs in SIGNS.items():
        offsets = [at for sign in signs if (at := text.find(sign)) >= 0]
        if offsets:
            found[name] = min(offsets)
    return found
