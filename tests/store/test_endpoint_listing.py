"""The checker's list of endpoints: every field, and what is held for each, in one query."""

from __future__ import annotations

import logging

from cryptography import x509

from sslterm.store.checks import CheckStore
from tests.factories import NOW, make_chain


def hold(store, name: str):
    chain = make_chain(name, sans=[x509.DNSName(name)])
    return store.add_certificate(chain.leaf.cert, [chain.intermediate.cert], chain.leaf.key, type="existing", owner="ops", now=NOW).record


def test_endpoints_list_what_is_held_for_each_in_one_query(store, caplog):
    held = [hold(store, f"s{i}.example") for i in range(3)]
    checks = CheckStore(store)
    added = [checks.add_endpoint(f"s{i}.example", "127.0.0.1", 8000 + i, None, NOW) for i in range(3)]
    added.append(checks.add_endpoint("bare.example", "127.0.0.1", 9000, "sni.example", NOW, protocol="smtp"))
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        listed = checks.endpoints()
    assert len([r for r in caplog.records if r.name == "peewee"]) == 1  # not one more query per held certificate
    assert sorted(listed, key=lambda r: r.id) == sorted(added, key=lambda r: r.id)  # the same records as each was added
    by_domain = {r.domain: r for r in listed}
    for i, record in enumerate(held):
        endpoint = by_domain[f"s{i}.example"]
        assert (endpoint.certificate_id, endpoint.expected_sha256, endpoint.lineage_id, endpoint.version) == \
            (record.id, record.fingerprint_sha256, record.lineage_id, record.version)
    bare = by_domain["bare.example"]
    assert (bare.certificate_id, bare.expected_sha256, bare.lineage_id, bare.sni, bare.protocol) == (None, None, None, "sni.example", "smtp")
    assert [r.domain for r in listed] == ["bare.example", "s0.example", "s1.example", "s2.example"]
