"""Upgrade a plain connection to TLS, one module per protocol's exchange.

Each protocol module has ``async def negotiate(session)``: it talks the protocol
in the clear until the server agrees to start TLS, or raises
:class:`StartTlsError` with a sentence about what the server did. The TLS
handshake itself is the caller's (:mod:`sslterm.probes.tls`), the same one as for
plain TLS. A module is imported the first time its protocol is probed, so a
pass of plain TLS endpoints (and every command's start-up) pays for none.
"""

from __future__ import annotations

import importlib
from typing import Awaitable, Callable

from sslterm.probes.starttls.session import Session, StartTlsError

Negotiate = Callable[[Session], Awaitable[None]]

MODULES = {"smtp": "smtp", "imap": "imap", "pop3": "pop3", "ftp": "ftp", "ldap": "ldap", "xmpp": "xmpp",
           "postgres": "postgres", "mysql": "mysql"}


def negotiator(protocol: str) -> Negotiate:
    """The ``negotiate`` of ``protocol`` (one of sslterm.core.endpoints.PROTOCOLS but tls)."""
    module = importlib.import_module(f"sslterm.probes.starttls.{MODULES[protocol]}")
    return module.negotiate  # type: ignore[no-any-return]


__all__ = ["MODULES", "Session", "StartTlsError", "negotiator"]
