"""Alerts told by a real hook script and by e-mail to a real SMTP server on 127.0.0.1
(aiosmtpd, STARTTLS with a throwaway certificate, AUTH only after it), started here."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
import ssl
import stat
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lmconsole.alerts.delivery import Deliveries, DeliverySettings, EmailSettings
from lmconsole.config import ConfigError, parse_config

from .alerting import Driven


@pytest.fixture(scope="module")
def changes():
    """A seat pool filling and emptying: fired, then cleared."""
    office = Driven("architecture", [{"name": "full", "kind": "free_seats", "for": 0,
                                      "clear": 1, "clear_for": 0, "severity": "critical",
                                      "features": ["3dsMax"]}])
    seats = [office.take(user, "3dsMax") for user in ("a", "b")]
    office.step()
    office.sim.checkin(seats[0])
    office.step()
    assert [c.change for c in office.changes] == ["fired", "cleared"]
    return office.changes


def deliver(settings: DeliverySettings, changes, env=None) -> list[str]:
    said: list[str] = []

    async def run() -> None:
        deliveries = Deliveries(settings, said.append, env=env or {})
        deliveries.start()
        deliveries.tell(changes)
        await deliveries.stop()

    asyncio.run(run())
    return said


def script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


# ---- the hook -------------------------------------------------------------------------------


def test_the_hook_gets_each_change_as_json_on_stdin(tmp_path, changes):
    out = tmp_path / "told"
    hook = script(tmp_path / "hook", f'cat >> {out}\necho "$LMCONSOLE_ALERT_CHANGE '
                                     f'$LMCONSOLE_ALERT_SEVERITY" >> {tmp_path / "env"}\n')
    assert deliver(DeliverySettings(hook=(hook,)), changes) == []
    told = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(t["change"], t["rule"], t["subject"], t["severity"]) for t in told] == [
        ("fired", "full", "lic/3dsMax", "critical"), ("cleared", "full", "lic/3dsMax",
                                                       "critical")]
    assert told[1]["cleared_at"] == told[1]["at"]
    assert (tmp_path / "env").read_text() == "fired critical\ncleared critical\n"


def test_a_hook_that_hangs_is_killed_and_one_that_fails_is_told(tmp_path, changes):
    hanging = script(tmp_path / "hang", "exec sleep 30\n")
    said = deliver(DeliverySettings(hook=(hanging,), hook_timeout_s=1), changes[:1])
    assert said == [f"hook {hanging}: killed after 1 s"]
    failing = script(tmp_path / "fail", "echo 'pager: no route' >&2\nexit 4\n")
    assert deliver(DeliverySettings(hook=(failing,)), changes[:1]) == \
        [f"hook {failing}: exited 4: pager: no route"]
    assert deliver(DeliverySettings(hook=(str(tmp_path / "none"),)), changes[:1]) == \
        [f"hook {tmp_path / 'none'}: cannot run: No such file or directory"]


# ---- e-mail ---------------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[object, bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((session, envelope.original_content or envelope.content))
        return "250 OK"


def certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp.pem", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server on 127.0.0.1: STARTTLS required, AUTH only over TLS, one account."""
    cert, key = certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"lmconsole", b"s3cret word")
        return AuthResult(success=ok, handled=False)  # the server answers 535 itself

    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(),
                            tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True,
                            auth_require_tls=True)
    controller.start()
    try:
        yield controller.port, cert, mailbox
    finally:
        controller.stop()


def email_settings(port: int, cert: Path, **more) -> EmailSettings:
    return EmailSettings(host="127.0.0.1", port=port, sender="lmconsole@example.com",
                         to=("oncall@example.com", "admin@example.com"), user="lmconsole",
                         ca_file=str(cert), timeout_s=10, **more)


def test_email_over_starttls_with_the_secret_from_the_environment(smtp_server, changes):
    port, cert, mailbox = smtp_server
    settings = email_settings(port, cert, secret_env="SMTP_SECRET")
    assert deliver(DeliverySettings(email=settings), changes,
                   env={"SMTP_SECRET": "s3cret word"}) == []
    assert len(mailbox.messages) == 2
    session, raw = mailbox.messages[0]
    assert session.ssl is not None and session.authenticated
    mail = message_from_bytes(raw)
    assert mail["Subject"] == "[lmconsole] CRITICAL fired: full: lic/3dsMax"
    assert mail["To"] == "oncall@example.com, admin@example.com"
    body = mail.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert body.startswith("3dsMax on lic: 0 of 2 seats free (threshold 0)\n")
    assert "severity:  critical" in body
    cleared = message_from_bytes(mailbox.messages[1][1])
    assert cleared["Subject"] == "[lmconsole] CRITICAL cleared: full: lic/3dsMax"


def test_email_with_the_secret_from_a_command_and_refused_with_a_wrong_one(
        tmp_path, smtp_server, changes):
    port, cert, mailbox = smtp_server
    command = script(tmp_path / "secret", "printf 's3cret word\\nnoise\\n'\n")
    settings = email_settings(port, cert, secret_command=(command,))
    assert deliver(DeliverySettings(email=settings), changes[:1]) == []
    assert len(mailbox.messages) == 1
    wrong = script(tmp_path / "wrong", "echo guess\n")
    said = deliver(DeliverySettings(email=email_settings(port, cert, secret_command=(wrong,))),
                   changes[:1])
    assert len(said) == 1 and said[0].startswith(
        f"e-mail to oncall@example.com, admin@example.com via 127.0.0.1:{port}: (535")
    assert deliver(DeliverySettings(email=email_settings(port, cert, secret_env="UNSET")),
                   changes[:1]) == [
        f"e-mail to oncall@example.com, admin@example.com via 127.0.0.1:{port}: the "
        "environment variable UNSET (secret_env) is not set"]
    assert len(mailbox.messages) == 1


def test_a_server_whose_certificate_is_not_trusted_gets_nothing(smtp_server, changes):
    port, _cert, mailbox = smtp_server
    settings = EmailSettings(host="127.0.0.1", port=port, sender="l@example.com",
                             to=("o@example.com",), user="lmconsole", secret_env="S",
                             timeout_s=10)
    [said] = deliver(DeliverySettings(email=settings), changes[:1], env={"S": "s3cret word"})
    assert "CERTIFICATE_VERIFY_FAILED" in said
    assert mailbox.messages == []


def test_alerting_in_the_configuration_never_holds_a_secret():
    config = parse_config('[alerting]\nhook = ["/usr/local/bin/page"]\nhook_timeout = "30s"\n'
                          '[alerting.email]\nhost = "smtp.example.com"\nfrom = "l@example.com"\n'
                          'to = ["o@example.com"]\nuser = "l"\nsecret_env = "SMTP_SECRET"\n',
                          "config.toml")
    assert config.alerting.hook == ("/usr/local/bin/page",)
    assert config.alerting.hook_timeout_s == 30
    assert (config.alerting.email.port, config.alerting.email.starttls) == (587, True)
    with pytest.raises(ConfigError) as error:
        parse_config('[alerting.email]\nhost = "h"\nfrom = "l@example.com"\nto = "o@example.com"'
                     '\nuser = "l"\npassword = "x"\nstarttls = false\n', "config.toml")
    assert str(error.value).splitlines() == [
        "config.toml:5: alerting.email.user: a user needs secret_env (the environment variable "
        "holding the secret) or secret_command (a command printing it)",
        "config.toml:6: alerting.email.password: passwords are never read from the "
        "configuration; remove this key and log in with ssh-agent or an SSH key (IdentityFile "
        "in ~/.ssh/config)",
        "config.toml:7: alerting.email.starttls: credentials are only sent over STARTTLS",
    ]


def test_three_rules_each_told_once_when_it_fires_and_once_when_it_clears(
        tmp_path, smtp_server):
    """The issue's 'done when': by e-mail, by a script and in the history, each rule's
    firing and clearing once."""
    from lmconsole.alerts.history import recorded_changes
    from lmconsole.alerts.service import AlertService
    from lmconsole.history.store import HistoryStore

    port, cert, mailbox = smtp_server
    told = tmp_path / "told"
    hook = script(tmp_path / "hook", f"cat >> {told}\n")
    office = Driven("architecture", [
        {"name": "3dsMax full", "kind": "free_seats", "features": ["3dsMax"], "for": "2m",
         "clear": 1, "clear_for": "2m"},
        {"name": "office down", "kind": "server_down", "for": "2m", "clear_for": "5m"},
        {"name": "two desks", "kind": "multi_host", "for": 0, "clear_for": 0}])
    settings = DeliverySettings(hook=(hook,), email=email_settings(port, cert,
                                                                   secret_env="SECRET"))

    async def run() -> list[dict]:
        store = await HistoryStore.open(f"sqlite+aiosqlite:///{tmp_path / 'history.db'}")
        service = AlertService(office.engine.rules, lambda: office.now, delivery=settings)
        service.engine = office.engine
        service.deliveries.env = {"SECRET": "s3cret word"}
        service.record_into(store)
        service.start(evaluate_every_s=None)
        seats = [office.take(u, "3dsMax") for u in ("a", "b")]
        office.take("c", "AutoCAD", "pc1")
        second_desk = office.take("c", "AutoCAD", "pc2")
        for _ in range(10):  # full for ten minutes, the user on two desks for it all
            service.tell(office.step(60))
        office.sim.checkin(seats[0])
        office.sim.checkin(second_desk)
        office.sim.shutdown(force=True)
        for _ in range(10):
            service.tell(office.step(60))
        office.sim.start()
        for _ in range(10):
            service.tell(office.step(60))
        await service.stop()
        try:
            return await recorded_changes(store)
        finally:
            await store.close()

    rows = asyncio.run(run())
    expected = sorted((change, rule) for rule in ("3dsMax full", "office down", "two desks")
                      for change in ("fired", "cleared"))
    assert sorted((r["change"], r["rule"]) for r in rows) == expected
    hooked = [json.loads(line) for line in told.read_text().splitlines()]
    assert sorted((h["change"], h["rule"]) for h in hooked) == expected
    subjects = sorted(message_from_bytes(raw)["Subject"] for _, raw in mailbox.messages)
    assert len(subjects) == 6 and all(s.startswith("[lmconsole] ") for s in subjects)
