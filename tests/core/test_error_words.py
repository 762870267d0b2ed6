"""Every error a paste can cause is one sentence about the input: no repr, no brace, no cut parenthesis."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from sslterm.core.errors import SslTermError
from sslterm.core.parse import read_bundle
from tests.factories import make_cert


def pastes() -> list[bytes]:
    # A fixed key and a deterministic signature (Ed25519): the pastes, and so the test ids, are the
    # same in every process (pytest-xdist's workers each collect them and must agree).
    issued = make_cert("paste.example", key=ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    pem, key = issued.pem, issued.key_pem
    der = base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    out = [b"garbage", b"", b"\x00\xff" * 40, b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
           b"-----BEGIN CERTIFICATE-----\nMIIB\n", b"-----BEGIN PRIVATE KEY-----\nMIIBIjANBgkq\n-----END PRIVATE KEY-----\n",
           b"-----BEGIN PKCS7-----\nMIIB\n-----END PKCS7-----\n", b"\x30\x82\xff\xff" + b"\x00" * 10, pem.replace(b"M", b"N", 3)]
    out += [pem[:cut] + b"\n-----END CERTIFICATE-----\n" for cut in range(40, len(pem) - 30, 37)]
    out += [der[:cut] for cut in range(4, len(der), 29)]
    out += [key[:cut] + b"\n-----END PRIVATE KEY-----\n" for cut in range(40, len(key) - 30, 23)]
    return out


@pytest.mark.parametrize("data", pastes(), ids=lambda d: repr(d[:24]))
def test_a_bad_paste_is_said_in_words(data):
    try:
        read_bundle(data)
    except SslTermError as exc:
        message = str(exc)
        assert "{" not in message and "<" not in message and "Error {" not in message, message
        assert message.count("(") == message.count(")"), message
        assert "\n" not in message and "InvalidData" not in message and "ParseError" not in message, message
        assert "--" not in message.replace("-----", ""), message  # names no CLI flag (the TUI shows these too)
