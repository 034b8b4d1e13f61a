"""A real OpenLDAP `slapd` for the directory's tests, started as a child process.

    from tests.slapd import Slapd, slapd_fixture  # noqa: F401 - registers `slapd`

    def test_x(slapd: Slapd): slapd.ldap_url, slapd.ldaps_url, slapd.ca_file ...

One server per test module (tests/directory_tree.py loads its tree over LDAP, so that the
memberof overlay maintains memberOf), on 127.0.0.1 at two free ports: ldap:// (StartTLS
offered) and ldaps://, with a throwaway CA and a server certificate for 127.0.0.1. Two
databases are two directories: dc=example,dc=com and dc=second,dc=org. Each has a reader
account (READER_DN, READER_SECRET) under the server's size limit: SIZE_LIMIT entries a
search, SIZE_LIMIT a page, any number of pages; the root DN (ADMIN_DN) is unlimited.
slapd runs under coreutils `timeout`, so it ends should the test process be killed.
Without slapd the tests skip, except under CI (CI=true), where they fail.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

START_TIMEOUT_S = 15.0
LIFETIME_S = 900
SIZE_LIMIT = 5
SUFFIXES = ("dc=example,dc=com", "dc=second,dc=org")
ADMIN_SECRET = "admin-secret"
READER_SECRET = "reader-secret"
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")


def admin_dn(suffix: str) -> str:
    return f"cn=admin,{suffix}"


def reader_dn(suffix: str) -> str:
    return f"cn=reader,{suffix}"


def find_slapd() -> str | None:
    return shutil.which("slapd") or next(
        (p for p in ("/usr/sbin/slapd", "/usr/local/libexec/slapd") if os.access(p, os.X_OK)),
        None)


def require_slapd() -> str:
    binary = find_slapd()
    if binary is None or not Path("/usr/lib/ldap/back_mdb.la").exists():
        reason = "OpenLDAP slapd is not installed (apt-get install slapd ldap-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_certificates(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path, Path]:
    """A CA, and a certificate it issued for `host` (an IP address in its names): the CA
    file, the server's certificate and its key."""
    now = datetime.datetime.now(datetime.UTC)
    valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=800))
    ca_key, server_key = _key(), _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lmconsole test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(valid[0]).not_valid_after(valid[1])
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
              .issuer_name(ca_name).public_key(server_key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(valid[0]).not_valid_after(valid[1])
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                  ipaddress.ip_address(host))]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    files = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(_pem_key(server_key))
    files[2].chmod(0o600)
    return files


@dataclass
class Slapd:
    root: Path
    binary: str
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.port, self.tls_port = free_port(), free_port()
        self.ca_file, self.cert_file, self.key_file = write_certificates(self.root)

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def log_path(self) -> Path:
        return self.root / "slapd.log"

    def write_config(self) -> Path:
        lines = [f"include /etc/ldap/schema/{name}.schema" for name in SCHEMAS]
        lines += [
            "modulepath /usr/lib/ldap", "moduleload back_mdb", "moduleload memberof",
            f"pidfile {self.root / 'slapd.pid'}",
            f"TLSCACertificateFile {self.ca_file}",
            f"TLSCertificateFile {self.cert_file}",
            f"TLSCertificateKeyFile {self.key_file}",
            f"sizelimit size.soft={SIZE_LIMIT} size.hard={SIZE_LIMIT} size.pr={SIZE_LIMIT} "
            "size.prtotal=unlimited",
        ]
        for n, suffix in enumerate(SUFFIXES):
            data = self.root / f"db{n}"
            data.mkdir(exist_ok=True)
            lines += [
                "database mdb", f'suffix "{suffix}"', f'rootdn "{admin_dn(suffix)}"',
                f"rootpw {ADMIN_SECRET}", f"directory {data}", "maxsize 104857600",
                "overlay memberof",
                "access to attrs=userPassword by anonymous auth by * none",
                "access to * by users read by * none",
            ]
        path = self.root / "slapd.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> None:
        config = self.write_config()
        argv = [self.binary, "-d", "0", "-f", str(config), "-h",
                f"{self.ldap_url}/ {self.ldaps_url}/"]
        if shutil.which("timeout"):
            argv = ["timeout", "--kill-after=5", str(LIFETIME_S), *argv]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=log, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"slapd exited at start:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1), \
                        socket.create_connection(("127.0.0.1", self.tls_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"slapd did not listen within {START_TIMEOUT_S:g} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def admin(self, suffix: str = SUFFIXES[0]):
        """An ldap3 connection bound as the root DN (plain LDAP on loopback)."""
        import ldap3

        return ldap3.Connection(ldap3.Server("127.0.0.1", port=self.port),
                                admin_dn(suffix), ADMIN_SECRET, auto_bind=True,
                                raise_exceptions=True)


@pytest.fixture(name="slapd", scope="module")
def slapd_fixture(tmp_path_factory) -> Iterator[Slapd]:
    """A running slapd with the test tree (tests/directory_tree.py) loaded."""
    from .directory_tree import load_tree

    server = Slapd(tmp_path_factory.mktemp("slapd"), require_slapd())
    server.start()
    try:
        load_tree(server)
        yield server
    finally:
        server.stop()
