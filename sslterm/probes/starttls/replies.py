"""Numbered multi-line replies, as SMTP (RFC 5321 §4.2) and FTP (RFC 959 §4.2) write them."""

from __future__ import annotations

from sslterm.probes.starttls.session import MAX_LINES, Session, StartTlsError, quote


async def expect(session: Session, protocol: str, code: int, refused: str) -> list[str]:
    """The next reply's lines when its code is ``code``; else ``refused``, with what the server said."""
    got, lines = await numbered_reply(session, protocol)
    if got != code:
        raise StartTlsError(f"{refused}: {got} {quote(' '.join(lines))}")
    return lines


async def numbered_reply(session: Session, protocol: str) -> tuple[int, list[str]]:
    """``NNN-text`` lines up to the last ``NNN text``: the code and every line's text."""
    texts = []
    for _ in range(MAX_LINES):
        line = await session.line()
        if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in ("", " ", "-"):
            if texts and protocol == "FTP":  # RFC 959 lets continuation lines be free text
                texts.append(line)
                continue
            raise StartTlsError(f"the server does not speak {protocol}: it sent {quote(line)} for {session.stage}")
        texts.append(line[4:])
        if line[3:4] != "-":
            return int(line[:3]), texts
    raise StartTlsError(f"the server's reply to {session.stage} went on for more than {MAX_LINES} lines")
