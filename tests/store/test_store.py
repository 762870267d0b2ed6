"""The store: dedupe, history, archive, web-domains, renewal, and listing in SQL."""

from __future__ import annotations

import pytest
from cryptography import x509

from sslterm.core.errors import NotFoundError, ValidationError
from sslterm.core.generate import generate_key, signing_request, subject_request
from sslterm.core.status import Bucket
from sslterm.store import ListQuery
from tests.engines import both_engines  # noqa: F401 - runs on SQLite and PostgreSQL
from tests.factories import DAY, NOW, make_cert, make_chain


def add(store, issued, chain=(), key=True, owner="alice", type="existing", now=NOW, **kw):
    return store.add_certificate(issued.cert, list(chain), issued.key if key else None, type=type, owner=owner, now=now, **kw)


def test_add_then_read_back_every_listed_field(store):
    c = make_chain("shop.example.com", sans=[x509.DNSName("shop.example.com"), x509.DNSName("www.shop.example.com")])
    result = add(store, c.leaf, [c.intermediate.cert])
    rec = store.get(result.record.id)
    assert result.outcome == "imported"
    assert (rec.name, rec.domain, rec.owner, rec.type) == ("shop.example.com", "shop.example.com", "alice", "existing")
    assert rec.sans == ("shop.example.com", "www.shop.example.com")
    assert rec.not_after == c.leaf.cert.not_valid_after_utc
    assert rec.created_at == NOW and rec.has_key
    assert rec.web_domains == ("shop.example.com",)
    material = store.material(rec.id, with_key=True)
    assert material.certificate == c.leaf.cert and material.chain == [c.intermediate.cert]
    assert material.key.private_numbers() == c.leaf.key.private_numbers()
    assert store.material(rec.id).key is None  # the key is decrypted only when asked


def test_same_certificate_twice_is_recognised_and_a_later_key_is_added(store):
    leaf = make_cert("dup.example")
    first = add(store, leaf, key=False)
    again = add(store, leaf, key=False)
    with_key = add(store, leaf, key=True)
    assert (again.outcome, with_key.outcome) == ("present", "key added")
    assert again.record.id == first.record.id
    assert store.count(ListQuery(), NOW) == 1
    assert store.get(first.record.id).has_key


def test_key_mismatch_is_refused_and_nothing_is_written(store):
    leaf, other = make_cert("a.example"), make_cert("b.example")
    with pytest.raises(ValidationError, match="does not belong"):
        store.add_certificate(leaf.cert, [], other.key, type="existing", owner="x", now=NOW)
    assert store.count(ListQuery(), NOW) == 0


def test_delete_archives_and_history_keeps_it(store):
    rec = add(store, make_cert("gone.example")).record
    store.delete(rec.id, NOW + DAY)
    assert store.count(ListQuery(), NOW) == 0
    assert store.get(rec.id).archived
    kinds = [e.kind for e in store.history("gone.example")]
    assert kinds == ["deleted", "domain_detached", "domain_attached", "imported"]
    with pytest.raises(NotFoundError):
        store.resolve("gone.example")


def test_pending_request_is_completed_by_importing_the_issued_certificate(store):
    key = generate_key("ec256")
    req = subject_request("new.example", ["www.new.example"])
    pending = store.add_request(signing_request(req, key), key, owner="bob", now=NOW)
    assert pending.type == "request" and pending.status(NOW).value == "pending"
    issued = make_cert("new.example", key=key)
    result = store.add_certificate(issued.cert, [], None, type="existing", owner="bob", now=NOW + DAY)
    assert result.outcome == "attached" and result.record.id == pending.id
    assert store.get(pending.id).status(NOW + DAY).value == "valid"
    assert store.material(pending.id, with_key=True).key is not None


def test_attach_rejects_a_certificate_for_another_key(store):
    key = generate_key("ec256")
    pending = store.add_request(signing_request(subject_request("x.example"), key), key, owner="bob", now=NOW)
    with pytest.raises(ValidationError, match="does not match the request's key"):
        store.attach_issued(pending.id, make_cert("x.example").cert, [], NOW)


def test_web_domains_edit_and_replace_move_them_and_record_both_sides(store):
    a = add(store, make_cert("a.example", sans=[x509.DNSName("a.example"), x509.DNSName("*.a.example")])).record
    b = add(store, make_cert("b.example", sans=[x509.DNSName("b.example"), x509.DNSName("*.a.example"), x509.DNSName("a.example")])).record
    store.set_web_domains(a.id, ["a.example", "www.a.example"], NOW)
    assert store.get(a.id).web_domains == ("a.example", "www.a.example")
    with pytest.raises(Exception, match="space"):
        store.set_web_domains(a.id, ["bad name"], NOW)
    store.replace(a.id, b.id, NOW + DAY)
    assert store.get(a.id).web_domains == ()
    assert set(store.get(b.id).web_domains) == {"a.example", "b.example", "www.a.example"}
    assert any(e.kind == "replaced" and e.certificate.id == b.id for e in store.history("a.example"))
    assert any(e.kind == "replaced" and e.certificate.id == a.id for e in store.history("a.example"))


def test_replace_refuses_a_certificate_not_valid_for_the_domains(store):
    a = add(store, make_cert("a.example")).record
    c = add(store, make_cert("c.example")).record
    with pytest.raises(ValidationError, match="not valid for a.example"):
        store.replace(a.id, c.id, NOW)
    assert store.get(a.id).web_domains == ("a.example",)


def test_renew_makes_the_new_version_current(store):
    old = add(store, make_cert("r.example", not_after=NOW + 5 * DAY), type="self-signed").record
    new_cert = make_cert("r.example", not_after=NOW + 365 * DAY, serial=77)
    new = store.renew(old.id, new_cert.cert, [], new_cert.key, NOW)
    assert store.get(old.id).archived and not new.archived
    assert store.get(new.id).web_domains == ("r.example",)
    assert new.type == "self-signed" and new.owner == "alice"
    assert [r.id for r in store.list(ListQuery(), NOW)] == [new.id]


def test_list_filters_sort_and_counts_match_the_core_rules(store):
    specs = {"exp.example": -1, "d3.example": 3, "d7.example": 7, "d20.example": 20, "d90.example": 90}
    for i, (cn, days) in enumerate(specs.items()):
        add(store, make_cert(cn, not_after=NOW + days * DAY, serial=i + 1), owner="bob" if days > 10 else "alice")
    names = lambda q: [r.domain for r in store.list(q, NOW)]  # noqa: E731
    assert names(ListQuery()) == ["exp.example", "d3.example", "d7.example", "d20.example", "d90.example"]
    assert names(ListQuery(bucket=Bucket.EXPIRED)) == ["exp.example"]
    assert names(ListQuery(bucket=Bucket.DAYS_7)) == ["d3.example", "d7.example"]
    assert names(ListQuery(bucket=Bucket.DAYS_30)) == ["d3.example", "d7.example", "d20.example"]
    assert names(ListQuery(bucket=Bucket.VALID, owner="bob")) == ["d20.example", "d90.example"]
    assert names(ListQuery(search="D2")) == ["d20.example"]
    assert names(ListQuery(sort="domain", descending=True))[0] == "exp.example"
    counts = store.counts(ListQuery(), NOW)
    assert counts == {Bucket.ALL: 5, Bucket.EXPIRED: 1, Bucket.VALID: 4, Bucket.DAYS_7: 2, Bucket.DAYS_30: 3}
    assert store.list(ListQuery(), NOW, limit=2, offset=2)[0].domain == "d7.example"


def test_search_is_idn_aware(store):
    add(store, make_cert("xn--bcher-kva.example", sans=[x509.DNSName("xn--bcher-kva.example")]))
    for text in ("BÜCHER", "xn--bc", "bücher.ex"):
        assert [r.domain for r in store.list(ListQuery(search=text), NOW)] == ["xn--bcher-kva.example"], text


def test_resolve_by_id_domain_and_name(store):
    rec = add(store, make_cert("res.example"), name="Main site").record
    assert store.resolve(str(rec.id)).id == rec.id
    assert store.resolve("RES.example").id == rec.id
    assert store.resolve("Main site").id == rec.id
    with pytest.raises(NotFoundError, match="no certificate for"):
        store.resolve("nothing.example")


def test_a_query_is_abandoned_once_its_answer_is_no_longer_wanted(store):
    from sslterm.core.errors import Abandoned

    long_count = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) SELECT COUNT(*) FROM n"
    with store.abandon_when(lambda: False):
        assert store.db.execute_sql(long_count).fetchone()[0] == 2_000_000
    checks = []

    def replaced() -> bool:
        checks.append(1)
        return len(checks) > 3  # a newer query arrives while this one runs

    with pytest.raises(Abandoned), store.abandon_when(replaced):
        store.db.execute_sql(long_count).fetchone()
    assert store.db.execute_sql("SELECT COUNT(*) FROM certificate").fetchone()[0] == 0  # the connection still works
