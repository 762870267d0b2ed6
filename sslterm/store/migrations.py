"""Numbered schema migrations, from the first schema on.

Each migration is frozen SQL (never generated from the current models, which
move on), runs once inside an IMMEDIATE transaction, and bumps
``schema_version``. Add new ones at the end; never edit a released one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from peewee import Database

from sslterm.core.errors import StoreError
from sslterm.store.audit import chain_existing
from sslterm.store.lineage_upgrade import group_into_lineages
from sslterm.store.models import Setting

if TYPE_CHECKING:
    from sslterm.store.engines.sqlite import SqliteEngine

Step = str | Callable[[Database], None]  # frozen SQL, or a frozen function of raw SQL

V1_INITIAL = [
    'CREATE TABLE "owner" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "owner_name" ON "owner" ("name")',
    'CREATE TABLE "certificate" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "name" TEXT NOT NULL, "domain" TEXT NOT NULL, "owner_id" INTEGER NOT NULL, "type" VARCHAR(255) NOT NULL, "not_before" INTEGER, "not_after" INTEGER, "created_at" INTEGER NOT NULL, "updated_at" INTEGER NOT NULL, "issuer" TEXT NOT NULL, "subject" TEXT NOT NULL, "serial" TEXT NOT NULL, "fingerprint_sha256" VARCHAR(255), "public_key_sha256" VARCHAR(255) NOT NULL, "key_description" TEXT NOT NULL, "sans_json" TEXT NOT NULL, "search" TEXT NOT NULL, "cert_pem" TEXT, "chain_pem" TEXT NOT NULL, "csr_pem" TEXT, "key_blob" BLOB, "archived" INTEGER NOT NULL, "archived_at" INTEGER, "renew_before_days" INTEGER, "previous_id" INTEGER, FOREIGN KEY ("owner_id") REFERENCES "owner" ("id") ON DELETE RESTRICT, FOREIGN KEY ("previous_id") REFERENCES "certificate" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "certificate_uid" ON "certificate" ("uid")',
    'CREATE INDEX "certificate_owner_id" ON "certificate" ("owner_id")',
    'CREATE UNIQUE INDEX "certificate_fingerprint_sha256" ON "certificate" ("fingerprint_sha256")',
    'CREATE INDEX "certificate_public_key_sha256" ON "certificate" ("public_key_sha256")',
    'CREATE INDEX "certificate_previous_id" ON "certificate" ("previous_id")',
    'CREATE TABLE "certificatename" ("id" INTEGER NOT NULL PRIMARY KEY, "certificate_id" INTEGER NOT NULL, "name" VARCHAR(255) NOT NULL, FOREIGN KEY ("certificate_id") REFERENCES "certificate" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "certificatename_certificate_id" ON "certificatename" ("certificate_id")',
    'CREATE INDEX "certificatename_name" ON "certificatename" ("name")',
    'CREATE TABLE "event" ("id" INTEGER NOT NULL PRIMARY KEY, "at" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "certificate_id" INTEGER, "domain" VARCHAR(255), "user" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL, FOREIGN KEY ("certificate_id") REFERENCES "certificate" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "event_at" ON "event" ("at")',
    'CREATE INDEX "event_certificate_id" ON "event" ("certificate_id")',
    'CREATE INDEX "event_domain" ON "event" ("domain")',
    'CREATE TABLE "setting" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
    'CREATE TABLE "webdomain" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "certificate_id" INTEGER, FOREIGN KEY ("certificate_id") REFERENCES "certificate" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "webdomain_name" ON "webdomain" ("name")',
    'CREATE INDEX "webdomain_certificate_id" ON "webdomain" ("certificate_id")',
    'CREATE INDEX certificate_list ON certificate (archived, not_after, id)',
    'CREATE INDEX certificate_owner ON certificate (owner_id, archived)',
    'CREATE INDEX certificate_updated ON certificate (archived, updated_at, id)',
    'CREATE UNIQUE INDEX certificatename_unique ON certificatename (certificate_id, name)',
    'CREATE INDEX event_certificate ON event (certificate_id, id)',
]

V2_CHECKER = [
    'ALTER TABLE "certificate" ADD COLUMN "renewal_failures" INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE "certificate" ADD COLUMN "renewal_error" TEXT',
    'ALTER TABLE "certificate" ADD COLUMN "renewal_failed_at" INTEGER',
    'ALTER TABLE "certificate" ADD COLUMN "next_renewal_at" INTEGER',
    'CREATE TABLE "endpoint" ("id" INTEGER NOT NULL PRIMARY KEY, "web_domain_id" INTEGER NOT NULL, "host" VARCHAR(255) NOT NULL, '
    '"port" INTEGER NOT NULL, "sni" VARCHAR(255), "last_probe_at" INTEGER, "last_error" TEXT, "served_sha256" VARCHAR(255), '
    '"served_not_after" INTEGER, "served_chain_length" INTEGER, "drift" INTEGER, "trusted" INTEGER, "trust_reason" TEXT, '
    'FOREIGN KEY ("web_domain_id") REFERENCES "webdomain" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "endpoint_address" ON "endpoint" ("web_domain_id", "host", "port")',
]

# Scale: an expiry sort key that puts pending requests last and can be read from an
# index in both directions, sort indexes, and a trigram full-text index over every
# name of every certificate (substring search without scanning the table).
V3_SCALE = [
    'ALTER TABLE "certificate" ADD COLUMN "expiry_order" INTEGER GENERATED ALWAYS AS (COALESCE("not_after", 253402300799)) VIRTUAL',
    'CREATE INDEX "certificate_expiry" ON "certificate" ("archived", "expiry_order", "id")',
    'CREATE INDEX "certificate_start" ON "certificate" ("archived", "not_before", "not_after")',
    'CREATE INDEX "certificate_domain_sort" ON "certificate" ("archived", "domain", "id")',
    'CREATE INDEX "certificate_name_sort" ON "certificate" ("archived", "name", "id")',
    'CREATE INDEX "certificate_created_sort" ON "certificate" ("archived", "created_at", "id")',
    'CREATE INDEX "certificate_type_sort" ON "certificate" ("archived", "type", "id")',
    "CREATE VIRTUAL TABLE certificate_fts USING fts5(search, content='certificate', content_rowid='id', tokenize='trigram')",
    'INSERT INTO certificate_fts(rowid, search) SELECT id, search FROM certificate',
    # No insert trigger: a trigger costs ~35 us a row against ~6 us for the batched insert
    # the store does itself (Store._index_search, bulk._insert_fresh).
    'CREATE TRIGGER certificate_fts_delete AFTER DELETE ON certificate BEGIN '
    "INSERT INTO certificate_fts(certificate_fts, rowid, search) VALUES ('delete', old.id, old.search); END",
    'CREATE TRIGGER certificate_fts_update AFTER UPDATE OF search ON certificate WHEN old.search IS NOT new.search BEGIN '
    "INSERT INTO certificate_fts(certificate_fts, rowid, search) VALUES ('delete', old.id, old.search); "
    'INSERT INTO certificate_fts(rowid, search) VALUES (new.id, new.search); END',
]

V4_AUTO_SSL = [
    'CREATE TABLE "acmeaccount" ("id" INTEGER NOT NULL PRIMARY KEY, "directory" TEXT NOT NULL, "email" TEXT NOT NULL, '
    '"uid" VARCHAR(255) NOT NULL, "key_blob" BLOB NOT NULL, "account_url" TEXT, "created_at" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "acmeaccount_directory_email" ON "acmeaccount" ("directory", "email")',
    'CREATE TABLE "acmesetting" ("id" INTEGER NOT NULL PRIMARY KEY, "certificate_id" INTEGER NOT NULL, "directory" TEXT NOT NULL, '
    '"email" TEXT NOT NULL, "challenge" VARCHAR(255) NOT NULL, "webroot" TEXT, "port" INTEGER, "ca_bundle" TEXT, '
    '"key_type" VARCHAR(255) NOT NULL, FOREIGN KEY ("certificate_id") REFERENCES "certificate" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "acmesetting_certificate" ON "acmesetting" ("certificate_id")',
]

# Bulk import: every index is written on every insert, and these three are the
# leading column of another index on the same table, which serves the same lookups.
# Counts: the 7- and 30-day buckets are an expiry range less its not-yet-valid rows;
# with not_before in the expiry index both are read from one short index range.
V5_LEANER_INDEXES = [
    'DROP INDEX "certificate_owner_id"',  # certificate_owner (owner_id, archived)
    'DROP INDEX "certificatename_certificate_id"',  # certificatename_unique (certificate_id, name)
    'DROP INDEX "event_certificate_id"',  # event_certificate (certificate_id, id)
    'CREATE INDEX "certificate_window" ON "certificate" ("archived", "not_after", "not_before")',
    'DROP INDEX "certificate_list"',  # (archived, not_after, id): certificate_window serves it
]

# Lineages: a certificate's versions are one life (sslterm.core.lineage). The list's
# Create At is the lineage's first creation, kept on every version; added_at is the
# version's own. Existing rows are grouped by the rule (lineage_upgrade).
V6_LINEAGES: list[Step] = [
    'CREATE TABLE "lineage" ("id" INTEGER NOT NULL PRIMARY KEY, "owner_id" INTEGER NOT NULL, "names_key" TEXT NOT NULL, '
    '"certbot_name" TEXT, FOREIGN KEY ("owner_id") REFERENCES "owner" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "lineage_names" ON "lineage" ("names_key", "owner_id")',
    'CREATE INDEX "lineage_certbot" ON "lineage" ("certbot_name", "owner_id") WHERE "certbot_name" IS NOT NULL',
    'ALTER TABLE "certificate" ADD COLUMN "lineage_id" INTEGER REFERENCES "lineage" ("id")',
    'ALTER TABLE "certificate" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1',
    'ALTER TABLE "certificate" ADD COLUMN "added_at" INTEGER',
    'CREATE INDEX "certificate_lineage" ON "certificate" ("lineage_id", "version")',
    group_into_lineages,
]

V7_DEPLOY: list[Step] = [
    'CREATE TABLE "deploytarget" ("id" INTEGER NOT NULL PRIMARY KEY, "lineage_id" INTEGER NOT NULL, "uid" VARCHAR(255) NOT NULL, '
    '"parts_json" TEXT NOT NULL, "file_owner" VARCHAR(255), "file_group" VARCHAR(255), "mode" INTEGER, "key_mode" INTEGER, '
    '"check_json" TEXT, "reload_json" TEXT, "shell" INTEGER NOT NULL DEFAULT 0, "timeout" INTEGER NOT NULL DEFAULT 30, '
    '"pfx_password_blob" BLOB, "created_at" INTEGER NOT NULL, "last_at" INTEGER, "last_result" VARCHAR(255), '
    '"last_certificate_id" INTEGER, "last_message" TEXT, '
    'FOREIGN KEY ("lineage_id") REFERENCES "lineage" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("last_certificate_id") REFERENCES "certificate" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "deploytarget_uid" ON "deploytarget" ("uid")',
    'CREATE INDEX "deploytarget_lineage_id" ON "deploytarget" ("lineage_id")',
]

# Audit: the history becomes a hash chain (sslterm.store.audit), existing events hashed in id order.
V8_AUDIT_CHAIN: list[Step] = [
    'ALTER TABLE "event" ADD COLUMN "hash" VARCHAR(64)',
    chain_existing,
]

# Alerting: thresholds per lineage, a trust bundle per endpoint, channels, open findings and an outbox.
V9_ALERTING: list[Step] = [
    'ALTER TABLE "lineage" ADD COLUMN "warn_days" INTEGER',
    'ALTER TABLE "lineage" ADD COLUMN "crit_days" INTEGER',
    'ALTER TABLE "endpoint" ADD COLUMN "ca_bundle" TEXT',
    'CREATE TABLE "channel" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "url_blob" BLOB NOT NULL, '
    '"shown_url" TEXT NOT NULL, "owner" VARCHAR(255), "label" TEXT NOT NULL DEFAULT \'\', '
    '"min_severity" VARCHAR(255) NOT NULL DEFAULT \'WARNING\', "created_at" INTEGER NOT NULL, "last_sent_at" INTEGER, '
    '"last_error" TEXT, "failing_since" INTEGER)',
    'CREATE UNIQUE INDEX "channel_uid" ON "channel" ("uid")',
    'CREATE TABLE "finding" ("id" INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, '
    '"severity" VARCHAR(255) NOT NULL, "level" VARCHAR(255) NOT NULL, "domain" TEXT NOT NULL, "endpoint" TEXT, '
    '"certificate_id" INTEGER, "owner" VARCHAR(255), "message" TEXT NOT NULL, "code" VARCHAR(255) NOT NULL DEFAULT \'\', '
    '"not_after" INTEGER, "first_seen" INTEGER NOT NULL, "last_seen" INTEGER NOT NULL, "notified_level" VARCHAR(255), '
    '"notified_at" INTEGER, "ack_until" INTEGER, "ack_level" VARCHAR(255), "ack_by" VARCHAR(255))',
    'CREATE UNIQUE INDEX "finding_key" ON "finding" ("key")',
    'CREATE TABLE "outbox" ("id" INTEGER NOT NULL PRIMARY KEY, "channel_id" INTEGER NOT NULL, "created_at" INTEGER NOT NULL, '
    '"title" TEXT NOT NULL, "body" TEXT NOT NULL, "attempts" INTEGER NOT NULL DEFAULT 0, "next_attempt_at" INTEGER NOT NULL, '
    '"last_error" TEXT, "sent_at" INTEGER, FOREIGN KEY ("channel_id") REFERENCES "channel" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "outbox_channel_id" ON "outbox" ("channel_id")',
    'CREATE INDEX "outbox_created_at" ON "outbox" ("created_at")',
    'CREATE INDEX "outbox_sent_at" ON "outbox" ("sent_at")',
]

# Reach: an endpoint speaks a protocol before TLS (sslterm.core.endpoints), plain TLS for every existing one.
V10_PROTOCOLS: list[Step] = [
    'ALTER TABLE "endpoint" ADD COLUMN "protocol" VARCHAR(255) NOT NULL DEFAULT \'tls\'',
]

# Teams: key slots (sslterm.store.keyslots: each operator's secret unwraps the same data
# key) and leases (sslterm.store.claims: what a checker has claimed, until when).
V11_TEAMS: list[Step] = [
    'CREATE TABLE "keyslot" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "label" TEXT NOT NULL, '
    '"kind" VARCHAR(255) NOT NULL, "public_key" BLOB NOT NULL, "wrapped_private" BLOB NOT NULL, "sealed_key" BLOB NOT NULL, '
    '"created_at" INTEGER NOT NULL, "created_by" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "keyslot_uid" ON "keyslot" ("uid")',
    'CREATE UNIQUE INDEX "keyslot_label" ON "keyslot" ("label")',
    'CREATE TABLE "lease" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "item_id" INTEGER NOT NULL, '
    '"holder" VARCHAR(255) NOT NULL, "until" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "lease_item" ON "lease" ("kind", "item_id")',
]

# Search on PostgreSQL: the names move to a narrow table of their own (sslterm.store.engines.postgres).
# SQLite's FTS5 table already is one: nothing to do here.
V12_SEARCH_TABLE: list[Step] = []

MIGRATIONS: list[list[Step]] = [V1_INITIAL, V2_CHECKER, V3_SCALE, V4_AUTO_SSL, V5_LEANER_INDEXES, V6_LINEAGES, V7_DEPLOY, V8_AUDIT_CHAIN,
                                V9_ALERTING, V10_PROTOCOLS, V11_TEAMS, V12_SEARCH_TABLE]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(db: Database) -> int:
    if not db.table_exists("setting"):
        return 0
    row = Setting.get_or_none(Setting.key == "schema_version")
    return int(row.value) if row else 0


def put_setting(key: str, value: str) -> None:
    """Set one setting (an upsert both engines speak)."""
    Setting.insert(key=key, value=value).on_conflict(conflict_target=[Setting.key], update={Setting.value: value}).execute()


def migrate(engine: SqliteEngine) -> int:
    """Bring the schema up to date in the engine's own dialect; returns the version reached."""
    db, steps = engine.db, engine.migrations()
    assert len(steps) == SCHEMA_VERSION, "every engine has every numbered migration"
    with db.atomic():
        engine.decide("migrate")
        version = current_version(db)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the database has schema version {version}, newer than this sslterm ({SCHEMA_VERSION}): upgrade sslterm"
            )
        for number in range(version, SCHEMA_VERSION):
            for step in steps[number]:
                if isinstance(step, str):
                    db.execute_sql(step)
                else:
                    step(db)  # type: ignore[operator]
            put_setting("schema_version", str(number + 1))
    return SCHEMA_VERSION
