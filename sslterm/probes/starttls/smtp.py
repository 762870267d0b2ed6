"""SMTP STARTTLS (RFC 3207): greeting, EHLO, STARTTLS."""

from __future__ import annotations

from sslterm.probes.starttls.replies import expect
from sslterm.probes.starttls.session import NOT_OFFERED, Session, StartTlsError

EHLO_NAME = "sslterm.invalid"  # RFC 2606: a name that is never anyone's


async def negotiate(session: Session) -> None:
    await expect(session, "SMTP", 220, "the server refused the session")
    session.stage = "the reply to EHLO"
    session.send(f"EHLO {EHLO_NAME}\r\n")
    lines = await expect(session, "SMTP", 250, "the server refused EHLO")
    if not any(line.split()[:1] and line.split()[0].upper() == "STARTTLS" for line in lines[1:]):
        raise StartTlsError(f"{NOT_OFFERED} (its EHLO reply does not list it)")
    session.stage = "the reply to STARTTLS"
    session.send("STARTTLS\r\n")
    await expect(session, "SMTP", 220, "the server refused STARTTLS")
