"""The adapter protocol's file-editing members for a licence manager whose options and
licence files lmconsole does not edit (every manager but FlexLM). The editor is not offered
for such a server; these answer the few callers that ask anyway with the manager's name."""

from __future__ import annotations

from lmconsole.adapter import DaemonOptionsFile, OptionsFileOwner
from lmconsole.model import Pool


class FilesNotEdited:
    label: str  # "LM-X": the manager's name in messages

    def options_language(self, license_text: str | None = None, vendor: str | None = None):
        raise NotImplementedError(f"{self.label} options files are not edited")

    def daemon_options_files(self, license_text: str, license_path: str | None
                             ) -> list[DaemonOptionsFile]:
        return []

    def options_file_owner(self, license_text: str, license_path: str | None,
                           options_path: str, vendor: str | None) -> OptionsFileOwner:
        return OptionsFileOwner(vendor, "--vendor" if vendor else None)

    def license_pools(self, license_text: str) -> dict[str, tuple[Pool, ...]]:
        return {}

    def license_language(self):
        raise NotImplementedError(f"{self.label} licence files are not edited")

    def options_blocks(self):
        raise NotImplementedError(f"{self.label} has no options file to keep blocks in")
