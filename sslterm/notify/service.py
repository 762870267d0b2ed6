"""After a checker pass: update the open findings, queue one message per channel, deliver the outbox."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sslterm.core.findings import WARNING, ChannelRecord, FindingState, Problem
from sslterm.core.heap import dismantle
from sslterm.notify.message import Route, compose
from sslterm.notify.policy import DEFAULT_RESEND, decide
from sslterm.notify.send import Answer, send
from sslterm.store.alerting import AlertStore
from sslterm.store.store import Store

FAILING_FOR = timedelta(days=1)  # a channel failing this long is itself a finding
LEASE = timedelta(minutes=10)  # a message being sent is held this long against other checkers
MAX_RETRY = timedelta(hours=1)


def retry_after(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 1, 2, 4 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_RETRY)


async def notify_pass(store: Store, problems: list[Problem], now: datetime, probed: bool | set[str] = True,
                      resend: timedelta = DEFAULT_RESEND, unsettled: set[int] | frozenset[int] = frozenset()) -> list[Problem]:
    """Record this pass's findings, queue what changed for each channel, and try every due message.

    Returns the findings notifications add (a channel failing for a day). A failing
    send is kept in the outbox and retried on a later pass; it never raises.
    """
    alerts = AlertStore(store)
    channels = alerts.channels()
    extra = [_failing(channel, now) for channel in channels if channel.failing_since and now - channel.failing_since >= FAILING_FOR]
    with store.db.atomic():  # one checker at a time decides (BEGIN IMMEDIATE; a lock on PostgreSQL), so nothing is told twice
        store.engine.decide("findings")
        previous = alerts.findings()
        ids = {p.certificate_id for p in problems if p.certificate_id} | {s.certificate_id for s in previous.values() if s.certificate_id}
        decision = decide(previous, problems + extra, now, alerts.owners_of(ids),
                          evaluated=lambda state: _evaluated(state, probed, unsettled), resend=resend)
        alerts.save_findings(decision.changed, decision.cleared)
        for channel in channels:
            heard = [n for n in decision.notices if Route(channel.owner, channel.min_severity).hears(n)]
            if heard:
                title, body = compose(heard)
                alerts.enqueue(channel.id, title, body, now)
    dismantle(previous, decision.changed, decision.notices)  # a fleet's states: freed piecemeal, not in one GIL-held sweep
    await deliver(alerts, now)
    return extra


async def deliver(alerts: AlertStore, now: datetime) -> None:
    """Send every due message, oldest first per channel; a failure stops that channel until its back-off ends."""
    due = alerts.due(now, LEASE)
    await asyncio.gather(*(_deliver_channel(alerts, channel_id, messages, now) for channel_id, messages in due.items()))


async def _deliver_channel(alerts: AlertStore, channel_id: int, messages: list[tuple[int, str, str]], now: datetime) -> None:
    url = alerts.channel_url(channel_id)
    for message_id, title, body in messages:
        answer = await asyncio.to_thread(_send, url, title, body)
        if answer.ok:
            alerts.mark_sent(message_id, now)
            alerts.record_send(channel_id, now, None)
            continue
        attempts = alerts.attempts(message_id) + 1
        alerts.mark_failed(message_id, now, answer.detail, retry_after(attempts))
        alerts.record_send(channel_id, now, f"{answer.detail} (attempt {attempts})")
        alerts.release(channel_id, now)
        return


def _send(url: str, title: str, body: str) -> Answer:
    try:
        return send(url, title, body)
    except Exception as exc:  # noqa: BLE001 - in a worker thread: a failure is an answer, never an escape
        return Answer(False, " ".join(str(exc).split()) or type(exc).__name__)


def _evaluated(state: FindingState, probed: bool | set[str], unsettled: set[int] | frozenset[int] = frozenset()) -> bool:
    """A pass says nothing about an endpoint it did not probe (none, or another checker's share), nor about a
    certificate another checker is renewing right now; a channel's own finding clears with it."""
    if state.certificate_id is not None and state.certificate_id in unsettled:
        return False
    if state.endpoint is None or probed is True:
        return True
    return bool(probed) and state.endpoint in probed


def _failing(channel: ChannelRecord, now: datetime) -> Problem:
    since = channel.failing_since or now
    name = channel.label or f"channel {channel.id}"
    return Problem("notify-failed", WARNING, name, f"notifications to {channel.url} have failed since {since:%Y-%m-%d %H:%M} UTC: "
                                                   f"{channel.last_error or 'no answer'}")
