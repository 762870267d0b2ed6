"""SMTP STARTTLS (RFC 3207): greeting, EHLO, STARTTLS."""

from __future__ import annotations

from sslterm.probes.starttls.replies import numbered_reply
from sslterm.probes.starttls.session import NOT_OFFERED, Session, StartTlsError, quote

EHLO_NAME = "sslterm.invalid"  # RFC 2606: a name that is never anyone's


async def negotiate(session: Session) -> None:
    code, lines = await numbered_reply(session, "SMTP")
    if code != 220:
        raise StartTlsError(f"the server refused the session: {code} {quote(' '.join(lines))}")
    session.stage = "the reply to EHLO"
    session.send(f"EHLO {EHLO_NAME}\r\n")
    code, lines = await numbered_reply(session, "SMTP")
    if code != 250:
        raise StartTlsError(f"the server refused EHLO: {code} {quote(' '.join(lines))}")
    if not any(line.split()[:1] and line.split()[0].upper() == "STARTTLS" for line in lines[1:]):
        raise StartTlsError(f"{NOT_OFFERED} (its EHLO reply does not list it)")
    session.stage = "the reply to STARTTLS"
    session.send("STARTTLS\r\n")
    code, lines = await numbered_reply(session, "SMTP")
    if code != 220:
        raise StartTlsError(f"the server refused STARTTLS: {code} {quote(' '.join(lines))}")
