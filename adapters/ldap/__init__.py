"""The directory client (ldap3): connecting safely (connection) and reading users and
groups (reader). Shared by every licence manager, like the transports."""

from __future__ import annotations

from .connection import DirectoryError, bind_secret, connect
from .reader import SearchCounts, read_directory

__all__ = ["DirectoryError", "SearchCounts", "bind_secret", "connect", "read_directory"]
