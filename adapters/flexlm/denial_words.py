"""FLEXlm's denial codes in the few words the console shows for a denial."""

from __future__ import annotations

# The short words for a denial, by FLEXlm major error code.
_DENIAL_WORDS = {
    -1: "no licence file",
    -3: "no server for feature",
    -4: "pool full",
    -5: "no such feature",
    -8: "bad licence key",
    -9: "invalid host",
    -10: "expired",
    -15: "server unreachable",
    -18: "not supported by server",
    -21: "licence too old for version",
    -24: "others queued",
    -25: "version not supported",
    -31: "not yet valid",
    -34: "client clock off",
    -35: "queued",
    -38: "on EXCLUDE list",
    -39: "not on INCLUDE list",
    -41: "never checked out",
    -87: "over MAX",
    -96: "server down",
    -97: "vendor daemon down",
    -101: "reserved for others",
}


def denial_reason_words(code: str | None, reason: str | None) -> str:
    """A few words for a denial, by its FLEXlm major code (`"-4,342"` -> "pool full");
    FlexLM's own text (without its final full stop) when the code is unknown; "denied"
    when there is neither."""
    if code:
        major = code.split(",", 1)[0].split(":", 1)[0].strip()
        if major.startswith("-") and major[1:].isdigit() and major.isascii() and len(major) < 8:
            words = _DENIAL_WORDS.get(int(major))
            if words is not None:
                return words
    return (reason or "").strip().rstrip(".") or "denied"
