"""The paged, indexed list equals a plain query over the whole table, for every filter and sort."""

from __future__ import annotations

import itertools
import sqlite3

import pytest
from cryptography import x509

from sslterm.core.generate import generate_key, signing_request, subject_request
from sslterm.core.names import to_unicode
from sslterm.core.status import Bucket, in_bucket
from sslterm.store import ListQuery
from tests.factories import DAY, NOW, make_cert

SEARCHES = ["", "ex", "shop", "SHOP", "bü", "xn--", "www shop", "zz-nothing", "a"]
OWNERS = [None, "bob"]
SORTS = ["urgency", "domain", "name", "owner", "type", "created_at", "updated_at"]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    from sslterm.store import Store

    store = Store.open(tmp_path_factory.mktemp("paging") / "p.db", user="t")
    words = ["shop", "api", "mail", "bücher", "cdn", "www.shop", "ex", "a1", "portal", "vpn"]
    for i in range(160):
        word = words[i % len(words)]
        domain = f"{word}{i}.example" if i % 7 else f"{word}.ex{i}.example"
        ascii_domain = __import__("idna").encode(domain, uts46=True).decode()
        sans = [x509.DNSName(ascii_domain)] + ([x509.DNSName(f"www.{ascii_domain}")] if i % 3 == 0 else [])
        not_before = NOW - 60 * DAY if i % 11 else NOW + 2 * DAY  # a few not yet valid
        days = (i * 13) % 120 - 40
        days = days if i % 11 else abs(days) + 5
        issued = make_cert(ascii_domain, sans=sans, not_before=not_before, not_after=NOW + days * DAY, serial=i + 1)
        created = NOW - (i % 17) * DAY
        store.add_certificate(issued.cert, [], None, type=["existing", "auto", "self-signed"][i % 3],
                              owner=["alice", "bob", "carol"][i % 3], now=created, name=f"cert {i % 23}")
    for i in range(4):
        key = generate_key("ec256")
        store.add_request(signing_request(subject_request(f"pending{i}.shop.example"), key), key, owner="bob", now=NOW)
    store.delete(store.resolve("shop.ex0.example").id, NOW)  # archived rows never show
    yield store
    store.close()


def everything(store):
    """Every live row, read with a plain SELECT and turned into records one by one."""
    raw = sqlite3.connect(store.path)
    ids = [row[0] for row in raw.execute("SELECT id FROM certificate WHERE archived = 0")]
    raw.close()
    return [store.get(i) for i in ids]


def matches(record, search):
    names = [n.lower() for n in (record.domain, *record.sans)]
    names += [to_unicode(n).lower() for n in names]
    text = " ".join(names)
    from sslterm.core.names import to_ascii_query

    return all(term in text or to_ascii_query(term).lower() in text for term in search.lower().split())


def sort_key(sort):
    far = 253402300799
    return {
        "urgency": lambda r: (int(r.not_after.timestamp()) if r.not_after else far, r.id),
        "domain": lambda r: (r.domain, r.id), "name": lambda r: (r.name, r.id), "owner": lambda r: (r.owner, r.id),
        "type": lambda r: (r.type, r.id), "created_at": lambda r: (r.created_at, r.id), "updated_at": lambda r: (r.updated_at, r.id),
    }[sort]


@pytest.mark.parametrize("broad_term", [5000, 10], ids=["trigram-index", "broad-terms-scanned"])
def test_every_filter_and_sort_pages_like_a_plain_query(filled, broad_term, monkeypatch):
    from sslterm.store import queries

    monkeypatch.setattr(queries, "BROAD_TERM", broad_term)
    rows = everything(filled)
    checked = 0
    for search, owner in itertools.product(SEARCHES, OWNERS):
        subset = [r for r in rows if matches(r, search) and (owner is None or r.owner == owner)]
        counts = filled.counts(ListQuery(search=search, owner=owner), NOW)
        for bucket in Bucket:
            expected_ids = {r.id for r in subset if in_bucket(r.not_before, r.not_after, NOW, bucket)}
            assert counts[bucket] == len(expected_ids), (search, owner, bucket)
            for sort, descending in itertools.product(SORTS, (False, True)):
                query = ListQuery(bucket=bucket, search=search, owner=owner, sort=sort, descending=descending)
                expected = sorted((r for r in subset if r.id in expected_ids), key=sort_key(sort), reverse=descending)
                paged = []
                for offset in itertools.count(0, 7):
                    page = filled.list(query, NOW, limit=7, offset=offset)
                    paged += page
                    if len(page) < 7:
                        break
                assert [r.id for r in paged] == [r.id for r in expected], (search, owner, bucket, sort, descending)
                total = len(expected)  # with the count, pages past the middle are read from the end
                from_either_end = [r for offset in range(0, total + 7, 7) for r in filled.list(query, NOW, limit=7, offset=offset, total=total)]
                assert [r.id for r in from_either_end] == [r.id for r in expected], ("from the end", search, owner, bucket, sort, descending)
                checked += 1
    assert checked == len(SEARCHES) * len(OWNERS) * len(Bucket) * len(SORTS) * 2


def test_unfiltered_counts_come_from_index_ranges_and_match(filled):
    rows = everything(filled)
    counts = filled.counts(ListQuery(), NOW)
    for bucket in Bucket:
        assert counts[bucket] == sum(1 for r in rows if in_bucket(r.not_before, r.not_after, NOW, bucket))
    plan = " ".join(str(row) for row in filled.db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM certificate WHERE archived = 0 AND not_after <= ?", [0]))
    assert "USING COVERING INDEX certificate_window" in plan


def test_every_bucket_pages_from_the_expiry_index_without_sorting(filled):
    from sslterm.store.queries import list_query

    for bucket in Bucket:
        query = ListQuery(bucket=bucket)
        sql, params = list_query(query, NOW).limit(20).sql()
        plan = " ".join(str(row) for row in filled.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "certificate_expiry" in plan and "TEMP B-TREE" not in plan, (bucket, plan)


@pytest.mark.parametrize("sort", SORTS)
def test_a_selective_search_fetches_its_matches_by_id_instead_of_walking_an_index(filled, sort):
    """With few trigram matches, SQLite must not scan a sort index testing every row against them."""
    from sslterm.store.queries import list_query

    for bucket in (Bucket.ALL, Bucket.DAYS_30):
        query = ListQuery(search="shop1", sort=sort, bucket=bucket)
        sql, params = list_query(query, NOW).limit(20).sql()
        plan = " ".join(str(row) for row in filled.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "SEARCH t1 USING INTEGER PRIMARY KEY" in plan and "certificate_fts" in plan, plan


def test_the_owner_sort_walks_owners_by_name_without_sorting(filled):
    from sslterm.store.queries import list_query

    for bucket in Bucket:
        for descending in (False, True):
            query = ListQuery(bucket=bucket, sort="owner", descending=descending)
            sql, params = list_query(query, NOW).limit(20).sql()
            plan = " ".join(str(row) for row in filled.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "owner_name" in plan and "certificate_owner" in plan and "TEMP B-TREE" not in plan, (bucket, plan)
