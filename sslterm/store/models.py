"""Peewee models. They carry no database: :func:`sslterm.store.db.open_database` binds them."""

from __future__ import annotations

from datetime import UTC, datetime

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


class UtcField(IntegerField):
    """An aware UTC datetime kept as integer seconds since the epoch (sortable, indexable)."""

    def db_value(self, value: datetime | None) -> int | None:  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where aware UTC is required")
        return int(value.timestamp())

    def python_value(self, value: int | None) -> datetime | None:  # type: ignore[override]
        return None if value is None else datetime.fromtimestamp(value, UTC)


class BaseModel(Model):
    pass


class Setting(BaseModel):
    """Key/value facts about the database itself (schema version, key check)."""

    key = CharField(primary_key=True)
    value = TextField()


class Owner(BaseModel):
    """The ISPmanager 'Username': who a certificate belongs to."""

    name = CharField(unique=True)


class Lineage(BaseModel):
    """The succession of certificates that serve one purpose; only its newest version is live."""

    owner = ForeignKeyField(Owner, backref="lineages", on_delete="RESTRICT")
    names_key = TextField()  # the current version's names, as sslterm.core.lineage.names_key
    certbot_name = TextField(null=True)  # certbot's live/<name>, when read from a certbot tree
    warn_days = IntegerField(null=True)  # thresholds set on this lineage (sslterm.core.thresholds), taken as set
    crit_days = IntegerField(null=True)


class Certificate(BaseModel):
    """A certificate, or a pending request, with inspected fields kept as columns for listing."""

    uid = CharField(unique=True)  # bound into the key's encryption, so a blob cannot move rows
    name = TextField()
    domain = TextField()
    owner = ForeignKeyField(Owner, backref="certificates", on_delete="RESTRICT")
    type = CharField()
    not_before = UtcField(null=True)
    not_after = UtcField(null=True)
    created_at = UtcField()  # the lineage's first version was created (seed 004's Create At)
    updated_at = UtcField()  # a version last replaced the previous one (seed 004's Update At)
    issuer = TextField(default="")
    subject = TextField(default="")
    serial = TextField(default="")
    fingerprint_sha256 = CharField(null=True, unique=True)
    public_key_sha256 = CharField(index=True)
    key_description = TextField(default="")
    sans_json = TextField(default="[]")
    search = TextField(default="")  # every name, lower-case, ASCII and Unicode forms
    cert_pem = TextField(null=True)
    chain_pem = TextField(default="")
    csr_pem = TextField(null=True)
    key_blob = BlobField(null=True)
    archived = BooleanField(default=False)
    archived_at = UtcField(null=True)
    renew_before_days = IntegerField(null=True)
    previous = ForeignKeyField("self", null=True, backref="successors", on_delete="SET NULL")
    renewal_failures = IntegerField(default=0)
    renewal_error = TextField(null=True)
    renewal_failed_at = UtcField(null=True)
    next_renewal_at = UtcField(null=True)  # after a failure: not before this (back-off)
    lineage = ForeignKeyField(Lineage, null=True, backref="versions")
    version = IntegerField(default=1)  # 1 for the lineage's first version
    added_at = UtcField(null=True)  # when this version was stored (created_at is the lineage's)


class CertificateName(BaseModel):
    """Every DNS/IP name of a certificate (kept after archiving, for per-domain history)."""

    certificate = ForeignKeyField(Certificate, backref="names", on_delete="CASCADE")
    name = CharField(index=True)


class WebDomain(BaseModel):
    """A web-domain and the certificate that serves it (ISPmanager 'Change certificate')."""

    name = CharField(unique=True)
    certificate = ForeignKeyField(Certificate, backref="web_domains", null=True, on_delete="SET NULL")


class Endpoint(BaseModel):
    """A host:port (with optional SNI) where a web-domain is served, and its last probe."""

    web_domain = ForeignKeyField(WebDomain, backref="endpoints", on_delete="CASCADE")
    host = CharField()
    port = IntegerField()
    sni = CharField(null=True)
    last_probe_at = UtcField(null=True)
    last_error = TextField(null=True)
    served_sha256 = CharField(null=True)
    served_not_after = UtcField(null=True)
    served_chain_length = IntegerField(null=True)
    drift = BooleanField(null=True)
    trusted = BooleanField(null=True)
    trust_reason = TextField(null=True)
    ca_bundle = TextField(null=True)  # a PEM file of extra trust anchors for this endpoint
    protocol = CharField(default="tls")  # spoken before TLS: sslterm.core.endpoints.PROTOCOLS


class Channel(BaseModel):
    """Where notifications go: an apprise URL (encrypted like keys), for everything or one owner."""

    uid = CharField(unique=True)  # bound into the URL's encryption
    url_blob = BlobField()
    shown_url = TextField()  # the URL with its password masked
    owner = CharField(null=True)  # only this owner's certificates; None: everything
    label = TextField(default="")
    min_severity = CharField(default="WARNING")
    created_at = UtcField()
    last_sent_at = UtcField(null=True)
    last_error = TextField(null=True)
    failing_since = UtcField(null=True)  # the first failed send since the last good one


class Finding(BaseModel):
    """A finding that is open now, and what has been told about it (for sending each change once)."""

    key = CharField(unique=True)  # sslterm.core.findings.Problem.key
    kind = CharField()
    severity = CharField()
    level = CharField()
    domain = TextField()
    endpoint = TextField(null=True)
    certificate_id = IntegerField(null=True)
    owner = CharField(null=True)
    message = TextField()
    code = CharField(default="")
    not_after = UtcField(null=True)
    first_seen = UtcField()
    last_seen = UtcField()
    notified_level = CharField(null=True)
    notified_at = UtcField(null=True)
    ack_until = UtcField(null=True)
    ack_level = CharField(null=True)  # acknowledged at this level: void once the level changes
    ack_by = CharField(null=True)


class Outbox(BaseModel):
    """A message for a channel, kept until it is sent (retried with back-off, never lost)."""

    channel = ForeignKeyField(Channel, backref="messages", on_delete="CASCADE")
    created_at = UtcField(index=True)
    title = TextField()
    body = TextField()
    attempts = IntegerField(default=0)
    next_attempt_at = UtcField()
    last_error = TextField(null=True)
    sent_at = UtcField(null=True, index=True)


class Event(BaseModel):
    """Append-only history: what happened to which certificate or domain, when and by whom."""

    at = UtcField(index=True)
    kind = CharField()
    certificate = ForeignKeyField(Certificate, null=True, backref="events", on_delete="SET NULL")
    domain = CharField(null=True, index=True)
    user = CharField()
    detail = TextField(default="")
    hash = CharField(null=True)  # sha256 over the fields and the previous event's hash (sslterm.store.audit)


class AcmeAccount(BaseModel):
    """An ACME account per (directory, email); its key is encrypted like every other key."""

    directory = TextField()
    email = TextField()
    uid = CharField()
    key_blob = BlobField()
    account_url = TextField(null=True)
    created_at = UtcField()


class AcmeSetting(BaseModel):
    """How an ``auto`` certificate was obtained, so the checker can renew it the same way."""

    certificate = ForeignKeyField(Certificate, backref="acme", on_delete="CASCADE", unique=True)
    directory = TextField()
    email = TextField()
    challenge = CharField()
    webroot = TextField(null=True)
    port = IntegerField(null=True)
    ca_bundle = TextField(null=True)
    key_type = CharField()


class DeployTarget(BaseModel):
    """Where a lineage's current version is written and how the service picks it up (survives renewals)."""

    lineage = ForeignKeyField(Lineage, backref="deploy_targets", on_delete="CASCADE")
    uid = CharField(unique=True)  # bound into the encrypted PFX password
    parts_json = TextField()  # {"fullchain": "/etc/nginx/ssl/shop.pem", "key": ...}
    file_owner = CharField(null=True)
    file_group = CharField(null=True)
    mode = IntegerField(null=True)  # certificate files; None: 0644
    key_mode = IntegerField(null=True)  # key, combined and pfx files; None: 0600
    check_json = TextField(null=True)  # argv, or [command] with shell
    reload_json = TextField(null=True)
    shell = BooleanField(default=False)
    timeout = IntegerField(default=30)
    pfx_password_blob = BlobField(null=True)
    created_at = UtcField()
    last_at = UtcField(null=True)
    last_result = CharField(null=True)  # deployed, verified, unverified, failed
    last_certificate = ForeignKeyField(Certificate, null=True, on_delete="SET NULL")
    last_message = TextField(null=True)


MODELS = [Setting, Owner, Lineage, Certificate, CertificateName, WebDomain, Endpoint, Event, AcmeAccount, AcmeSetting, DeployTarget, Channel, Finding, Outbox]
