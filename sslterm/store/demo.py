"""A realistic demo inventory, so a newcomer sees every screen populated.

Every certificate is really generated and signed (by a demo CA chain), and is
reproducible for a given ``now``: keys are derived from fixed seeds and ECDSA
signatures are deterministic, so screenshots and snapshots are stable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec

from sslterm.core.generate import Validity, ca_certificate, issue, self_signed, signing_request, subject_request
from sslterm.store.store import Store

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Spec:
    domain: str
    sans: tuple[str, ...]
    owner: str
    type: str  # existing | auto | self-signed
    days_left: float  # negative: expired that long ago
    lifetime: int = 90
    with_key: bool = True
    versions: int = 1


# (domain, extra names, owner, type, days left, lifetime in days, key stored, versions)
SPECS = [
    Spec("legacy-portal.example.com", ("portal.example.com",), "alice", "existing", -412, 365, False),
    Spec("old-api.example.org", (), "bob", "self-signed", -88, 365),
    Spec("staging.shop.example", ("*.staging.shop.example",), "shop-team", "auto", -12, 90),
    Spec("vpn.example.net", (), "ops", "existing", -3.5, 365),
    Spec("mail.example.com", ("smtp.example.com", "imap.example.com"), "webmaster", "existing", -1.2, 398, True, 2),
    Spec("intranet.example.local", (), "ops", "self-signed", -40, 730),
    Spec("pay.example.com", ("checkout.example.com",), "shop-team", "existing", 0.4, 398),
    Spec("cdn.example.net", ("*.cdn.example.net",), "ops", "auto", 1.6, 90, True, 3),
    Spec("grafana.ops.example", (), "ops", "self-signed", 3.2, 365),
    Spec("api.example.org", ("api-v2.example.org",), "bob", "auto", 5.5, 90, True, 2),
    Spec("status.example.com", (), "webmaster", "auto", 6.9, 90),
    Spec("bücher.example", ("www.bücher.example",), "alice", "existing", 9.3, 365),
    Spec("shop.example", ("www.shop.example", "m.shop.example"), "shop-team", "auto", 11, 90, True, 3),
    Spec("git.example.dev", (), "ops", "existing", 14, 398),
    Spec("wiki.example.com", (), "webmaster", "self-signed", 17.5, 365),
    Spec("sso.example.com", ("login.example.com",), "alice", "existing", 19, 398, True, 2),
    Spec("backup.example.net", (), "ops", "self-signed", 21, 730),
    Spec("files.example.org", (), "bob", "auto", 23.7, 90),
    Spec("crm.example.com", (), "alice", "existing", 26, 365, False),
    Spec("ci.example.dev", ("runners.example.dev",), "ops", "auto", 28, 90),
    Spec("docs.example.org", (), "bob", "auto", 29.9, 90),
]
_VALID_DOMAINS = [
    ("www.example.com", "webmaster"), ("example.com", "webmaster"), ("blog.example.com", "webmaster"),
    ("news.example.org", "bob"), ("m.example.com", "webmaster"), ("assets.example.net", "ops"),
    ("img.example.net", "ops"), ("video.example.net", "ops"), ("forum.example.org", "bob"),
    ("support.example.com", "alice"), ("help.example.com", "alice"), ("partners.example.com", "alice"),
    ("hr.example.com", "alice"), ("erp.example.com", "alice"), ("metrics.ops.example", "ops"),
    ("logs.ops.example", "ops"), ("alerts.ops.example", "ops"), ("registry.example.dev", "ops"),
    ("sandbox.example.dev", "ops"), ("stage.shop.example", "shop-team"), ("img.shop.example", "shop-team"),
    ("search.shop.example", "shop-team"), ("cart.shop.example", "shop-team"), ("b2b.example.com", "alice"),
    ("events.example.org", "bob"), ("careers.example.com", "alice"), ("store.example.de", "shop-team"),
    ("beispiel.example.de", "shop-team"), ("münchen.example.de", "shop-team"), ("static.example.org", "bob"),
    ("auth.example.org", "bob"), ("ws.example.org", "bob"), ("db-admin.ops.example", "ops"),
    ("jump.ops.example", "ops"), ("*.apps.example.com", "ops"),
]
_TYPES = ("existing", "auto", "auto", "self-signed", "existing")
_LIFETIMES = {"existing": 398, "auto": 90, "self-signed": 730}


def _valid_spec(i: int, domain: str, owner: str) -> Spec:
    kind = _TYPES[i % len(_TYPES)]
    lifetime = _LIFETIMES[kind]
    days_left = 31 + (i * 37) % (lifetime - 33)  # always more than 30 days, never before not_before
    sans = (f"www.{domain}",) if i % 4 == 0 and not domain.startswith(("*", "www")) else ()
    return Spec(domain, sans, owner, kind, days_left, lifetime, i % 6 != 5, 2 if i % 9 == 0 else 1)


SPECS += [_valid_spec(i, domain, owner) for i, (domain, owner) in enumerate(_VALID_DOMAINS)]
NOT_YET_VALID = Spec("launch.example.com", ("www.launch.example.com",), "webmaster", "existing", 400, 365)
REQUESTS = [("new-shop.example", "shop-team", "ec256"), ("partner-api.example.org", "bob", "rsa2048"), ("edge.example.net", "ops", "ec384")]


def _key(seed: str, curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    """A private key derived from ``seed``: the demo is reproducible, and these keys are public."""
    curve = curve or ec.SECP256R1()
    value = int.from_bytes(hashlib.sha256(f"sslterm-demo:{seed}".encode()).digest(), "big") % (2**255)
    return ec.derive_private_key(value or 1, curve)


def _serial(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(f"serial:{seed}".encode()).digest()[:16], "big") >> 1


def load_demo(store: Store, now: datetime) -> int:
    """Fill ``store`` with the demo inventory at ``now``; returns how many live certificates were added."""
    root_key, issuing_key, legacy_key = _key("root", ec.SECP384R1()), _key("issuing"), _key("legacy")
    root = ca_certificate("sslterm Demo Root CA", "sslterm Demo", root_key, Validity(now - 3000 * DAY, now + 4000 * DAY), serial=_serial("root"))
    issuing = ca_certificate("sslterm Demo Issuing CA R3", "sslterm Demo", issuing_key, Validity(now - 900 * DAY, now + 1100 * DAY), root, root_key, _serial("issuing"))
    legacy = ca_certificate("sslterm Demo Legacy CA", "sslterm Demo", legacy_key, Validity(now - 2000 * DAY, now - 100 * DAY), root, root_key, _serial("legacy"))
    added = 0
    with store.batch():
        for spec in [*SPECS, NOT_YET_VALID]:
            _add_spec(store, spec, now, (issuing, issuing_key, root), (legacy, legacy_key, root))
            added += 1
        for domain, owner, key_type in REQUESTS:
            req = subject_request(domain, [f"www.{domain}"], country="DE", organization="Example GmbH", key_type="ec256")
            key = _key(f"request:{domain}", ec.SECP384R1() if key_type == "ec384" else ec.SECP256R1())
            store.add_request(signing_request(req, key), key, owner=owner, now=now - 2 * DAY)
            added += 1
    return added


def _add_spec(store: Store, spec: Spec, now: datetime, ca: tuple, legacy: tuple) -> None:  # type: ignore[type-arg]
    req = subject_request(spec.domain, list(spec.sans), country="US", region="California", city="San Francisco",
                          organization="Example Inc.", unit="Operations", email="hostmaster@example.com", key_type="ec256")
    previous = None
    for version in range(spec.versions, 0, -1):
        # version 1 is current; higher numbers are older, each one lifetime earlier
        not_after = now + timedelta(days=spec.days_left) - (version - 1) * spec.lifetime * DAY
        not_before = not_after - spec.lifetime * DAY
        period = Validity(not_before, not_after)
        seed = f"{spec.domain}:{version}"
        key = _key(seed)
        if spec.type == "self-signed":
            cert, chain = self_signed(req, key, period, serial=_serial(seed)), []
        else:
            issuer, issuer_key, root = legacy if spec.domain == "legacy-portal.example.com" else ca
            cert, chain = issue(req, key.public_key(), issuer, issuer_key, period, _serial(seed)), [issuer, root]
        stored_key = key if spec.with_key else None
        created = min(not_before, now)
        if previous is None:
            previous = store.add_certificate(cert, chain, stored_key, type=spec.type, owner=spec.owner, now=created,
                                             name=spec.domain, event="created" if spec.type == "self-signed" else "imported").record
        else:
            previous = store.renew(previous.id, cert, chain, stored_key, now=created)
