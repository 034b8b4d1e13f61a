"""Everything that talks to the outside world: licence-manager adapters and transports.

Adapters register here by the `manager` name used in the configuration. Adding RLM or LM-X
means adding a package and one entry below; the core does not change.
"""

from __future__ import annotations

from typing import NamedTuple

from lmconsole.adapter import LicenceManagerAdapter

from . import betalm, dsls, flexlm, hasp, lmx, lsdyna, lum, mathlm, olicense, rlm, rms, unsupported
from .betalm import BetalmAdapter
from .dsls import DslsAdapter
from .flexlm import FlexlmAdapter
from .hasp import HaspAdapter
from .lmx import LmxAdapter
from .lsdyna import LsdynaAdapter
from .lum import LumAdapter
from .mathlm import MathlmAdapter
from .olicense import OlicenseAdapter
from .rlm import RlmAdapter
from .rms import RmsAdapter

ADAPTERS: dict[str, LicenceManagerAdapter] = {
    FlexlmAdapter.kind: FlexlmAdapter(),
    RlmAdapter.kind: RlmAdapter(),
    LmxAdapter.kind: LmxAdapter(),
    LsdynaAdapter.kind: LsdynaAdapter(),
    OlicenseAdapter.kind: OlicenseAdapter(),
    BetalmAdapter.kind: BetalmAdapter(),
    MathlmAdapter.kind: MathlmAdapter(),
    LumAdapter.kind: LumAdapter(),
    HaspAdapter.kind: HaspAdapter(),
    DslsAdapter.kind: DslsAdapter(),
    RmsAdapter.kind: RmsAdapter(),
}

# The licence manager of a server whose configuration names none, and of the files a
# headless check reads (check-options, check-license, what-if).
DEFAULT_MANAGER = FlexlmAdapter.kind

_NAMES = {FlexlmAdapter.kind: "FlexLM", RlmAdapter.kind: "RLM"}
_NAMES[LmxAdapter.kind] = "LM-X"
_NAMES[LsdynaAdapter.kind] = LsdynaAdapter.label
_NAMES[OlicenseAdapter.kind] = OlicenseAdapter.label
_NAMES[BetalmAdapter.kind] = BetalmAdapter.label
_NAMES[MathlmAdapter.kind] = MathlmAdapter.label
_NAMES[LumAdapter.kind] = LumAdapter.label
_NAMES[HaspAdapter.kind] = HaspAdapter.label
_NAMES[DslsAdapter.kind] = "DSLS"
_NAMES[RmsAdapter.kind] = "Sentinel RMS"
_RECOGNISERS = {FlexlmAdapter.kind: flexlm.recognises, RlmAdapter.kind: rlm.recognises}
_RECOGNISERS[LmxAdapter.kind] = lmx.recognises
_RECOGNISERS[LsdynaAdapter.kind] = lsdyna.recognises
_RECOGNISERS[OlicenseAdapter.kind] = olicense.recognises
_RECOGNISERS[BetalmAdapter.kind] = betalm.recognises
_RECOGNISERS[MathlmAdapter.kind] = mathlm.recognises
_RECOGNISERS[LumAdapter.kind] = lum.recognises
_RECOGNISERS[HaspAdapter.kind] = hasp.recognises
_RECOGNISERS[DslsAdapter.kind] = dsls.recognises
_RECOGNISERS[RmsAdapter.kind] = rms.recognises


class Detected(NamedTuple):
    kind: str | None  # the key of its adapter in ADAPTERS; None: no adapter reads it yet
    name: str  # "FlexLM", "RLM", "LM-X" ...


# The head of a text searched first for managers' words: a sign found there, short of its last
# LOOKAHEAD characters (which some recognisers read past a sign to confirm it), comes before any
# sign further on, so the whole text need not be searched (five megabytes of lmstat: 85 ms).
HEAD_CHARS = 1 << 16
LOOKAHEAD = 1 << 12


def detect_manager(text: str) -> Detected | None:
    """The licence manager whose status utility printed `text`: the one whose own words come
    first in it (a capture may hold a shell prompt or another tool's lines above). None: no
    manager's words at all."""
    if len(text) > HEAD_CHARS:
        found = _first_manager(text[:HEAD_CHARS])
        if found is not None and found[1] < HEAD_CHARS - LOOKAHEAD:
            return found[0]
    found = _first_manager(text)
    return found[0] if found is not None else None


def _first_manager(text: str) -> tuple[Detected, int] | None:
    """The manager whose words come first in `text`, and where."""
    offsets: dict[Detected, int] = {}
    for kind, recognises in _RECOGNISERS.items():
        if (at := recognises(text)) is not None:
            offsets[Detected(kind, _NAMES[kind])] = at
    for name, at in unsupported.first_signs(text).items():
        offsets[Detected(None, name)] = at
    if not offsets:
        return None
    first = min(offsets, key=offsets.__getitem__)
    return first, offsets[first]
