"""Everything that talks to the outside world: licence-manager adapters and transports.

Adapters register here by the `manager` name used in the configuration. Adding RLM or LM-X
means adding a package and one entry below; the core does not change.
"""

from __future__ import annotations

from lmconsole.adapter import LicenceManagerAdapter

from .flexlm import FlexlmAdapter

ADAPTERS: dict[str, LicenceManagerAdapter] = {
    FlexlmAdapter.kind: FlexlmAdapter(),
}

# The licence manager of a server whose configuration names none, and of the files a
# headless check reads (check-options, check-license, what-if, snapshot --from-file).
DEFAULT_MANAGER = FlexlmAdapter.kind
