"""Reading what a user hands to a headless command: a file path, or `-` for standard input.

Every failure is an InputError whose message names the input and says what is wrong; the
CLI prints it and exits 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lmconsole.transport import BinaryInputError, decode_output


class InputError(Exception):
    """Input that cannot be used (exit 2). The message names the input."""


def read_text_input(path: str, expected: str) -> tuple[str, str]:
    """(text, label) of the file at `path` (`-`: standard input). `expected` names what it
    should hold, for the messages: "an lmstat output", "an options file"."""
    label = "<stdin>" if path == "-" else path
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{label}: is a directory, not {expected}") from None
    except OSError as error:
        raise InputError(f"{label}: cannot read: {error.strerror or error}") from None
    try:
        return decode_output(data), label
    except BinaryInputError:
        raise InputError(f"{label}: binary file (contains NUL bytes), not {expected}") from None
