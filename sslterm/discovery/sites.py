"""What discovery finds in a server's configuration: sites, their files and where they listen."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Listen:
    """An address a site accepts TLS on; ``host`` is where to probe it from this machine."""

    host: str
    port: int


@dataclass(frozen=True)
class CertFiles:
    """One certificate a site serves: its file and its key's (the same file for a combined PEM)."""

    cert: str
    key: str | None


@dataclass
class Site:
    """One TLS server block, virtual host or bind line."""

    source: str  # file:line where it starts
    names: list[str]  # names it answers to that can be endpoint domains
    listens: list[Listen]
    files: list[CertFiles]
    notes: list[str] = field(default_factory=list)


@dataclass
class ServerConfig:
    """A server's TLS sites, and the commands a deploy target would use to test and reload it."""

    server: str  # nginx, apache or haproxy
    sites: list[Site]
    check: tuple[str, ...]
    reload: tuple[str, ...]
    notes: list[str] = field(default_factory=list)  # what was skipped, and why


def probe_host(address: str) -> str:
    """Where to probe a listen address from this machine: a wildcard address is the loopback."""
    if address in ("", "*", "0.0.0.0", "_default_"):
        return "127.0.0.1"
    if address in ("::", "[::]"):
        return "::1"
    return address.strip("[]")


def usable_name(name: str) -> bool:
    """A server name that can be an endpoint's domain: not a wildcard, regex, catch-all or variable."""
    return bool(name) and not name.startswith(("*", ".", "~", "$")) and name not in ("_", "localhost", "default_server") \
        and "*" not in name and "." in name


def split_address(text: str, default_port: int) -> tuple[str, int] | None:
    """``host:port``, ``[v6]:port``, ``port`` or ``host`` (default port); None for a Unix socket or a bad port."""
    if text.startswith("unix:") or text.startswith("/"):
        return None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.isdigit():
        host, port_text = "", text
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if port_text and not port_text.isdigit():
        return None
    port = int(port_text) if port_text else default_port
    return (host, port) if 1 <= port <= 65535 else None
