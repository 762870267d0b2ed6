"""The sslterm error hierarchy.

Every failure the core raises is an :class:`SslTermError` whose ``str()`` is a
single line a user can act on. Front ends catch this one type and show it.
"""

from __future__ import annotations


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
