"""FTP AUTH TLS (RFC 4217 §4)."""

from __future__ import annotations

from sslterm.probes.starttls.replies import expect
from sslterm.probes.starttls.session import Session


async def negotiate(session: Session) -> None:
    await expect(session, "FTP", 220, "the server refused the session")
    session.stage = "the reply to AUTH TLS"
    session.send("AUTH TLS\r\n")
    await expect(session, "FTP", 234, "the server does not offer AUTH TLS")
