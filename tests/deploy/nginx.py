"""A real nginx for the deploy tests: Debian's nginx on 127.0.0.1, its config, pid and logs under a tmp dir."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes

from tests.factories import Issued

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN = """\
daemon on;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    include {root}/sites/*.conf;
}}
"""

SITE = """\
server {{
    listen 127.0.0.1:{port} ssl;
    server_name {domain};
    ssl_certificate {fullchain};
    ssl_certificate_key {key};
    return 200 "ok";
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_sha256(port: int, server_name: str) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, context.wrap_socket(raw, server_hostname=server_name) as tls:
        der = tls.getpeercert(binary_form=True)
    from cryptography import x509

    return x509.load_der_x509_certificate(der).fingerprint(hashes.SHA256()).hex()


class Nginx:
    """One master for the whole run; each test adds a site (its own port and files) and reloads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("tmp", "sites", "ssl"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self.conf = root / "nginx.conf"
        self.conf.write_text(MAIN.format(root=root))
        self._run("-e", str(root / "error.log"), "-c", str(self.conf))

    @property
    def check_command(self) -> str:
        return f"{NGINX} -t -q -e {self.root / 'error.log'} -c {self.conf}"

    @property
    def reload_command(self) -> str:
        return f"{NGINX} -e {self.root / 'error.log'} -s reload -c {self.conf}"

    def add_site(self, name: str, domain: str, placeholder: Issued) -> tuple[int, Path, Path]:
        """A TLS server for ``domain`` on a new port, serving ``placeholder`` until a deploy replaces it."""
        directory = self.root / "ssl" / name
        directory.mkdir()
        fullchain, key = directory / "fullchain.pem", directory / "privkey.pem"
        fullchain.write_bytes(placeholder.pem)
        key.write_bytes(placeholder.key_pem)
        port = free_port()
        (self.root / "sites" / f"{name}.conf").write_text(SITE.format(port=port, domain=domain, fullchain=fullchain, key=key))
        self.reload()
        wanted = placeholder.cert.fingerprint(hashes.SHA256()).hex()
        self.wait_for(port, domain, wanted)
        return port, fullchain, key

    def reload(self) -> None:
        self._run("-e", str(self.root / "error.log"), "-s", "reload", "-c", str(self.conf))

    def wait_for(self, port: int, domain: str, sha256: str, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if served_sha256(port, domain) == sha256:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"nginx does not serve {sha256[:16]} on {port}: {(self.root / 'error.log').read_text()[-1500:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run([NGINX, "-e", str(self.root / "error.log"), "-s", "stop", "-c", str(self.conf)], capture_output=True, timeout=20)

    def _run(self, *args: str) -> None:
        result = subprocess.run([NGINX, *args], capture_output=True, text=True, timeout=20)
        if result.returncode != 0:
            raise AssertionError(f"nginx {' '.join(args)}: {result.stderr.strip()}")
