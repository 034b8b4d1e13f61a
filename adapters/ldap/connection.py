"""Opening an LDAP connection (ldap3) the safe way: LDAPS or StartTLS with the server's
certificate and host name checked, the bind password from an environment variable or a
command, never from the configuration.

ldap3's own TLS default is CERT_NONE, and its host-name check needs ssl.match_hostname,
which Python 3.12 removed: VerifiedTls hands both checks to Python's ssl module instead.
"""

from __future__ import annotations

import contextlib
import math
import os
import ssl

import ldap3
from ldap3.core.exceptions import LDAPException

from lmconsole.credentials import SecretError, read_secret
from lmconsole.directory.config import DirectoryConfig


class DirectoryError(Exception):
    """A directory cannot be reached, trusted or read; the message says which and why."""


class VerifiedTls(ldap3.Tls):
    """ldap3's Tls with Python's default context: the chain checked against `ca_file` (or
    the system's CAs) and the certificate's names against the host we connected to."""

    def __init__(self, *, ca_file: str | None, verify: bool) -> None:
        super().__init__(validate=ssl.CERT_REQUIRED if verify else ssl.CERT_NONE,
                         ca_certs_file=ca_file)
        self.verify = verify

    def wrap_socket(self, connection, do_handshake=False) -> None:
        context = ssl.create_default_context(cafile=self.ca_certs_file)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        connection.socket = context.wrap_socket(
            connection.socket, server_side=False, do_handshake_on_connect=True,
            server_hostname=connection.server.host)


def bind_secret(directory: DirectoryConfig, env=os.environ) -> str | None:
    """The bind password, as bind_secret_env or bind_secret_command name it; None for an
    anonymous bind."""
    try:
        return read_secret(directory.bind_secret_env, directory.bind_secret_command, env,
                           "bind_secret")
    except SecretError as error:
        raise DirectoryError(f"directory {directory.name}: {error}") from None


def connect(directory: DirectoryConfig, env=os.environ) -> ldap3.Connection:
    """A bound, read-only connection; DirectoryError when it cannot be had."""
    secret = bind_secret(directory, env)
    host, port = directory.host_port()
    timeout_s = math.ceil(directory.timeout_s)  # ldap3 packs it into a struct timeval
    tls = VerifiedTls(ca_file=directory.ca_file, verify=directory.verify_certificate)
    server = ldap3.Server(host, port=port, use_ssl=directory.tls == "ldaps", tls=tls,
                          get_info=ldap3.NONE, connect_timeout=timeout_s)
    connection = ldap3.Connection(
        server, user=directory.bind_dn, password=secret, read_only=True,
        raise_exceptions=True, receive_timeout=timeout_s,
        auto_referrals=False)
    where = f"directory {directory.name} ({directory.url})"
    try:
        connection.open()
        if directory.tls == "start_tls":
            connection.start_tls()
        connection.bind()
    except (LDAPException, ssl.SSLError, OSError) as error:
        with contextlib.suppress(LDAPException, OSError):  # a half-open socket may refuse
            connection.unbind()
        reason = _reason(error)
        if "certificate" in reason.lower():
            reason += f"; {_trust_hint(directory)}"
        raise DirectoryError(f"{where}: {reason}") from None
    return connection


def _trust_hint(directory: DirectoryConfig) -> str:
    if directory.ca_file:
        return f"is the server's certificate issued by the CA in {directory.ca_file}, for " \
               "the host name in url?"
    return "name the CA that issued the server's certificate with ca_file"


def _reason(error: BaseException) -> str:
    """The error's words; ldap3 wraps the socket's (a TLS failure among them) in a list."""
    for wrapped in getattr(error, "args", ()):
        if isinstance(wrapped, list) and wrapped:
            return "; ".join(str(item[1]) if isinstance(item, tuple) and len(item) > 1
                             else str(item) for item in wrapped)
    return str(error) or type(error).__name__
