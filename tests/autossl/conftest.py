"""A real ACME server for the tests: Debian's pebble, with pebble-challtestsrv as its DNS.

Every name resolves to 127.0.0.1, and pebble's http-01 validation port points at
the port our standalone responder listens on, so pebble really fetches the token.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PEBBLE = shutil.which("pebble") or "/usr/bin/pebble"
CHALLTESTSRV = shutil.which("pebble-challtestsrv") or "/usr/bin/pebble-challtestsrv"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_https_identity(directory: Path) -> Path:
    """A CA and a localhost certificate for pebble's own HTTPS; returns the CA bundle path."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sslterm test pebble CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]), False)
            .sign(ca_key, hashes.SHA256()))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    bundle = directory / "ca.pem"
    bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return bundle


@dataclass
class Pebble:
    directory: str
    ca_bundle: Path
    http_port: int
    management: str

    def roots(self) -> list[x509.Certificate]:
        """The roots pebble issues under (from its management API)."""
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        with urllib.request.urlopen(f"{self.management}/roots/0", context=context, timeout=5) as response:  # noqa: S310 - loopback
            return x509.load_pem_x509_certificates(response.read())


@pytest.fixture(scope="session")
def pebble(tmp_path_factory):
    yield from _pebble(tmp_path_factory.mktemp("pebble"))


@pytest.fixture(scope="session")
def short_pebble(tmp_path_factory):
    """A second pebble issuing 6-day certificates, like Let's Encrypt's short-lived profile."""
    yield from _pebble(tmp_path_factory.mktemp("pebble-short"), validity=6 * 86400)


def _pebble(work: Path, validity: int | None = None):  # type: ignore[no-untyped-def]
    if not (os.path.exists(PEBBLE) and os.path.exists(CHALLTESTSRV)):
        pytest.skip("pebble is not installed (.ci/run installs it with apt-get)")
    bundle = write_https_identity(work)
    api, mgmt, dns, http_port, tls_port, dns_mgmt = (free_port() for _ in range(6))
    config = {"pebble": {
        "listenAddress": f"127.0.0.1:{api}", "managementListenAddress": f"127.0.0.1:{mgmt}",
        "certificate": str(work / "cert.pem"), "privateKey": str(work / "key.pem"),
        "httpPort": http_port, "tlsPort": tls_port, "ocspResponderURL": "", "externalAccountBindingRequired": False,
    }}
    if validity is not None:
        config["pebble"]["certificateValidityPeriod"] = validity
    (work / "pebble.json").write_text(json.dumps(config))
    dns_server = subprocess.Popen(
        [CHALLTESTSRV, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", f"127.0.0.1:{dns}",
         "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", f"127.0.0.1:{dns_mgmt}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"}
    log = open(work / "pebble.log", "w")  # noqa: SIM115 - closed after pebble stops
    server = subprocess.Popen([PEBBLE, "-config", str(work / "pebble.json"), "-dnsserver", f"127.0.0.1:{dns}", "-strict", "false"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    directory = f"https://127.0.0.1:{api}/dir"
    context = ssl.create_default_context(cafile=str(bundle))
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(directory, context=context, timeout=2).read()  # noqa: S310 - loopback
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                dns_server.kill()
                log.close()
                pytest.fail("pebble did not start: " + (work / "pebble.log").read_text()[-2000:])
            time.sleep(0.1)
    yield Pebble(directory, bundle, http_port, f"https://127.0.0.1:{mgmt}")
    for proc in (server, dns_server):
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()
