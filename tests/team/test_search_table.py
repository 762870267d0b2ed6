"""PostgreSQL's search table (schema 12): every certificate's names, kept in step with the certificates."""

from __future__ import annotations

import pytest

from sslterm.store import ListQuery, Store
from tests.factories import NOW
from tests.tui.conftest import add


@pytest.fixture
def engine() -> str:
    return "postgresql"


def found(store: Store, search: str) -> list[str]:
    return sorted(r.domain for r in store.list(ListQuery(search=search), NOW))


def search_rows(store: Store) -> dict[int, str]:
    return dict(store.db.execute_sql('SELECT "id", "search" FROM "certificate_search"').fetchall())


def test_a_store_made_before_the_search_table_finds_its_certificates_after_the_upgrade(store, location):
    for serial, name in enumerate(["shop.example.com", "owl.example.net", "xn--bcher-kva.example"], start=1):
        add(store, name, 30, serial=serial)
    # Back to schema 11 as it was: the names only in the certificate table, its trigram index there.
    for step in ['DROP TABLE "certificate_search"', "DROP FUNCTION sslterm_search_changed() CASCADE",
                 'CREATE INDEX "certificate_search_trgm" ON "certificate" USING gin ("search" gin_trgm_ops)',
                 "UPDATE setting SET value = '11' WHERE key = 'schema_version'"]:
        store.db.execute_sql(step)
    store.close()

    upgraded = Store.open(location, user="tester")
    try:
        assert upgraded.db.execute_sql("SELECT value FROM setting WHERE key = 'schema_version'").fetchone()[0] == "12"
        assert len(search_rows(upgraded)) == 3
        assert found(upgraded, "shop") == ["shop.example.com"]  # by trigrams
        assert found(upgraded, "ow") == ["owl.example.net"]  # too short for trigrams: a scan of the narrow table
        assert found(upgraded, "bücher") == found(upgraded, "xn--bcher") == ["xn--bcher-kva.example"]  # either form
    finally:
        upgraded.close()


def test_new_and_changed_names_are_found_and_nothing_else(store):
    first = add(store, "alpha.example.com", 30, serial=1)
    second = add(store, "beta.example.com", 60, sans=["beta.example.com", "www.beta.example.com"], serial=2)
    rows = search_rows(store)
    assert set(rows) == {first.id, second.id} and "www.beta.example.com" in rows[second.id]

    store.db.execute_sql('UPDATE "certificate" SET "search" = ? WHERE "id" = ?', ["gamma.example.org", first.id])  # names that change
    assert found(store, "gamma") == ["alpha.example.com"] and found(store, "alpha") == []
    store.db.execute_sql('UPDATE "certificate" SET "not_after" = "not_after" WHERE "id" = ?', [second.id])  # other columns: untouched
    assert search_rows(store)[second.id] == rows[second.id]


def test_a_term_with_a_covering_wildcard_is_one_lookup_not_a_scan(store):
    """The names a term matches and the wildcard that covers it are one set of ids: no row is read to find none."""
    from sslterm.store.queries import list_query

    add(store, "*.api3.example.com", 30, serial=1)
    add(store, "api3.example.com", 30, serial=2)
    assert found(store, "x.api3.example.com") == ["*.api3.example.com"]
    sql, params = list_query(ListQuery(search="x.api3.example.com"), NOW).limit(20).sql()
    plan = "\n".join(row[0] for row in store.db.execute_sql("EXPLAIN " + sql, params).fetchall())
    assert "certificatename_name" in plan and "Append" in plan, plan  # the ids the search table found, and the wildcard
    assert "hashed SubPlan" not in plan, plan  # the plan that tested every certificate against both sets
