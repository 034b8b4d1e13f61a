"""Wolfram MathLM: `monitorlm SERVER -template T` status through the template lmconsole ships
(config/mathlm-monitorlm.template); a saved output in monitorlm's own text layout is read too.

monitorlm reads its template from a file on the machine it runs on, which for a server
reached over SSH is not this one: the status command writes the template to a temporary
file there first (`sh -c`, as the SSH transport already needs a POSIX shell), runs
monitorlm with it and removes the file. The server's `license` setting names the MathLM
server (a `PORT@` before the host is dropped: monitorlm takes the host only). MathLM has no
command lmconsole offers here to free a seat or to re-read its files.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport

from ..status_only import StatusOnlyAdapter

MARK = "LMCONSOLE-MATHLM"  # what each line of our template begins with

TEMPLATE = "mathlm-monitorlm.template"
# Writes the template ($1) to a temporary file, runs monitorlm ($2) on the server ($3) with
# it, removes the file and keeps monitorlm's exit status.
_WITH_TEMPLATE = ('t=$(mktemp) || exit 1; printf "%s" "$1" > "$t"; "$2" ${3:+"$3"} '
                  '-template "$t"; s=$?; rm -f "$t"; exit $s')


def template_text() -> str:
    """lmconsole's monitorlm template, as shipped in config/."""
    from importlib.resources import files

    return (files("lmconsole.defaults") / TEMPLATE).read_text(encoding="utf-8")


# monitorlm's own text layout (a saved `monitorlm SERVER -format text`)
_TEXT_SIGNS = ("MathLM Version ", "MathLM Server ")


def recognises(text: str) -> int | None:
    """Where in `text` the first line of lmconsole's template, or of monitorlm's own text
    layout, is (its offset), or None."""
    found = [at for sign in (MARK + " ", *_TEXT_SIGNS) if (at := text.find(sign)) >= 0]
    return min(found) if found else None


class MathlmAdapter(StatusOnlyAdapter):
    kind = "mathlm"
    label = "MathLM"
    output_name = "monitorlm"
    status_command = f"monitorlm SERVER -template {TEMPLATE}"
    default_utility = "monitorlm"

    def status_argv(self, server: StatusQuery) -> list[str]:
        host = (server.license or "").rpartition("@")[2]
        return ["sh", "-c", _WITH_TEMPLATE, "sh", template_text(), self.utility(server), host]

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .monitorlm import parse_monitorlm

        return parse_monitorlm(text, name=name, now=now)
