"""Everything that talks to the outside world: licence-manager adapters and transports.

Adapters register here by the `manager` name used in the configuration. Adding RLM or LM-X
means adding a package and one entry below; the core does not change.
"""

from __future__ import annotations

from typing import NamedTuple

from lmconsole.adapter import LicenceManagerAdapter

from . import flexlm, rlm, unsupported
from .dsls import DslsAdapter
from .dsls import recognises as recognises_dsls
from .flexlm import FlexlmAdapter
from .rlm import RlmAdapter
from .rms import RmsAdapter
from .rms import recognises as recognises_rms

ADAPTERS: dict[str, LicenceManagerAdapter] = {
    FlexlmAdapter.kind: FlexlmAdapter(),
    RlmAdapter.kind: RlmAdapter(),
    DslsAdapter.kind: DslsAdapter(),
    RmsAdapter.kind: RmsAdapter(),
}

# The licence manager of a server whose configuration names none, and of the files a
# headless check reads (check-options, check-license, what-if).
DEFAULT_MANAGER = FlexlmAdapter.kind

_NAMES = {FlexlmAdapter.kind: "FlexLM", RlmAdapter.kind: "RLM"}
_NAMES[DslsAdapter.kind] = "DSLS"
_NAMES[RmsAdapter.kind] = "Sentinel RMS"
_RECOGNISERS = {FlexlmAdapter.kind: flexlm.recognises, RlmAdapter.kind: rlm.recognises}
_RECOGNISERS[DslsAdapter.kind] = recognises_dsls
_RECOGNISERS[RmsAdapter.kind] = recognises_rms


class Detected(NamedTuple):
    kind: str | None  # the key of its adapter in ADAPTERS; None: no adapter reads it yet
    name: str  # "FlexLM", "RLM", "LM-X" ...


def detect_manager(text: str) -> Detected | None:
    """The licence manager whose status utility printed `text`: the one whose own words come
    first in it (a capture may hold a shell prompt or another tool's lines above). None: no
    manager's words at all."""
    offsets: dict[Detected, int] = {}
    for kind, recognises in _RECOGNISERS.items():
        if (at := recognises(text)) is not None:
            offsets[Detected(kind, _NAMES[kind])] = at
    for name, at in unsupported.first_signs(text).items():
        offsets[Detected(None, name)] = at
    return min(offsets, key=offsets.__getitem__) if offsets else None
