"""Is a served chain complete and trusted? Checked apart from fetching (fetching never trusts)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509 import verification

from sslterm.core.validate import order_chain, system_roots


@dataclass(frozen=True)
class TrustResult:
    """Whether a chain verifies to a trusted root for a host, and why not."""

    trusted: bool
    complete: bool
    reason: str = ""


def verify_served_chain(
    chain: list[x509.Certificate], host: str, now: datetime, roots: list[x509.Certificate] | None = None
) -> TrustResult:
    """Verify ``chain`` (leaf first, as served) for ``host`` at ``now`` against ``roots``.

    Args:
        chain: the certificates the server presented, leaf first.
        host: the name (or IP) the client asked for.
        now: the moment of verification.
        roots: trust anchors; the system store when None.
    """
    if not chain:
        return TrustResult(False, False, "the server presented no certificate")
    anchors = roots if roots is not None else [c for group in system_roots().values() for c in group]
    complete = _reaches_anchor(chain, anchors)
    if not anchors:
        return TrustResult(False, complete, "no trusted roots available on this machine")
    try:
        subject: verification.Subject
        try:
            subject = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            subject = x509.DNSName(host)
        verifier = verification.PolicyBuilder().store(verification.Store(anchors)).time(now).build_server_verifier(subject)
        verifier.verify(chain[0], chain[1:])
    except verification.VerificationError as exc:
        reason = " ".join(str(exc).split())
        if not complete:
            reason = f"the chain does not reach a trusted root (missing intermediate?): {reason}"
        return TrustResult(False, complete, reason[:240])
    except Exception as exc:  # noqa: BLE001 - malformed names or certificates: not trusted, say why
        return TrustResult(False, complete, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
    return TrustResult(True, True)


def _reaches_anchor(chain: list[x509.Certificate], anchors: list[x509.Certificate]) -> bool:
    """True when the served certificates link up to a self-signed root or to an anchor."""
    ordered, _, _ = order_chain(chain[0], chain[1:])
    top = ordered[-1]
    if top.subject == top.issuer and any(top == a for a in anchors):
        return True
    for anchor in anchors:
        if anchor.subject == top.issuer:
            try:
                top.verify_directly_issued_by(anchor)
                return True
            except Exception:  # noqa: BLE001 - not this anchor
                continue
    return top.subject == top.issuer
