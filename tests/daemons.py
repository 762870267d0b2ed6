"""Real servers from Debian for the probe tests, each with its own configuration under a tmp dir.

Exim (SMTP with STARTTLS), Dovecot (IMAP and POP3 with STARTTLS) and a PostgreSQL
cluster (``ssl = on``). Each listens on 127.0.0.1 only, on a free port, and is
started once per test run by a session fixture. PostgreSQL refuses to run as
root, so as root its cluster belongs to ``nobody``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.deploy.nginx import free_port

EXIM = shutil.which("exim4") or "/usr/sbin/exim4"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def wait_for_port(port: int, what: str, log: Path | None = None, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port}\n{detail}")


def pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class Exim:
    """exim4 -bd with a configuration that only greets, offers STARTTLS and refuses every recipient."""

    CONFIG = """\
primary_hostname = {name}
daemon_smtp_ports = {port}
local_interfaces = 127.0.0.1
tls_advertise_hosts = *
tls_certificate = {cert}
tls_privatekey = {key}
spool_directory = {root}/spool
log_file_path = {root}/%slog
keep_environment =
exim_user = {user}
exim_group = {group}
never_users =
acl_smtp_rcpt = refuse
begin acl
refuse:
  deny
"""

    def __init__(self, root: Path, name: str, cert: Path, key: Path) -> None:
        self.root, self.port = root, free_port()
        user = pwd.getpwuid(os.getuid())
        config = root / "exim.conf"
        config.write_text(self.CONFIG.format(name=name, port=self.port, cert=cert, key=key, root=root, user=user.pw_name,
                                             group=user.pw_gid))
        self.process = subprocess.Popen([EXIM, "-C", str(config), "-bdf", "-oX", str(self.port), "-oP", str(root / "exim.pid")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for_port(self.port, "exim", root / "mainlog")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Dovecot:
    """dovecot -F serving IMAP and POP3 (STARTTLS on both) on two free ports."""

    CONFIG = """\
protocols = imap pop3
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
{users}passdb {{
  driver = static
  args = nopassword
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""

    def __init__(self, root: Path, cert: Path, key: Path) -> None:
        self.root, self.imap, self.pop3 = root, free_port(), free_port()
        for sub in ("run", "state", "home"):
            (root / sub).mkdir()
        user = pwd.getpwuid(os.getuid()) if os.getuid() else pwd.getpwnam("nobody")
        # As root, Dovecot's own users (dovecot, dovenull) run its processes; otherwise everything runs as us.
        users = "" if os.getuid() == 0 else f"default_internal_user = {user.pw_name}\ndefault_login_user = {user.pw_name}\n"
        config = root / "dovecot.conf"
        config.write_text(self.CONFIG.format(root=root, cert=cert, key=key, imap=self.imap, pop3=self.pop3, users=users,
                                             user=user.pw_name, group=user.pw_gid))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for_port(self.imap, "dovecot (IMAP)", root / "dovecot.log")
        wait_for_port(self.pop3, "dovecot (POP3)", root / "dovecot.log")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Postgres:
    """A PostgreSQL cluster made by initdb in a fresh directory, on 127.0.0.1 and a Unix socket there.

    As root the cluster belongs to ``nobody`` (PostgreSQL refuses to run as root);
    the directory sits in the system's temporary directory so that user can reach it.
    """

    def __init__(self, settings: dict[str, str] | None = None, files: dict[str, bytes] | None = None) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="sslterm-pg-"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0
        self.user = "nobody" if self.as_root else pwd.getpwuid(os.getuid()).pw_name
        if self.as_root:
            entry = pwd.getpwnam("nobody")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(pg_bin("initdb") or "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        for name, data in (files or {}).items():
            path = self.data / name
            path.write_bytes(data)
            path.chmod(0o600)
            if self.as_root:
                os.chown(path, entry.pw_uid, entry.pw_gid)
        lines = {"listen_addresses": "'127.0.0.1'", "port": str(self.port), "unix_socket_directories": f"'{self.root}'",
                 "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", **(settings or {})}
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in lines.items())
        self._run(pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "start")

    def _run(self, *argv: str) -> None:
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if self.as_root else []
        result = subprocess.run(prefix + list(argv), capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")

    def stop(self) -> None:
        self._run(pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
