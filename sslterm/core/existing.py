"""Read what a user pastes or points at for an 'Existing' certificate, and judge it before storing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509

from sslterm.core.errors import SslTermError
from sslterm.core.parse import Bundle, PrivateKey, read_bundle, read_file
from sslterm.core.validate import Finding, key_matches, pick_leaf, require_key_match, validate


@dataclass(frozen=True)
class Source:
    """One slot of the form: pasted text, or a file path (the path wins when both are given)."""

    text: str = ""
    path: str = ""

    @property
    def empty(self) -> bool:
        return not self.text.strip() and not self.path.strip()


@dataclass
class ExistingMaterial:
    """A checked certificate with its chain and key, or the errors per field."""

    leaf: x509.Certificate | None = None
    chain: list[x509.Certificate] = field(default_factory=list)
    key: PrivateKey | None = None
    warnings: list[Finding] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _read(source: Source, password: bytes | None) -> Bundle:
    if source.path.strip():
        return read_file(Path(source.path.strip()).expanduser(), password)
    return read_bundle(source.text, password)


def load_existing(cert: Source, key: Source, chain: Source, password: str, now: datetime) -> ExistingMaterial:
    """Parse the three slots, pair the key, order the chain; errors are keyed by field id.

    A PKCS#12 file in the certificate slot may carry the key and chain itself.
    """
    result = ExistingMaterial()
    secret = password.encode() if password else None
    bundles: dict[str, Bundle] = {}
    for name, source in (("cert", cert), ("key", key), ("chain", chain)):
        if source.empty:
            continue
        try:
            bundles[name] = _read(source, secret)
        except SslTermError as exc:
            result.errors["password" if "password" in str(exc).lower() or "passphrase" in str(exc).lower() else name] = str(exc)
    if result.errors:
        return result
    main = bundles.get("cert")
    if main is None or not main.certificates:
        result.errors["cert"] = "paste a certificate or give its file (PEM, DER, PKCS#7 or PKCS#12)"
        return result
    leaf = pick_leaf(main.certificates)
    pool = [c for c in main.certificates if c != leaf] + (bundles["chain"].certificates if "chain" in bundles else [])
    keys = main.keys + (bundles["key"].keys if "key" in bundles else [])
    if "key" in bundles and not bundles["key"].keys:
        result.errors["key"] = "no private key found in what was given"
        return result
    chosen = next((k for k in keys if key_matches(leaf, k)), keys[0] if keys else None)
    if chosen is not None:
        try:
            require_key_match(leaf, chosen)
        except SslTermError as exc:
            result.errors["key"] = str(exc)
            return result
    validation = validate(leaf, pool, now, key=chosen)
    result.leaf, result.chain, result.key = leaf, list(validation.chain[1:]), chosen
    result.warnings = [f for f in validation.findings if f.severity != "ok"]
    return result
