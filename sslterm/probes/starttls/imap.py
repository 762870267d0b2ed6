"""IMAP STARTTLS (RFC 3501 §6.2.1, RFC 2595)."""

from __future__ import annotations

from sslterm.probes.starttls.session import MAX_LINES, NOT_OFFERED, Session, StartTlsError, quote


async def negotiate(session: Session) -> None:
    greeting = await session.line()
    head = greeting.upper()
    if head.startswith("* BYE"):
        raise StartTlsError(f"the server refused the session: {quote(greeting)}")
    if not (head.startswith("* OK") or head.startswith("* PREAUTH")):
        raise StartTlsError(f"the server does not speak IMAP: it greeted with {quote(greeting)}")
    capabilities = _capabilities(head) if "[CAPABILITY " in head else await _ask_capabilities(session)
    if "STARTTLS" not in capabilities:
        raise StartTlsError(f"{NOT_OFFERED} (its CAPABILITY does not list it)")
    session.stage = "the reply to STARTTLS"
    session.send("s2 STARTTLS\r\n")
    status = await _tagged(session, "s2")
    if not status.upper().startswith("S2 OK"):
        raise StartTlsError(f"the server refused STARTTLS: {quote(status)}")


async def _ask_capabilities(session: Session) -> set[str]:
    session.stage = "the reply to CAPABILITY"
    session.send("s1 CAPABILITY\r\n")
    found: set[str] = set()
    for _ in range(MAX_LINES):
        line = await session.line()
        upper = line.upper()
        if upper.startswith("* CAPABILITY "):
            found |= set(upper.split()[2:])
        elif upper.startswith("S1 "):
            return found
    raise StartTlsError(f"the server's reply to CAPABILITY went on for more than {MAX_LINES} lines")


def _capabilities(greeting: str) -> set[str]:
    inside = greeting.split("[CAPABILITY ", 1)[1].split("]", 1)[0]
    return set(inside.split())


async def _tagged(session: Session, tag: str) -> str:
    for _ in range(MAX_LINES):
        line = await session.line()
        if line.upper().startswith(tag.upper() + " "):
            return line
    raise StartTlsError(f"the server never answered {session.stage}")
