"""The sslterm error hierarchy.

Every failure the core raises is an :class:`SslTermError` whose ``str()`` is a
single line a user can act on. Front ends catch this one type and show it.
"""

from __future__ import annotations

import re


class SslTermError(Exception):
    """Base error: its message is one line, naming what is wrong and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InputError(SslTermError):
    """A value given by the user breaks an input rule (bad domain, country...)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ParseError(SslTermError):
    """Bytes could not be read as a certificate, key, request or container."""


class PasswordError(SslTermError):
    """A password or passphrase is missing or wrong."""


class ValidationError(SslTermError):
    """Material parsed but does not fit together (key mismatch and the like)."""


class NotFoundError(SslTermError):
    """A certificate, domain or owner asked for does not exist."""


class StoreError(SslTermError):
    """The database or its key file cannot be used as asked."""


class ExportError(SslTermError):
    """Files could not be written where asked."""


class Abandoned(StoreError):
    """A query was stopped because its answer is no longer wanted (a newer one replaced it)."""


_ASN1 = re.compile(r"ParseError \{ kind: (\w+)(?:[^}]*?location: \[([^\]]*)\])?")
_ASN1_KINDS = {
    "ShortData": "the data ends too soon (truncated)", "ExtraData": "extra bytes follow the end",
    "InvalidValue": "a value is invalid", "EncodedDefault": "a field holds its default value, which DER forbids",
    "UnexpectedTag": "a field is not the one expected there", "InvalidLength": "a length is invalid",
    "IntegerOverflow": "a number is too large", "InvalidTag": "a field's tag is invalid",
    "InvalidSetOrdering": "a set is out of order, which DER forbids", "UnknownDefinedBy": "an algorithm identifier is unknown",
}


_PEM_SYMBOL = re.compile(r"InvalidData\(Invalid symbol (\d+), offset (\d+)")
_KEY_DETAIL = re.compile(r"ASN\.1 parsing error: ([^.(]+)")


def library_reason(exc: BaseException) -> str:
    """A library's error as words: its ASN.1 parse errors (Rust reprs) described, the rest kept whole on one line."""
    text = " ".join(str(exc).split()).rstrip(".")
    symbol = _PEM_SYMBOL.search(text)
    if symbol:
        char = chr(int(symbol.group(1)))
        shown = repr(char) if char.isprintable() else f"byte {int(symbol.group(1))}"
        return f"the base64 between its BEGIN and END lines is damaged: {shown} at offset {symbol.group(2)}"
    if text.startswith("Unable to load PEM file"):
        return "the base64 between its BEGIN and END lines is damaged"
    if text.startswith("Could not deserialize key data"):
        detail = _KEY_DETAIL.search(text)
        if detail:
            words = detail.group(1).strip()
            return "its DER encoding is invalid: " + ("the data ends too soon (truncated)" if words.startswith("short data") else words)
        return "it is damaged, encrypted with a cipher sslterm cannot read, or a key type sslterm does not support"
    found = _ASN1.search(text)
    if found:
        kind = _ASN1_KINDS.get(found.group(1), "it is not valid DER")
        where = ", ".join(part.strip().strip('"').replace("::", " ") for part in (found.group(2) or "").split(",") if part.strip())
        return f"its DER encoding is invalid: {kind}" + (f" (in {where})" if where else "")
    return text or type(exc).__name__
