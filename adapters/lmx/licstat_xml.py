"""Parser for `lmxendutil -licstatxml`: the same status as `-licstat`, in XML, with the live
count of denied requests per feature.

The document, below the utility's banner lines:

    <LM-X>
      <LICENSE_PATH TYPE="NETWORK" HOST="6200@server1" SERVER_VERSION="5.5"
                    UPTIME="8 hour(s) 38 min(s) 33 sec(s)" STATUS="SUCCESS">
        <FEATURE NAME="HyperWorks" VERSION="22.0" VENDOR="ALTAIR" START="2020-04-25"
                 END="2025-12-31" USED_LICENSES="655000" TOTAL_LICENSES="1150000"
                 DENIED_LICENSES="0" SHARE="CUSTOM ,VIRTUAL">
          <USER NAME="user1" HOST="client1" IP="10.0.0.8" USED_LICENSES="21000"
                LOGIN_TIME="2022-02-01 15:12" CHECKOUT_TIME="2022-02-01 15:12"
                SHARE_CUSTOM="user1:client1"/>
        </FEATURE>
      </LICENSE_PATH>
    </LM-X>

A USER may sit in a USED element under its FEATURE (older versions); a borrowed seat has a
BORROW_EXPIRE_TIME instead of its login and checkout times. A LICENSE_PATH whose STATUS is
not SUCCESS is a server that did not answer. Read with expat, element by element, so that
a document cut short still gives what came before the cut (and says where); a document that
declares entities is not expanded but refused, a diagnostic. Never raises.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from xml.parsers import expat

from lmconsole.adapter import StatusReport
from lmconsole.model import Diagnostic
from lmconsole.numbers import COUNT_MAX, PORT_MAX, is_ascii_number, read_int

from .build import FeatureBlock, Seat, ServerBlock, build_server
from .dates import BadDate, known_moment, parse_day

_KNOWN = {"LM-X", "LICENSE_PATH", "FEATURE", "USER", "USED"}
_SUCCESS = "SUCCESS"
# A seat's SHARE_* attributes in the words of the text form's `Shared on ...` lines.
_SHARE_WORDS = {"CUSTOM": "custom string", "USERNAME": "username", "HOSTNAME": "hostname",
                "USER": "username", "HOST": "hostname"}


class _Entities(Exception):
    pass


def looks_like_xml(text: str) -> bool:
    """Whether an lmxendutil output is its XML form (`<LM-X>` or a LICENSE_PATH element)."""
    return "<LM-X" in text or "<LICENSE_PATH" in text


def parse_licstat_xml(text: str, *, name: str | None = None, tz: tzinfo = UTC,
                      now: datetime | None = None) -> StatusReport:
    """Parse one `lmxendutil -licstatxml` output (banner lines above the document are read
    past); `name`, `tz` and `now` as for the text form."""
    return _XmlParser(name, tz, now or datetime.now(tz)).parse(text)


class _XmlParser:
    def __init__(self, name: str | None, tz: tzinfo, now: datetime) -> None:
        self.name = name
        self.tz = tz
        self.now = now
        self.blocks: list[ServerBlock] = []
        self.feature: FeatureBlock | None = None
        self.stack: list[str] = []
        self.unknown: set[str] = set()
        self.diagnostics: list[Diagnostic] = []
        self.offset = 0  # lines above the document
        self.moments: dict[str, datetime | None] = {}  # a large output repeats few minutes
        self.expat = None

    def parse(self, text: str) -> StatusReport:
        text = text.lstrip("\ufeff")
        start = _document_start(text)
        self.offset = text.count("\n", 0, start)
        truncated = self.read(text[start:])
        servers = (build_server(self.blocks, name=self.name, now=self.now),) if self.blocks else ()
        recognised = bool(self.blocks) or "<LM-X" in text
        return StatusReport(servers=servers, diagnostics=tuple(self.diagnostics),
                            reported_at=None, recognised=recognised, truncated_at=truncated)

    def read(self, document: str) -> int | None:
        """Feed the document to expat; the line where it breaks off, if it does."""
        parser = self.expat = expat.ParserCreate(encoding="UTF-8")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.EntityDeclHandler = _refuse_entities
        try:
            parser.Parse(document, True)
        except _Entities:
            self.diagnose(parser.CurrentLineNumber, "XML declares entities: not read", "")
            return None
        except expat.ExpatError as error:
            line = self.offset + error.lineno
            self.diagnose(line, f"XML cut short or malformed ({expat.ErrorString(error.code)})",
                          _line_at(document, error.lineno))
            return line
        except (ValueError, OverflowError, RecursionError) as error:  # expat's own limits
            self.diagnose(self.offset + 1, f"XML not read ({type(error).__name__})", "")
            return self.offset + 1
        return None

    # ---- elements ----------------------------------------------------------------------------

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.stack.append(tag)
        upper = tag.upper()
        if upper == "LICENSE_PATH":
            self.server_path(attributes)
        elif upper == "FEATURE":
            self.start_feature(attributes)
        elif upper == "USER":
            self.seat(attributes)
        elif upper not in _KNOWN and upper not in self.unknown:
            self.unknown.add(upper)
            self.diagnose(self.line(), "unknown XML element", f"<{tag}>"[:120])

    def end(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()
        if tag.upper() == "FEATURE":
            self.feature = None

    def server_path(self, attributes: dict[str, str]) -> None:
        spec = _get(attributes, "HOST") or ""
        port_text, at, host = spec.partition("@")
        port = None
        if at:
            port = read_int(port_text, PORT_MAX)
            if port is None:
                self.diagnose(self.line(), "port is not a number", spec)
        else:
            host = spec
        block = ServerBlock(host or None, port, self.line(),
                            version=_get(attributes, "SERVER_VERSION"),
                            uptime=_get(attributes, "UPTIME"))
        status = _get(attributes, "STATUS")
        if status is not None and status.upper() != _SUCCESS:
            message = _get(attributes, "MESSAGE") or _get(attributes, "ERROR")
            block.error = f"{status}: {message}" if message else status
        self.blocks.append(block)

    def start_feature(self, attributes: dict[str, str]) -> None:
        if not self.blocks:
            self.blocks.append(ServerBlock(None, None, self.line()))
        feature = FeatureBlock(_get(attributes, "NAME") or "", _get(attributes, "VERSION"),
                               _get(attributes, "VENDOR"), self.line())
        if not feature.name:
            self.diagnose(self.line(), "feature without a name", "<FEATURE>")
        feature.start = self.day(_get(attributes, "START"), "start date")
        feature.expiry = self.day(_get(attributes, "END"), "expiry date")
        feature.key_type = _get(attributes, "KEY_TYPE") or _get(attributes, "TYPE")
        share = _get(attributes, "SHARE")
        feature.sharing = " ".join(share.replace(",", " ").split()) if share else None
        used, total = _get(attributes, "USED_LICENSES"), _get(attributes, "TOTAL_LICENSES")
        feature.counted = used is not None or total is not None
        feature.in_use = self.count(used, "licences in use")
        feature.issued = self.count(total, "licence count")
        feature.denied = self.count(_get(attributes, "DENIED_LICENSES"), "denied count")
        self.blocks[-1].features.append(feature)
        self.feature = feature

    def seat(self, attributes: dict[str, str]) -> None:
        if self.feature is None:
            self.diagnose(self.line(), "USER outside a FEATURE", "<USER>")
            return
        count = self.count(_get(attributes, "USED_LICENSES") or "1", "licence count")
        if count is None:
            return  # said so; a seat of unknown size is no seat
        sharing = [f"{_SHARE_WORDS.get(key[6:].upper(), key[6:].lower())}: {value}"
                   for key, value in attributes.items()
                   if key.upper().startswith("SHARE_") and value]
        seat = Seat(_get(attributes, "NAME") or "", _get(attributes, "HOST"),
                    _get(attributes, "IP"), count, self.line(),
                    login=self.moment(_get(attributes, "LOGIN_TIME"), "login time"),
                    checkout=self.moment(_get(attributes, "CHECKOUT_TIME"), "checkout time"),
                    sharing=", ".join(sharing) or None)
        borrow = _get(attributes, "BORROW_EXPIRE_TIME")
        if borrow is not None:
            seat.borrow_expiry = self.moment(borrow, "borrow expiry time") or self.now
        self.feature.seats.append(seat)

    # ---- values ------------------------------------------------------------------------------

    def count(self, text: str | None, what: str) -> int | None:
        if text is None:
            return None
        value = read_int(text.strip(), COUNT_MAX)
        if value is None:
            self.diagnose(self.line(), f"{what} out of range (more than {COUNT_MAX:,})"
                          if is_ascii_number(text.strip()) else f"{what} is not a number",
                          text[:120])
        return value

    def day(self, text: str | None, what: str):
        if text is None:
            return None
        try:
            return parse_day(text)
        except BadDate:
            self.diagnose(self.line(), f"unreadable {what}", text[:120])
            return None

    def moment(self, text: str | None, what: str) -> datetime | None:
        if text is None:
            return None
        moment = known_moment(text, self.tz, self.moments)
        if moment is None:
            self.diagnose(self.line(), f"unreadable {what}", text[:120])
        return moment

    def line(self) -> int:
        return self.offset + (self.expat.CurrentLineNumber if self.expat else 1)

    def diagnose(self, number: int, message: str, text: str) -> None:
        self.diagnostics.append(Diagnostic(number, message, text, self.name))


def _get(attributes: dict[str, str], key: str) -> str | None:
    value = attributes.get(key)
    if value is None:  # attribute names as another version may case them
        value = next((v for k, v in attributes.items() if k.upper() == key), None)
    return value.strip() if value is not None else None


def _document_start(text: str) -> int:
    """Where the XML begins: its declaration, else its first element (the banner and
    copyright lines above are the utility's, not the document's)."""
    found = [at for marker in ("<?xml", "<LM-X", "<LICENSE_PATH") if (at := text.find(marker)) >= 0]
    return min(found) if found else 0


def _line_at(document: str, number: int) -> str:
    lines = document.splitlines()
    return lines[number - 1][:120] if 0 < number <= len(lines) else ""


def _refuse_entities(*_args) -> None:
    raise _Entities
