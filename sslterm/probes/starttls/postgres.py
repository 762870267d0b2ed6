"""PostgreSQL SSLRequest (protocol 3, "SSL Session Encryption")."""

from __future__ import annotations

import struct

from sslterm.probes.starttls.session import Session, StartTlsError, quote

SSL_REQUEST = struct.pack("!II", 8, 80877103)


async def negotiate(session: Session) -> None:
    session.stage = "the reply to SSLRequest"
    session.send(SSL_REQUEST)
    answer = await session.exactly(1)
    if answer == b"N":
        raise StartTlsError("the server does not offer SSL (it answered N: ssl is off in postgresql.conf)")
    if answer != b"S":
        raise StartTlsError(f"the server does not speak PostgreSQL: it answered {quote(answer)} to SSLRequest")
