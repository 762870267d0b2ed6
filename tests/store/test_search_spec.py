"""Search qualifiers and wildcard coverage through the store, as the CLI and the TUI use them."""

from __future__ import annotations

from cryptography import x509

from sslterm.store import ListQuery
from tests.engines import both_engines  # noqa: F401 - runs on SQLite and PostgreSQL
from tests.factories import NOW, make_cert


def add(store, cn, owner, type="existing", sans=None):
    issued = make_cert(cn, sans=[x509.DNSName(n) for n in (sans or [cn])])
    return store.add_certificate(issued.cert, [], issued.key, type=type, owner=owner, now=NOW).record


def domains(store, search):
    return sorted(r.domain for r in store.list(ListQuery(search=search), NOW))


def test_qualifiers_and_wildcards(store):
    add(store, "*.wild.example.com", "carol")
    add(store, "shop.example.com", "dave", type="self-signed")
    add(store, "api.example.com", "carol", type="auto")
    assert domains(store, "shop.wild.example.com") == ["*.wild.example.com"]
    assert domains(store, "owner:carol") == ["*.wild.example.com", "api.example.com"]
    assert domains(store, "owner:carol type:auto") == ["api.example.com"]
    assert domains(store, "type:self-signed example") == ["shop.example.com"]
    assert domains(store, "type:upload") == ["*.wild.example.com"]
    assert domains(store, "type:a") == []  # a type being typed matches nothing, at once
    assert domains(store, "issuer:shop.example") == ["shop.example.com"]  # self-signed: the issuer is the subject
    assert store.count(ListQuery(search="owner:carol"), NOW) == 2
