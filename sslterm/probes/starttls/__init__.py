"""Upgrade a plain connection to TLS, one module per protocol's exchange.

Each protocol module has ``async def negotiate(session)``: it talks the protocol
in the clear until the server agrees to start TLS, or raises
:class:`StartTlsError` with a sentence about what the server did. The TLS
handshake itself is the caller's (:mod:`sslterm.probes.tls`), the same one as for
plain TLS.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from sslterm.probes.starttls import ftp, imap, ldap, mysql, pop3, postgres, smtp, xmpp
from sslterm.probes.starttls.session import Session, StartTlsError

Negotiate = Callable[[Session], Awaitable[None]]

NEGOTIATORS: dict[str, Negotiate] = {
    "smtp": smtp.negotiate, "imap": imap.negotiate, "pop3": pop3.negotiate, "ftp": ftp.negotiate,
    "ldap": ldap.negotiate, "xmpp": xmpp.negotiate, "postgres": postgres.negotiate, "mysql": mysql.negotiate,
}

__all__ = ["NEGOTIATORS", "Session", "StartTlsError"]
