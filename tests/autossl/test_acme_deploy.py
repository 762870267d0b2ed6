"""An ACME lineage (pebble) renewed by the checker and deployed to a real nginx, like a self-signed one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sslterm.autossl.service import obtain_certificate
from sslterm.checker.run import CheckOptions, check_pass
from sslterm.core.deploy import parse_command
from sslterm.store import ListQuery
from sslterm.store.checks import CheckStore
from sslterm.store.deploy_targets import DeployStore
from tests.autossl.test_acme import now, settings
from tests.deploy.nginx import served_sha256
from tests.factories import make_cert


def test_the_checker_renews_an_acme_lineage_and_nginx_serves_the_new_version(pebble, nginx, store):
    domain = "acme.deploy.example"
    first = obtain_certificate(store, settings(pebble), domain, [], owner="ops", now=now())
    port, fullchain, key = nginx.add_site("acme", domain, make_cert("placeholder.example"))
    DeployStore(store).add(first.id, {"fullchain": str(fullchain), "key": str(key)}, now(),
                           check=parse_command(nginx.check_command, False), reload=parse_command(nginx.reload_command, False))
    CheckStore(store).add_endpoint(domain, "127.0.0.1", port, domain, now())
    report = asyncio.run(check_pass(store, first.not_after - timedelta(days=10), CheckOptions(probe=False)))
    assert [r.old_id for r in report.renewals] == [first.id]
    (renewed,) = store.list(ListQuery(search=domain), now())
    assert renewed.type == "auto" and renewed.version == 2 and renewed.id != first.id
    assert [(d.result, d.certificate_id) for d in report.deployments] == [("verified", renewed.id)]
    assert served_sha256(port, domain) == renewed.fingerprint_sha256
