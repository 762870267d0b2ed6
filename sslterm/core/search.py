"""What a search box says: name fragments, and ``owner:``/``type:``/``issuer:`` qualifiers.

``shop owner:carol type:auto issuer:"let's encrypt"`` is the fragment ``shop`` with three
qualifiers. A fragment that is a whole host name (``shop.wild.example.com``) also finds
the certificates whose wildcard covers it (``*.wild.example.com``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from sslterm.core.names import to_ascii_query

QUALIFIERS = ("owner", "type", "issuer")
# What each type may be called in the box: the TUI's labels and the JSON values.
TYPE_WORDS = {
    "auto": "auto", "autossl": "auto", "acme": "auto",
    "upload": "existing", "uploadssl": "existing", "existing": "existing", "uploaded": "existing",
    "self-signed": "self-signed", "selfsigned": "self-signed", "self": "self-signed",
    "request": "request", "csr": "request", "pending": "request",
    "ca": "ca",
}
_HOST = re.compile(r"^(?!-)[a-z0-9-]{1,63}(\.(?!-)[a-z0-9-]{1,63}){2,}\.?$")


@dataclass(frozen=True)
class SearchSpec:
    """A parsed search: fragments matched against every name, and the qualifiers."""

    terms: tuple[str, ...] = ()
    owner: str | None = None
    type: str | None = None
    issuer: tuple[str, ...] = field(default=())
    unknown_type: str | None = None  # type:xyz that names no type (matches nothing, and is said so)

    @property
    def empty(self) -> bool:
        return not (self.terms or self.owner or self.type or self.issuer or self.unknown_type)


def parse_search(text: str) -> SearchSpec:
    """Split ``text`` into fragments and qualifiers (quotes group words: ``issuer:"Let's Encrypt"``)."""
    try:
        words = shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as they are
        words = text.split()
    terms: list[str] = []
    owner = kind = unknown = None
    issuer: list[str] = []
    for word in words:
        key, sep, value = word.partition(":")
        key = key.lower()
        if not sep or key not in QUALIFIERS or not value:
            terms.append(word.lower())
        elif key == "owner":
            owner = value
        elif key == "type":
            kind = TYPE_WORDS.get(value.lower().replace(" ", "").replace("_", "-"))
            unknown = None if kind else value
        else:
            issuer.append(value.lower())
    return SearchSpec(tuple(terms), owner, kind, tuple(issuer), unknown)


def covering_wildcard(term: str) -> str | None:
    """``*.wild.example.com`` for the host name ``shop.wild.example.com``; None for anything else."""
    host = term.strip().lower().rstrip(".")
    if not _HOST.match(host):
        return None
    return "*." + host.split(".", 1)[1]


def host_term(text: str) -> str | None:
    """The first fragment of a search that is a whole host name, in ASCII (its covering wildcard is marked)."""
    for term in parse_search(text).terms:
        host = to_ascii_query(term).lower()
        if covering_wildcard(host):
            return host
    return None
