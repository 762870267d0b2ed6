"""What alerting keeps: channels (URLs encrypted like keys), open findings, and the outbox."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

from peewee import fn

from sslterm.core.errors import InputError, NotFoundError
from sslterm.core.findings import ChannelRecord, FindingState
from sslterm.store.models import Certificate, Channel, Finding, Outbox
from sslterm.store.rows import new_uid
from sslterm.store.store import Store

CHUNK = 500  # ids per IN (...)
SENT_KEPT = timedelta(days=30)  # sent messages are kept this long (the Problems screen's "last notified")


class AlertStore:
    """The alerting side of a :class:`Store` (same database, same transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------ channels

    def add_channel(self, url: str, shown_url: str, now: datetime, *, owner: str | None = None, label: str = "",
                    min_severity: str = "WARNING") -> ChannelRecord:
        """Keep a channel; ``url`` (which may hold a password) is stored encrypted, ``shown_url`` is what lists show."""
        with self.store.db.atomic():
            uid = new_uid()
            row = Channel.create(uid=uid, url_blob=self.store.vault.encrypt(url.encode(), uid), shown_url=shown_url, owner=owner,
                                 label=label, min_severity=min_severity, created_at=now)
            self.store._persist_check_blob()
            self.store.record_event(None, "channel_added", now, detail=f"channel {row.id}: {shown_url}" + (f" for {owner}" if owner else ""))
        return self.channel(row.id)

    def remove_channel(self, channel_id: int, now: datetime) -> ChannelRecord:
        with self.store.db.atomic():
            record = self.channel(channel_id)
            Channel.delete().where(Channel.id == channel_id).execute()
            self.store.record_event(None, "channel_removed", now, detail=f"channel {channel_id}: {record.url}")
        return record

    def channel(self, channel_id: int) -> ChannelRecord:
        row = Channel.get_or_none(Channel.id == channel_id)
        if row is None:
            raise NotFoundError(f"no notification channel {channel_id}: see 'sslterm notify list'")
        return _channel_record(row, self._pending().get(row.id, 0))

    def channels(self) -> list[ChannelRecord]:
        pending = self._pending()
        return [_channel_record(row, pending.get(row.id, 0)) for row in Channel.select().order_by(Channel.id)]

    def channel_url(self, channel_id: int) -> str:
        """The full URL, password included: only for sending."""
        row = Channel.get_by_id(channel_id)
        return self.store.vault.decrypt(bytes(row.url_blob), row.uid).decode()

    def record_send(self, channel_id: int, now: datetime, error: str | None) -> None:
        """A send to the channel worked (``error`` None) or failed: keep when it started failing."""
        with self.store.db.atomic():
            row = Channel.get_or_none(Channel.id == channel_id)
            if row is None:
                return
            if error is None:
                row.last_sent_at, row.last_error, row.failing_since = now, None, None
            else:
                row.last_error = error
                row.failing_since = row.failing_since or now
            row.save()

    def _pending(self) -> dict[int, int]:
        select = Outbox.select(Outbox.channel, fn.COUNT(Outbox.id)).where(Outbox.sent_at.is_null()).group_by(Outbox.channel)
        return dict(select.tuples())

    # ------------------------------------------------------------ findings

    def findings(self) -> dict[str, FindingState]:
        """Every open finding by key (read as plain rows: a fleet's first passes hold ~100k)."""
        cursor = self.store.db.execute_sql(f'SELECT {", ".join(FINDING_COLUMNS)} FROM "finding"')
        return {row[0]: _state_of(row) for row in cursor}

    def open_counts(self) -> dict[str, int]:
        """Open findings per severity: {"CRITICAL": n, "WARNING": m}."""
        return dict(Finding.select(Finding.severity, fn.COUNT(Finding.id)).group_by(Finding.severity).tuples())

    def save_findings(self, states: list[FindingState], gone: list[str]) -> None:
        """Write the findings that changed and drop those that cleared, in one transaction."""
        sql = (f'INSERT INTO "finding" ({", ".join(FINDING_COLUMNS)}) VALUES ({", ".join("?" for _ in FINDING_COLUMNS)}) '
               f'ON CONFLICT ("key") DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in FINDING_COLUMNS if c != FINDING_COLUMNS[0])}')
        with self.store.db.atomic():
            for start in range(0, len(gone), CHUNK):
                Finding.delete().where(Finding.key.in_(gone[start:start + CHUNK])).execute()
            # executemany on a cursor: peewee's per-row SQL building cost 70 s for 100k findings
            self.store.db.cursor().executemany(sql, [_row_of(state) for state in states])

    def acknowledge(self, key: str, now: datetime, until: datetime | None) -> FindingState:
        """Stop re-notifying a finding until ``until`` (or until its level changes); recorded in history with the OS user."""
        if until is not None and until <= now:
            raise InputError("the acknowledgement must end in the future")
        with self.store.db.atomic():
            row = Finding.get_or_none(Finding.key == key)
            if row is None:
                raise NotFoundError("that finding is no longer open: it has cleared since the last pass")
            row.ack_level, row.ack_until, row.ack_by = row.level, until, self.store.user
            row.save()
            cert = Certificate.get_or_none(Certificate.id == row.certificate_id) if row.certificate_id else None
            self.store._event("acknowledged", cert, now, domain=row.domain,
                              detail=f"{row.kind}: {row.message}" + (f" (until {until:%Y-%m-%d %H:%M} UTC)" if until else " (until it changes)"))
        return _state(row)

    def owners_of(self, cert_ids: set[int]) -> dict[int, str]:
        """The owner (seed 000's Username) of each certificate, for routing."""
        ids, owners = sorted(cert_ids), {}
        for start in range(0, len(ids), CHUNK):  # SQLite bounds the variables of one statement
            chunk = ids[start:start + CHUNK]
            cursor = self.store.db.execute_sql(
                'SELECT c."id", o."name" FROM "certificate" c JOIN "owner" o ON o."id" = c."owner_id" '
                f'WHERE c."id" IN ({", ".join("?" for _ in chunk)})', chunk)
            owners.update(dict(cursor.fetchall()))
        return owners

    # ------------------------------------------------------------ outbox

    def enqueue(self, channel_id: int, title: str, body: str, now: datetime) -> None:
        with self.store.db.atomic():
            Outbox.create(channel=channel_id, created_at=now, title=title, body=body, next_attempt_at=now)

    def due(self, now: datetime, lease: timedelta) -> dict[int, list[tuple[int, str, str]]]:
        """Claim the unsent messages per channel, oldest first: [(id, title, body)].

        A channel with a message waiting out its back-off (or claimed by another
        checker) is left out whole, so messages go in order. The claim holds the
        messages for ``lease`` against other checkers.
        """
        with self.store.db.atomic():
            self.store.engine.decide("outbox")  # one checker claims at a time
            waiting = {cid for (cid,) in Outbox.select(Outbox.channel)
                       .where(Outbox.sent_at.is_null() & (Outbox.next_attempt_at > now)).tuples()}
            select = Outbox.select(Outbox.id, Outbox.channel, Outbox.title, Outbox.body).where(Outbox.sent_at.is_null()).order_by(Outbox.id)
            due: dict[int, list[tuple[int, str, str]]] = {}
            for mid, cid, title, body in select.tuples():
                if cid not in waiting:
                    due.setdefault(cid, []).append((mid, title, body))
            claimed = [mid for messages in due.values() for mid, _, _ in messages]
            if claimed:
                Outbox.update(next_attempt_at=now + lease).where(Outbox.id.in_(claimed)).execute()
        return due

    def release(self, channel_id: int, now: datetime) -> None:
        """Give back the claimed messages of a channel whose send failed (they wait behind the failed one)."""
        with self.store.db.atomic():
            Outbox.update(next_attempt_at=now).where((Outbox.channel == channel_id) & Outbox.sent_at.is_null()
                                                      & (Outbox.attempts == 0)).execute()

    def mark_sent(self, message_id: int, now: datetime) -> None:
        with self.store.db.atomic():
            Outbox.update(sent_at=now, attempts=Outbox.attempts + 1, last_error=None).where(Outbox.id == message_id).execute()
            Outbox.delete().where(Outbox.sent_at.is_null(False) & (Outbox.sent_at < now - SENT_KEPT)).execute()

    def mark_failed(self, message_id: int, now: datetime, error: str, retry_after: timedelta) -> None:
        """Count a failed attempt; the message waits ``retry_after``."""
        with self.store.db.atomic():
            Outbox.update(attempts=Outbox.attempts + 1, last_error=error, next_attempt_at=now + retry_after).where(Outbox.id == message_id).execute()

    def attempts(self, message_id: int) -> int:
        return int(Outbox.get_by_id(message_id).attempts)


def _channel_record(row: Channel, pending: int) -> ChannelRecord:
    return ChannelRecord(id=row.id, url=row.shown_url, owner=row.owner, label=row.label, min_severity=row.min_severity,
                         created_at=row.created_at, last_sent_at=row.last_sent_at, last_error=row.last_error,
                         failing_since=row.failing_since, pending=pending)


FINDING_COLUMNS = [f.name for f in fields(FindingState)]
_TIMES = {i for i, f in enumerate(fields(FindingState)) if f.name in ("first_seen", "last_seen", "not_after", "notified_at", "ack_until")}


def _row_of(state: FindingState) -> tuple[object, ...]:
    values = [getattr(state, name) for name in FINDING_COLUMNS]  # not astuple: it deep-copies every field
    return tuple(int(v.timestamp()) if i in _TIMES and v is not None else v for i, v in enumerate(values))  # type: ignore[union-attr]


def _state_of(row: tuple[object, ...]) -> FindingState:
    values = [datetime.fromtimestamp(v, UTC) if i in _TIMES and v is not None else v for i, v in enumerate(row)]  # type: ignore[arg-type]
    return FindingState(*values)  # type: ignore[arg-type]


def _state(row: Finding) -> FindingState:
    return FindingState(key=row.key, kind=row.kind, severity=row.severity, level=row.level, domain=row.domain, message=row.message,
                        first_seen=row.first_seen, last_seen=row.last_seen, endpoint=row.endpoint, certificate_id=row.certificate_id,
                        owner=row.owner, code=row.code, not_after=row.not_after, notified_level=row.notified_level,
                        notified_at=row.notified_at, ack_until=row.ack_until, ack_level=row.ack_level, ack_by=row.ack_by)
