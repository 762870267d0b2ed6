"""Make untrusted text (from certificates) safe to put on a terminal."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """``text`` with control and bidi-override characters shown as ``\\xNN``/``\\uNNNN``.

    Nothing from a certificate may move the cursor, set a title, or reorder
    what the operator reads.
    """
    value = str(text)
    if value.isascii() and value.isprintable():  # the usual case, without the regex
        return value
    return _CONTROL.sub(_escape, value)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def openssl_serial(hex_serial: str) -> str:
    """A serial as openssl prints it: upper-case hex of even length, leading zeros kept (``3e8`` -> ``03E8``)."""
    digits = hex_serial.strip().lower().removeprefix("0x")
    if not digits or any(c not in "0123456789abcdef" for c in digits):
        return hex_serial
    return (digits if len(digits) % 2 == 0 else "0" + digits).upper()
