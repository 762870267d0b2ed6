"""LDAP StartTLS extended operation (RFC 4511 §4.14), in just enough BER."""

from __future__ import annotations

from sslterm.probes.starttls.session import Session, StartTlsError, quote

START_TLS_OID = b"1.3.6.1.4.1.1466.20037"
MAX_MESSAGE = 65536
RESULT_NAMES = {1: "operationsError", 2: "protocolError", 7: "authMethodNotSupported", 8: "strongerAuthRequired",
                52: "unavailable", 53: "unwillingToPerform", 80: "other"}


def start_tls_request(message_id: int = 1) -> bytes:
    """LDAPMessage { messageID, ExtendedRequest [APPLICATION 23] { requestName [0] OID } }."""
    name = b"\x80" + bytes([len(START_TLS_OID)]) + START_TLS_OID
    op = b"\x77" + bytes([len(name)]) + name
    body = b"\x02\x01" + bytes([message_id]) + op
    return b"\x30" + bytes([len(body)]) + body


async def negotiate(session: Session) -> None:
    session.stage = "the reply to the StartTLS request"
    session.send(start_tls_request())
    message = await _message(session)
    body, _ = _element(message, 0x30)
    _, rest = _element(body, 0x02)  # messageID
    op, _ = _element(rest, 0x78)  # ExtendedResponse
    code_bytes, after = _element(op, 0x0A)  # resultCode
    code = int.from_bytes(code_bytes, "big")
    if code != 0:
        diagnostic = ""
        try:
            _, after = _element(after, 0x04)  # matchedDN
            text, _ = _element(after, 0x04)  # diagnosticMessage
            diagnostic = f": {quote(text)}" if text.strip() else ""
        except StartTlsError:
            pass
        raise StartTlsError(f"the server does not offer StartTLS: result {code} ({RESULT_NAMES.get(code, 'error')}){diagnostic}")


async def _message(session: Session) -> bytes:
    head = await session.exactly(2)
    if head[0] != 0x30:
        raise StartTlsError(f"the server does not speak LDAP: it answered {quote(head)}")
    length = head[1]
    extra = b""
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 3:
            raise StartTlsError("the server's LDAP reply has a length the probe does not accept")
        extra = await session.exactly(count)
        length = int.from_bytes(extra, "big")
    if length > MAX_MESSAGE:
        raise StartTlsError(f"the server's LDAP reply is longer than {MAX_MESSAGE} bytes")
    return head + extra + await session.exactly(length)


def _element(data: bytes, tag: int) -> tuple[bytes, bytes]:
    """The content of the BER element at the start of ``data`` (which must have ``tag``) and what follows it."""
    if len(data) < 2 or data[0] != tag:
        raise StartTlsError("the server's reply is not an LDAP StartTLS response")
    length, start = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(data[2:2 + count], "big"), 2 + count
    if start + length > len(data):
        raise StartTlsError("the server's LDAP reply is cut short")
    return data[start:start + length], data[start + length:]
