"""Lineages: one live version per lineage, whichever way the versions arrive."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from sslterm.checker.run import CheckOptions, check_pass
from sslterm.core.discover import Scan
from sslterm.core.lineage import (
    CertbotPlace,
    Placement,
    Version,
    certbot_place,
    names_key,
    place,
)
from sslterm.store import ListQuery, Store
from sslterm.store.bulk import import_many, import_scan
from sslterm.store.checks import CheckStore
from tests.engines import both_engines  # noqa: F401 - runs on SQLite and PostgreSQL
from tests.factories import DAY, NOW, Issued, make_cert
from tests.store.old_schema import old_database

OWNER = "ops"


def versions(cn: str, count: int, sans: list[str] | None = None) -> list[Issued]:
    """``count`` successive certificates for the same names, each issued 30 days after the one before."""
    from cryptography import x509

    names = [x509.DNSName(n) for n in (sans or [cn])]
    start = NOW - 100 * DAY
    return [make_cert(cn, sans=names, not_before=start + i * 30 * DAY, not_after=start + i * 30 * DAY + 90 * DAY, serial=100 + i)
            for i in range(count)]


def certbot_tree(root: Path, lineage: str, issued: list[Issued]) -> Path:
    """certbot's layout: archive/<name>/certN.pem … and live/<name>/ links to the newest."""
    archive, live = root / "archive" / lineage, root / "live" / lineage
    archive.mkdir(parents=True)
    live.mkdir(parents=True)
    for number, item in enumerate(issued, start=1):
        (archive / f"cert{number}.pem").write_bytes(item.pem)
        (archive / f"privkey{number}.pem").write_bytes(item.key_pem)
    newest = len(issued)
    for part in ("cert", "privkey"):
        os.symlink(f"../../archive/{lineage}/{part}{newest}.pem", live / f"{part}.pem")
    return root


def live_rows(store: Store) -> list:
    return store.list(ListQuery(), NOW)


def lineage_of(store: Store, domain: str) -> list:
    return sorted(store.versions(domain), key=lambda r: r.version)


# ------------------------------------------------------------------- the rule


def test_certbot_places_come_from_the_layout(tmp_path):
    assert certbot_place("/etc/letsencrypt/archive/shop/cert3.pem") == CertbotPlace("shop", 3)
    assert certbot_place("/etc/letsencrypt/archive/shop/fullchain12.pem") == CertbotPlace("shop", 12)
    assert certbot_place("/etc/letsencrypt/live/shop/cert.pem") == CertbotPlace("shop", None)
    assert certbot_place("/etc/ssl/certs/shop.pem") is None
    tree = certbot_tree(tmp_path, "shop", versions("shop.example", 2))
    assert certbot_place(str(tree / "live" / "shop" / "cert.pem")) == CertbotPlace("shop", 2)  # the link's target


@pytest.mark.parametrize(("candidate", "current", "expected"), [
    (Version(NOW, NOW + 90 * DAY), None, Placement.NEW),
    (Version(NOW, NOW + 90 * DAY), Version(NOW - 30 * DAY, NOW + 60 * DAY), Placement.SUPERSEDES),
    (Version(NOW - 30 * DAY, NOW + 60 * DAY), Version(NOW, NOW + 90 * DAY), Placement.HISTORY),
    (Version(NOW, NOW + 90 * DAY), Version(NOW, NOW + 90 * DAY), Placement.HISTORY),  # not later: never two live
    (Version(NOW - 30 * DAY, NOW, 4), Version(NOW, NOW + 90 * DAY, 3), Placement.SUPERSEDES),  # certbot's N decides
])
def test_placement_is_decided_by_dates_or_certbot_numbers(candidate, current, expected):
    assert place(candidate, current) is expected


def test_names_are_compared_normalised():
    assert names_key(["WWW.Example.com.", "example.com"]) == names_key(["example.com", "www.example.com"])
    assert names_key(["a.example"]) != names_key(["a.example", "b.example"])


# ------------------------------------------------------------------- imports


def test_a_certbot_tree_is_one_live_row_per_lineage_whatever_the_order(store, tmp_path):
    shop, blog = versions("shop.example", 3), versions("blog.example", 1)
    tree = certbot_tree(tmp_path / "le", "shop", shop)
    certbot_tree(tree, "blog", blog)
    first = import_scan(store, Scan([tree / "live"]), owner=OWNER, now=NOW)
    assert [o.outcome for o in first] == ["imported", "imported"]
    later = import_scan(store, Scan([tree]), owner=OWNER, now=NOW + DAY)
    outcomes = {o.item.source.split("le/")[1]: (o.outcome, o.other_id) for o in later}
    current_id = first[1].cert_id if first[1].domain == "shop.example" else first[0].cert_id
    assert outcomes["archive/shop/cert1.pem"] == ("history", current_id)
    assert outcomes["archive/shop/cert2.pem"] == ("history", current_id)
    assert outcomes["archive/shop/cert3.pem"][0] == "present"
    live = live_rows(store)
    assert sorted(r.domain for r in live) == ["blog.example", "shop.example"]
    chain = lineage_of(store, "shop.example")
    assert [(r.serial, r.version, r.archived) for r in chain] == [("64", 1, True), ("65", 2, True), ("66", 3, False)]
    assert {r.lineage_id for r in chain} == {chain[0].lineage_id} and chain[-1].versions == 3
    assert store.resolve("shop.example").web_domains == ("shop.example",) and store.resolve("shop.example").serial == "66"


def test_the_whole_tree_at_once_orders_versions_by_certbot_number(store, tmp_path):
    tree = certbot_tree(tmp_path, "shop", versions("shop.example", 3))
    outcomes = import_scan(store, Scan([tree]), owner=OWNER, now=NOW)
    assert [o.outcome for o in outcomes] == ["imported", "superseded", "superseded"]
    assert outcomes[1].other_id == outcomes[0].cert_id and outcomes[2].other_id == outcomes[1].cert_id
    (live,) = live_rows(store)
    assert live.serial == "66" and live.version == 3 and live.has_key and live.web_domains == ("shop.example",)
    assert store.counts(ListQuery(), NOW)[ListQuery().bucket] == 1


def test_live_again_after_a_renewal_supersedes_and_keeps_the_domain(store, tmp_path):
    issued = versions("shop.example", 2)
    tree = certbot_tree(tmp_path / "a", "shop", issued[:1])
    (first,) = import_scan(store, Scan([tree / "live"]), owner=OWNER, now=NOW)
    checks = CheckStore(store)
    checks.add_endpoint("shop.example", "127.0.0.1", 8443, None, NOW)
    renewed = certbot_tree(tmp_path / "b", "shop", issued)
    (second,) = import_scan(store, Scan([renewed / "live"]), owner=OWNER, now=NOW + DAY)
    assert (second.outcome, second.other_id) == ("superseded", first.cert_id)
    (live,) = live_rows(store)
    assert live.id == second.cert_id and live.web_domains == ("shop.example",)
    assert live.created_at == NOW and live.updated_at == NOW + DAY  # seed 004: first creation, last renewal
    assert [e.certificate_id for e in checks.endpoints()] == [second.cert_id]
    assert store.get(first.cert_id).archived


def test_same_names_and_owner_with_a_later_start_supersede(store):
    old, new = versions("api.example", 2, sans=["api.example", "www.api.example"])
    a = store.add_certificate(old.cert, [], old.key, type="existing", owner=OWNER, now=NOW, supersede=True)
    b = store.add_certificate(new.cert, [], new.key, type="existing", owner=OWNER, now=NOW + DAY, supersede=True)
    assert (b.outcome, b.other_id) == ("superseded", a.record.id)
    assert [r.id for r in live_rows(store)] == [b.record.id]
    assert b.record.version == 2 and b.record.versions == 2 and b.record.created_at == NOW


def test_an_older_version_imported_later_goes_to_history_never_live(store):
    old, new = versions("api.example", 2)
    b = store.add_certificate(new.cert, [], None, type="existing", owner=OWNER, now=NOW, supersede=True)
    a = store.add_certificate(old.cert, [], None, type="existing", owner=OWNER, now=NOW + DAY, supersede=True)
    assert (a.outcome, a.other_id) == ("history", b.record.id)
    assert [r.id for r in live_rows(store)] == [b.record.id]
    assert [(r.id, r.version) for r in lineage_of(store, "api.example")] == [(a.record.id, 1), (b.record.id, 2)]
    assert store.add_certificate(old.cert, [], None, type="existing", owner=OWNER, now=NOW, supersede=True).outcome == "present"
    assert store.get(a.record.id).archived  # imported again, an older version stays history


def test_different_owners_or_name_sets_never_merge(store):
    old, new = versions("api.example", 2)
    other_names = versions("api.example", 3, sans=["api.example", "extra.example"])[2]
    store.add_certificate(old.cert, [], None, type="existing", owner="alice", now=NOW, supersede=True)
    assert store.add_certificate(new.cert, [], None, type="existing", owner="bob", now=NOW, supersede=True).outcome == "imported"
    assert store.add_certificate(other_names.cert, [], None, type="existing", owner="alice", now=NOW, supersede=True).outcome == "imported"
    assert len(live_rows(store)) == 3 and len({r.lineage_id for r in live_rows(store)}) == 3


def test_no_supersede_keeps_two_live_certificates(store, tmp_path):
    for number, item in enumerate(versions("bg.example", 2)):
        (tmp_path / f"{number}.pem").write_bytes(item.pem)
    outcomes = import_scan(store, Scan([tmp_path]), owner=OWNER, now=NOW, supersede=False)
    assert [o.outcome for o in outcomes] == ["imported", "imported"] and len(live_rows(store)) == 2


def test_bulk_and_single_imports_follow_the_same_rule(tmp_path):
    issued = versions("same.example", 3)
    for number, item in enumerate(issued):
        (tmp_path / f"v{number}.pem").write_bytes(item.pem)
    results = []
    for label, run in (("bulk", lambda s: import_many(s, Scan([tmp_path]).read_all(), owner=OWNER, now=NOW)),
                       ("single", lambda s: [s.add_certificate(i.cert, [], None, type="existing", owner=OWNER, now=NOW, supersede=True)
                                             for i in (issued[2], issued[0], issued[1])])):
        s = Store.open(tmp_path / label / "s.db", user="t")
        run(s)
        results.append(sorted((r.serial, r.version, r.archived) for r in s.versions("same.example")))
        s.close()
    assert results[0] == results[1] == [("64", 1, True), ("65", 2, True), ("66", 3, False)]


def test_an_import_that_fails_half_way_leaves_the_current_version_live(store):
    old, new = versions("keep.example", 2)
    kept = store.add_certificate(old.cert, [], old.key, type="existing", owner=OWNER, now=NOW, supersede=True).record
    with pytest.raises(OSError), store.batch():
        store.add_certificate(new.cert, [], new.key, type="existing", owner=OWNER, now=NOW + DAY, supersede=True)
        raise OSError(28, "No space left on device")  # what a full disk raises in the middle of a transaction
    assert live_rows(store) == [store.get(kept.id)] and store.get(kept.id).web_domains == ("keep.example",)
    assert store.material(kept.id, with_key=True).key is not None and len(store.versions("keep.example")) == 1


# ------------------------------------------------------------------- replace and attach


def test_replace_archives_the_replaced_certificate_and_continues_its_lineage(store):
    a = make_cert("www.shop.example", serial=1)
    b = make_cert("*.shop.example", serial=2, not_after=NOW + 300 * DAY)
    old = store.add_certificate(a.cert, [], None, type="existing", owner=OWNER, now=NOW).record
    new = store.add_certificate(b.cert, [], None, type="existing", owner=OWNER, now=NOW).record
    result = store.replace(old.id, new.id, NOW + DAY)
    assert [r.id for r in live_rows(store)] == [new.id] and store.get(old.id).archived
    assert result.lineage_id == old.lineage_id and (result.version, result.versions) == (2, 2)
    assert result.web_domains == ("www.shop.example",) and result.updated_at == NOW + DAY
    report = asyncio.run(check_pass(store, NOW + 85 * DAY, CheckOptions(renew=False, probe=False)))  # the old one has expired
    assert report.problems == [] and report.counts["all"] == 1


# ------------------------------------------------------------------- migration


def test_a_version_5_store_is_grouped_into_lineages(tmp_path, db_path):
    """Before lineages, a renewal chain and a re-import left several rows; afterwards one per lineage is live."""
    scratch_path = tmp_path / "scratch" / "s.db"
    scratch = Store.open(scratch_path, user="u")
    chain = versions("renewed.example", 2)
    first = scratch.add_certificate(chain[0].cert, [], chain[0].key, type="self-signed", owner=OWNER, now=NOW).record
    renewed = scratch.renew(first.id, chain[1].cert, [], chain[1].key, NOW + DAY)
    twice = versions("twice.example", 2)
    older = scratch.add_certificate(twice[0].cert, [], None, type="existing", owner=OWNER, now=NOW).record
    newer = scratch.add_certificate(twice[1].cert, [], None, type="existing", owner=OWNER, now=NOW + 2 * DAY).record  # no rule then
    alone = scratch.add_certificate(make_cert("alone.example").cert, [], None, type="existing", owner="other", now=NOW).record
    scratch.close()
    old_database(scratch_path, db_path, version=5)
    store = Store.open(db_path, user="u")
    live = {r.domain: r for r in live_rows(store)}
    assert sorted(live) == ["alone.example", "renewed.example", "twice.example"]
    assert live["renewed.example"].id == renewed.id and live["twice.example"].id == newer.id
    assert live["twice.example"].web_domains == ("twice.example",) and store.get(older.id).archived
    assert [(r.id, r.version) for r in lineage_of(store, "twice.example")] == [(older.id, 1), (newer.id, 2)]
    assert live["twice.example"].created_at == NOW and live["twice.example"].updated_at == NOW + 2 * DAY
    assert live["alone.example"].id == alone.id and live["alone.example"].versions == 1
    assert store.material(renewed.id, with_key=True).key is not None
    assert any(e.kind == "renewed" and "grouped into lineages" in e.detail for e in store.history("twice.example"))
    store.close()
