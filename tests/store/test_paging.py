"""The paged, indexed list equals a plain query over the whole table, for every filter and sort."""

from __future__ import annotations

import itertools

import pytest
from cryptography import x509

from sslterm.core.generate import generate_key, signing_request, subject_request
from sslterm.core.names import to_unicode
from sslterm.core.status import Bucket, in_bucket
from sslterm.store import ListQuery
from tests.engines import PG_PASSPHRASE, drop_database, new_database
from tests.factories import DAY, NOW, make_cert

SEARCHES = ["", "ex", "shop", "SHOP", "bü", "xn--", "www shop", "zz-nothing", "a"]
OWNERS = [None, "bob"]
PG_SEARCHES = ["", "shop", "SHOP", "bü", "www shop", "zz-nothing"]
PG_OWNERS = [None]
SORTS = ["urgency", "domain", "name", "owner", "type", "created_at", "updated_at"]


def _fill(store):
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


@pytest.fixture
def pg_filled(pg_rows):
    return pg_rows.use()


@pytest.fixture
def sqlite_filled(sqlite_rows):
    return sqlite_rows.use()


@pytest.fixture(scope="module")
def pg_rows(request):
    """The same rows in PostgreSQL (its own collation, LIKE and trigram index against the plain query)."""
    from sslterm.store import Store

    server = request.getfixturevalue("pg_server")
    location = new_database(server)
    store = Store.open(location, user="t", passphrase=PG_PASSPHRASE)
    _fill(store)
    yield store
    store.close()
    drop_database(server, location)


@pytest.fixture(scope="module")
def sqlite_rows(tmp_path_factory):
    """The same rows in SQLite alone, for the tests that read SQLite's query plans."""
    from sslterm.store import Store

    store = Store.open(tmp_path_factory.mktemp("plans") / "p.db", user="t")
    _fill(store)
    yield store
    store.close()


def everything(store):
    """Every live row, read with a plain SELECT and turned into records one by one."""
    ids = [row[0] for row in store.db.execute_sql("SELECT id FROM certificate WHERE archived = 0")]
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


# On PostgreSQL one run covers both paths (selective terms by the index, broad ones scanned),
# with bigger pages: each query is a round trip, and the paging code is the engines' shared code.
@pytest.mark.parametrize(("engine", "broad_term", "size"), [("sqlite", 5000, 7), ("sqlite", 10, 7), ("postgresql", 10, 25)],
                         ids=["sqlite-trigram-index", "sqlite-broad-terms-scanned", "postgresql-both"])
def test_every_filter_and_sort_pages_like_a_plain_query(request, engine, broad_term, size, monkeypatch):
    from sslterm.store import queries

    filled = request.getfixturevalue("sqlite_filled" if engine == "sqlite" else "pg_filled")
    monkeypatch.setattr(queries, "BROAD_TERM", broad_term)
    rows = everything(filled)
    checked = 0
    # PostgreSQL: the searches that take each path (empty, broad, case, two forms, two terms, none) and one owner
    searches, owners = (SEARCHES, OWNERS) if engine == "sqlite" else (PG_SEARCHES, PG_OWNERS)
    for search, owner in itertools.product(searches, owners):
        subset = [r for r in rows if matches(r, search) and (owner is None or r.owner == owner)]
        counts = filled.counts(ListQuery(search=search, owner=owner), NOW)
        for bucket in Bucket:
            expected_ids = {r.id for r in subset if in_bucket(r.not_before, r.not_after, NOW, bucket)}
            assert counts[bucket] == len(expected_ids), (search, owner, bucket)
            for sort, descending in itertools.product(SORTS, (False, True)):
                query = ListQuery(bucket=bucket, search=search, owner=owner, sort=sort, descending=descending)
                expected = sorted((r for r in subset if r.id in expected_ids), key=sort_key(sort), reverse=descending)
                paged = []
                for offset in itertools.count(0, size):
                    page = filled.list(query, NOW, limit=size, offset=offset)
                    paged += page
                    if len(page) < size:
                        break
                assert [r.id for r in paged] == [r.id for r in expected], (search, owner, bucket, sort, descending)
                total = len(expected)  # with the count, pages past the middle are read from the end
                from_either_end = [r for offset in range(0, total + size, size) for r in filled.list(query, NOW, limit=size, offset=offset, total=total)]
                assert [r.id for r in from_either_end] == [r.id for r in expected], ("from the end", search, owner, bucket, sort, descending)
                checked += 1
    assert checked == len(searches) * len(owners) * len(Bucket) * len(SORTS) * 2


def test_unfiltered_counts_come_from_index_ranges_and_match(sqlite_filled):
    rows = everything(sqlite_filled)
    counts = sqlite_filled.counts(ListQuery(), NOW)
    for bucket in Bucket:
        assert counts[bucket] == sum(1 for r in rows if in_bucket(r.not_before, r.not_after, NOW, bucket))
    plan = " ".join(str(row) for row in sqlite_filled.db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM certificate WHERE archived = 0 AND not_after <= ?", [0]))
    assert "USING COVERING INDEX certificate_window" in plan


def test_every_bucket_pages_from_the_expiry_index_without_sorting(sqlite_filled):
    from sslterm.store.queries import list_query

    for bucket in Bucket:
        query = ListQuery(bucket=bucket)
        sql, params = list_query(query, NOW).limit(20).sql()
        plan = " ".join(str(row) for row in sqlite_filled.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "certificate_expiry" in plan and "TEMP B-TREE" not in plan, (bucket, plan)


@pytest.mark.parametrize("sort", SORTS)
def test_a_selective_search_fetches_its_matches_by_id_instead_of_walking_an_index(sqlite_filled, sort):
    """With few trigram matches, SQLite must not scan a sort index testing every row against them."""
    from sslterm.store.queries import list_query

    for bucket in (Bucket.ALL, Bucket.DAYS_30):
        query = ListQuery(search="shop1", sort=sort, bucket=bucket)
        sql, params = list_query(query, NOW).limit(20).sql()
        plan = " ".join(str(row) for row in sqlite_filled.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "SEARCH t1 USING INTEGER PRIMARY KEY" in plan and "certificate_fts" in plan, plan


def test_the_owner_sort_walks_owners_by_name_without_sorting(sqlite_filled):
    from sslterm.store.queries import list_query

    for bucket in Bucket:
        for descending in (False, True):
            query = ListQuery(bucket=bucket, sort="owner", descending=descending)
            sql, params = list_query(query, NOW).limit(20).sql()
            plan = " ".join(str(row) for row in sqlite_filled.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "owner_name" in plan and "certificate_owner" in plan and "TEMP B-TREE" not in plan, (bucket, plan)
