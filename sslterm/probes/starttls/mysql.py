"""MySQL / MariaDB: read the server's handshake, answer with an SSLRequest packet, then TLS."""

from __future__ import annotations

import struct

from sslterm.probes.starttls.session import Session, StartTlsError, quote

CLIENT_PROTOCOL_41 = 0x0200
CLIENT_SSL = 0x0800
CLIENT_SECURE_CONNECTION = 0x8000
MAX_PACKET = 16 * 1024 * 1024
UTF8MB4 = 45


async def negotiate(session: Session) -> None:
    header = await session.exactly(4)
    length = int.from_bytes(header[:3], "little")
    if length == 0 or length > 65536:
        raise StartTlsError(f"the server does not speak MySQL: it sent {quote(header)}")
    payload = await session.exactly(length)
    if payload[0] == 0xFF:  # an ERR packet: 0xff, error code (2), message
        message = payload[9:] if payload[3:4] == b"#" else payload[3:]  # a SQL state may precede it
        raise StartTlsError(f"the server refused the session: {quote(message)}")
    if payload[0] != 10:
        raise StartTlsError(f"the server does not speak MySQL protocol 10 (it sent version {payload[0]})")
    end = payload.find(b"\x00", 1)  # server version, NUL-terminated
    flags_at = end + 1 + 4 + 8 + 1  # connection id, auth data part 1, filler
    if end < 0 or len(payload) < flags_at + 2:
        raise StartTlsError("the server's MySQL handshake is cut short")
    capabilities = int.from_bytes(payload[flags_at:flags_at + 2], "little")
    if not capabilities & CLIENT_SSL:
        raise StartTlsError("the server does not offer TLS (its handshake lacks the SSL capability)")
    flags = CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION
    body = struct.pack("<IIB23x", flags, MAX_PACKET, UTF8MB4)
    session.stage = "the TLS handshake after SSLRequest"
    session.send(len(body).to_bytes(3, "little") + bytes([header[3] + 1]) + body)
