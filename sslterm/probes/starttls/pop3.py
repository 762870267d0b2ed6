"""POP3 STLS (RFC 2595 §4, CAPA from RFC 2449)."""

from __future__ import annotations

from sslterm.probes.starttls.session import MAX_LINES, Session, StartTlsError, quote


async def negotiate(session: Session) -> None:
    greeting = await session.line()
    if not greeting.startswith("+OK"):
        raise StartTlsError(f"the server does not speak POP3: it greeted with {quote(greeting)}")
    session.stage = "the reply to CAPA"
    session.send("CAPA\r\n")
    first = await session.line()
    if first.startswith("+OK"):
        capabilities = set()
        for _ in range(MAX_LINES):
            line = await session.line()
            if line == ".":
                break
            capabilities.add(line.split()[0].upper() if line.split() else "")
        else:
            raise StartTlsError(f"the server's CAPA list went on for more than {MAX_LINES} lines")
        if "STLS" not in capabilities:
            raise StartTlsError("the server does not offer STARTTLS (its CAPA list has no STLS)")
    session.stage = "the reply to STLS"
    session.send("STLS\r\n")
    reply = await session.line()
    if not reply.startswith("+OK"):
        raise StartTlsError(f"the server refused STLS: {quote(reply)}")
