"""Where a certificate is served: host, port and the protocol spoken before TLS begins.

Plain ``tls`` starts the handshake at once. The others talk in the clear first and
upgrade (STARTTLS and its relatives). One place knows the protocol names, their
well-known ports, the URL forms (``smtp://mx.example.com:25``) and how an address
is written, so the CLI, the TUI and the endpoint import all agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sslterm.core.errors import InputError

TLS = "tls"
PROTOCOLS = (TLS, "smtp", "imap", "pop3", "ftp", "ldap", "xmpp", "postgres", "mysql")

DEFAULT_PORTS = {TLS: 443, "smtp": 25, "imap": 143, "pop3": 110, "ftp": 21, "ldap": 389, "xmpp": 5222,
                 "postgres": 5432, "mysql": 3306}
# A port that names its protocol when none is given; implicit-TLS ports (465, 993 …) stay plain TLS.
WELL_KNOWN_PORTS = {25: "smtp", 587: "smtp", 143: "imap", 110: "pop3", 21: "ftp", 389: "ldap", 5222: "xmpp",
                    5269: "xmpp", 5432: "postgres", 3306: "mysql"}
SCHEMES = {
    "tls": (TLS, 443), "https": (TLS, 443), "smtps": (TLS, 465), "imaps": (TLS, 993), "pop3s": (TLS, 995),
    "ldaps": (TLS, 636), "ftps": (TLS, 990), "xmpps": (TLS, 5223),
    "smtp": ("smtp", 25), "submission": ("smtp", 587), "imap": ("imap", 143), "pop3": ("pop3", 110), "pop": ("pop3", 110),
    "ftp": ("ftp", 21), "ldap": ("ldap", 389), "xmpp": ("xmpp", 5222),
    "postgres": ("postgres", 5432), "postgresql": ("postgres", 5432), "mysql": ("mysql", 3306),
}
PROTOCOL_NAMES = {TLS: "TLS", "smtp": "SMTP", "imap": "IMAP", "pop3": "POP3", "ftp": "FTP", "ldap": "LDAP", "xmpp": "XMPP",
                  "postgres": "PostgreSQL", "mysql": "MySQL"}


@dataclass(frozen=True)
class Address:
    """A parsed endpoint address."""

    host: str
    port: int
    protocol: str = TLS

    @property
    def text(self) -> str:
        return format_address(self.host, self.port)


def is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def endpoint_url(host: str, port: int, protocol: str) -> str:
    """How an endpoint is written everywhere: ``host:port`` for TLS, ``smtp://host:port`` otherwise."""
    address = format_address(host, port)
    return address if protocol == TLS else f"{protocol}://{address}"


def clean_host(host: str) -> str:
    clean = host.strip().strip("[]").lower()
    if not clean or any(ch.isspace() or ch in "/@" for ch in clean):
        raise InputError(f"host {host!r} is not a host name or IP address")
    return clean


def check_protocol(name: str) -> str:
    protocol = name.strip().lower()
    if protocol in ("postgresql", "pop"):
        protocol = {"postgresql": "postgres", "pop": "pop3"}[protocol]
    if protocol not in PROTOCOLS:
        raise InputError(f"protocol {name!r} is not one of {', '.join(PROTOCOLS)}")
    return protocol


def parse_address(text: str, protocol: str | None = None) -> Address:
    """``HOST[:PORT]``, ``[::1]:443`` or ``smtp://HOST[:PORT]``.

    The protocol is ``protocol`` if given, else the URL's scheme, else the port's
    well-known one, else TLS; the port defaults to the protocol's.
    """
    raw = text.strip()
    chosen = check_protocol(protocol) if protocol else None
    scheme_port = None
    if "://" in raw:
        scheme, _, raw = raw.partition("://")
        if scheme.lower() not in SCHEMES:
            raise InputError(f"{text!r}: the scheme {scheme!r} is not one of {', '.join(sorted(SCHEMES))}")
        from_scheme, scheme_port = SCHEMES[scheme.lower()]
        chosen = chosen or from_scheme
        raw = raw.split("/", 1)[0]
    host, port_text = _split_port(raw)
    try:
        port = int(port_text) if port_text else None
    except ValueError:
        raise InputError(f"port in {text!r} is not a number") from None
    if port is None:
        port = scheme_port or DEFAULT_PORTS[chosen or TLS]
    if not 1 <= port <= 65535:
        raise InputError(f"port {port} is not between 1 and 65535")
    return Address(clean_host(host), port, chosen or WELL_KNOWN_PORTS.get(port, TLS))


def _split_port(raw: str) -> tuple[str, str]:
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    if raw.count(":") == 1:
        host, port_text = raw.split(":")
        return host, port_text
    return raw, ""
