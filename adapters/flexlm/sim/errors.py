"""FLEXlm error codes and texts the simulator prints.

Texts are FlexNet's own short error strings. Minor codes are only for show in real logs;
where no public sample shows the minor code of a message, the value below is our choice
and is marked so.
"""

from __future__ import annotations

from typing import NamedTuple


class FlexError(NamedTuple):
    code: int  # the negative FLEXlm major code
    minor: int
    text: str
    detail: str = ""  # ':errno "strerror"' after the minor, as in (-15,570:111 "...")

    @property
    def tail(self) -> str:
        """`Text. (-major,minor[:errno "strerror"])`."""
        return f"{self.text} ({self.code},{self.minor}{self.detail})"

    @property
    def exit_status(self) -> int:
        """lmutil exits with 256 + the error code, e.g. 241 for -15."""
        return (256 + self.code) & 255


# Checkout denials, as logged by the vendor daemon.
MAXUSERS = FlexError(-4, 342, "Licensed number of users already reached.")
NOFEATURE = FlexError(-5, 346, "No such feature exists.")
EXCLUDED = FlexError(-38, 348, "User/host on EXCLUDE list for feature.")
NOT_INCLUDED = FlexError(-39, 349, "User/host not on INCLUDE list for feature.")  # minor: ours
MAX_EXCEEDED = FlexError(-87, 353, "Checkout exceeds MAX specified in options file.")
RESERVED_FOR_OTHERS = FlexError(-101, 359, "All licenses are reserved for others.")  # minor: ours

# What lmutil reports about the server or an admin request.
CANT_CONNECT = FlexError(-15, 570, "Cannot connect to license server system.",
                         ':111 "Connection refused"')
VENDOR_DOWN = FlexError(-97, 121, "The desired vendor daemon is down.")  # minor: ours
NEVER_CHECKED_OUT = FlexError(-41, 0, "Feature was never checked out.")  # minor: ours
REMOVE_TOO_SOON = FlexError(-64, 0, "lmremove request before the minimum lmremove interval.")
BORROWED_NO_LMDOWN = FlexError(-120, 0, "Cannot lmdown the server when licenses are borrowed.")
NO_LICENCE_FILE = FlexError(-1, 359, "Cannot find license file.", ':2 "No such file or directory"')
BAD_LICENCE_FILE = FlexError(-2, 0, "Invalid license file syntax.")  # minor: ours
