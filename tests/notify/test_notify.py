"""Notifications through real servers: each change told once, reminders, acknowledgement, outage, routing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from sslterm.checker.run import CheckOptions, check_pass
from sslterm.store.alerting import AlertStore
from sslterm.notify.send import shown_url
from tests.factories import DAY, NOW, make_cert

HOUR = timedelta(hours=1)
QUIET = CheckOptions(renew=False, probe=False, deploy=False)


def hold(store, cn, days_left, owner="ops", lifetime=90):
    issued = make_cert(cn, not_before=NOW + (days_left - lifetime) * DAY, not_after=NOW + days_left * DAY)
    return store.add_certificate(issued.cert, [], issued.key, type="existing", owner=owner, now=NOW).record


def channel(store, url, **kw):
    return AlertStore(store).add_channel(url, shown_url(url), NOW, **kw)


def check(store, at, **kw):
    options = CheckOptions(**{**QUIET.__dict__, **kw})
    return asyncio.run(check_pass(store, at, options))


def test_warning_critical_expired_then_renewed_gives_three_notices_and_one_resolved(store, webhook):
    cert = hold(store, "shop.example", 20)
    channel(store, webhook.url())
    for at in (NOW, NOW + HOUR, NOW + 13 * DAY + HOUR, NOW + 13 * DAY + 3 * HOUR, NOW + 20 * DAY + HOUR, NOW + 20 * DAY + 5 * HOUR):
        check(store, at)
    renewed = make_cert("shop.example", not_before=NOW + 20 * DAY, not_after=NOW + 110 * DAY)
    assert store.add_certificate(renewed.cert, [], renewed.key, type="existing", owner="ops", now=NOW + 20 * DAY + 6 * HOUR,
                                 supersede=True).record.id != cert.id
    check(store, NOW + 20 * DAY + 7 * HOUR)
    check(store, NOW + 21 * DAY)
    titles = [body["title"] for body in webhook.bodies]
    assert titles == ["sslterm: 1 warning", "sslterm: 1 critical", "sslterm: 1 expired", "sslterm: 1 resolved"]
    messages = [body["message"] for body in webhook.bodies]
    assert "shop.example expires in 20 days" in messages[0] and "plan its renewal" in messages[0]
    assert "expires in 6 days" in messages[1] and "[now worse]" in messages[1]
    assert messages[2].startswith("CRITICAL shop.example: shop.example expired on")
    assert messages[3].startswith("RESOLVED shop.example: expired cleared")
    assert AlertStore(store).findings() == {}


def test_an_unresolved_critical_is_reminded_daily_until_acknowledged(store, webhook):
    hold(store, "pay.example", 5)
    channel(store, webhook.url())
    check(store, NOW)
    check(store, NOW + 23 * HOUR)
    check(store, NOW + 24 * HOUR)
    assert [b["message"].rsplit("[", 1)[1].split("]")[0] for b in webhook.bodies] == ["new", "still open"]
    [finding] = AlertStore(store).findings().values()
    assert AlertStore(store).acknowledge(finding.key, NOW + 25 * HOUR, None).ack_by == store.user
    check(store, NOW + 49 * HOUR)
    assert len(webhook.bodies) == 2  # acknowledged: no reminder
    check(store, NOW + 5 * DAY + HOUR)  # expired: the level changed, the acknowledgement ends
    assert webhook.bodies[-1]["title"] == "sslterm: 1 expired" and len(webhook.bodies) == 3
    events = store.history("pay.example")
    assert any(e.kind == "acknowledged" and e.user == store.user for e in events)


def test_the_expiry_mail_reaches_a_real_smtp_server(store, smtp):
    hold(store, "a.example", 3)
    hold(store, "b.example", 25)
    hold(store, "c.example", -2)
    channel(store, smtp.url("oncall@example.com"))
    check(store, NOW)
    [mail] = smtp.mails
    assert mail.recipients == ["oncall@example.com"]
    assert mail.subject == "sslterm: 1 expired, 1 critical, 1 warning"
    lines = mail.text.strip().splitlines()
    assert len(lines) == 3, mail.text
    assert [line.split()[1] for line in lines] == ["c.example:", "a.example:", "b.example:"]  # most severe first, each once


def test_an_smtp_outage_loses_nothing_and_sends_each_message_once_in_order(store, smtp):
    hold(store, "first.example", 10)
    channel(store, smtp.url())
    smtp.stop()
    check(store, NOW)
    hold(store, "second.example", 12)
    check(store, NOW + 10 * 60 * timedelta(seconds=1))
    assert smtp.mails == []
    [record] = AlertStore(store).channels()
    assert record.pending == 2 and record.failing_since == NOW and record.last_error
    smtp.start()
    check(store, NOW + 30 * 60 * timedelta(seconds=1))
    assert [m.text.split()[1] for m in smtp.mails] == ["first.example:", "second.example:"]
    check(store, NOW + 2 * HOUR)
    assert len(smtp.mails) == 2
    [record] = AlertStore(store).channels()
    assert record.pending == 0 and record.failing_since is None


def test_a_channel_failing_for_a_day_is_itself_a_finding(store, smtp, webhook):
    hold(store, "x.example", 10)
    channel(store, smtp.url(), label="mail")
    channel(store, webhook.url(), label="hook")
    smtp.stop()
    check(store, NOW)
    report = check(store, NOW + DAY + HOUR)
    [failed] = [p for p in report.problems if p.kind == "notify-failed"]
    assert failed.domain == "mail" and "have failed since" in failed.message
    assert "notify-failed" in webhook.bodies[-1]["title"]


def test_owner_channels_hear_only_their_owners_certificates(store, webhook):
    hold(store, "alice.example", 5, owner="alice")
    hold(store, "bob.example", 5, owner="bob")
    channel(store, webhook.url("/all"))
    channel(store, webhook.url("/alice"), owner="alice")
    channel(store, webhook.url("/crit"), min_severity="CRITICAL")
    hold(store, "quiet.example", 20, owner="alice")
    check(store, NOW)
    by_path = dict(zip(webhook.paths, webhook.bodies))
    assert set(by_path) == {"/all", "/alice", "/crit"}
    assert "alice.example" in by_path["/alice"]["message"] and "bob.example" not in by_path["/alice"]["message"]
    assert "quiet.example" in by_path["/all"]["message"] and "quiet.example" not in by_path["/crit"]["message"]
    assert "bob.example" in by_path["/all"]["message"]


def test_a_slack_compatible_body_through_apprise_payload_mapping(store, webhook):
    hold(store, "s.example", 5)
    channel(store, webhook.url(extra="&:message=text"))
    check(store, NOW)
    assert "s.example" in webhook.bodies[0]["text"]


@pytest.mark.parametrize("probe", [False])
def test_a_pass_without_probes_does_not_clear_endpoint_findings(store, probe):
    from sslterm.core.findings import FindingState

    state = FindingState(key="drift|endpoint:e.example@127.0.0.1:1", kind="drift", severity="WARNING", level="warning",
                         domain="e.example", message="serves …", first_seen=NOW, last_seen=NOW, endpoint="127.0.0.1:1", notified_level="warning")
    AlertStore(store).save_findings([state], [])
    check(store, NOW + HOUR, probe=probe)
    assert list(AlertStore(store).findings()) == [state.key]
