"""FTP AUTH TLS (RFC 4217 §4)."""

from __future__ import annotations

from sslterm.probes.starttls.replies import numbered_reply
from sslterm.probes.starttls.session import Session, StartTlsError, quote


async def negotiate(session: Session) -> None:
    code, lines = await numbered_reply(session, "FTP")
    if code != 220:
        raise StartTlsError(f"the server refused the session: {code} {quote(' '.join(lines))}")
    session.stage = "the reply to AUTH TLS"
    session.send("AUTH TLS\r\n")
    code, lines = await numbered_reply(session, "FTP")
    if code != 234:
        raise StartTlsError(f"the server does not offer AUTH TLS: {code} {quote(' '.join(lines))}")
