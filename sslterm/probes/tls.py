"""Probe TLS endpoints concurrently and read the whole chain each one presents.

One shared client context that verifies nothing (fetching must work for expired,
self-signed or broken chains); trust is checked afterwards, separately.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field

from cryptography import x509

DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Endpoint:
    """Where a web-domain is served: host, port and an optional SNI name."""

    domain: str
    host: str
    port: int = 443
    sni: str | None = None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def server_name(self) -> str:
        """The name sent as SNI and checked against the certificate."""
        return self.sni or (self.domain if _is_ip(self.host) else self.host)


@dataclass(frozen=True)
class ProbeResult:
    """What one endpoint presented, or why the handshake failed."""

    endpoint: Endpoint
    chain: tuple[x509.Certificate, ...] = field(default=())
    error: str | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.chain)

    @property
    def leaf(self) -> x509.Certificate | None:
        return self.chain[0] if self.chain else None


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def client_context() -> ssl.SSLContext:
    """The one context all probes share: TLS 1.2+, no verification, no hostname check."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _presented_chain(ssl_object: ssl.SSLObject) -> tuple[x509.Certificate, ...]:
    """Every certificate the peer sent, leaf first."""
    getter = getattr(ssl_object, "get_unverified_chain", None)  # public from Python 3.13
    if getter is None:
        getter = getattr(getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)  # 3.10-3.12
    if getter is not None:
        certs = getter() or []
        ders = [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in certs]  # type: ignore[attr-defined]
    else:
        leaf = ssl_object.getpeercert(binary_form=True)
        ders = [leaf] if leaf else []
    return tuple(x509.load_der_x509_certificate(der) for der in ders)


def _connection_error(exc: OSError) -> str:
    """A sentence for a failed connection; asyncio raises some with no text at all."""
    if isinstance(exc, ConnectionRefusedError):
        return "cannot connect: connection refused (nothing listens on that port)"
    detail = exc.strerror or " ".join(str(exc).split())
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) or not detail:
        return "the server closed the connection during the TLS handshake" + (f" ({detail})" if detail else "")
    return f"cannot connect: {detail}"


async def probe(endpoint: Endpoint, context: ssl.SSLContext, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
    """Connect, handshake, read the chain, close; a silent server gives a timeout result."""
    start = time.perf_counter()
    writer = None
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(
                endpoint.host, endpoint.port, ssl=context,
                server_hostname=None if _is_ip(endpoint.server_name) else endpoint.server_name,
                ssl_handshake_timeout=timeout,
            )
            ssl_object = writer.get_extra_info("ssl_object")
            chain = _presented_chain(ssl_object)
        return ProbeResult(endpoint, chain, None if chain else "the server presented no certificate", time.perf_counter() - start)
    except TimeoutError:
        return ProbeResult(endpoint, error=f"timed out after {timeout:g} s (connect and handshake)", elapsed=time.perf_counter() - start)
    except ssl.SSLError as exc:
        return ProbeResult(endpoint, error=f"TLS handshake failed: {exc.reason or exc}", elapsed=time.perf_counter() - start)
    except OSError as exc:
        return ProbeResult(endpoint, error=_connection_error(exc), elapsed=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - a certificate we cannot parse is a result, not a crash
        detail = " ".join(str(exc).split()) or "it could not be read"
        return ProbeResult(endpoint, error=f"the server's certificate could not be read: {detail}", elapsed=time.perf_counter() - start)
    finally:
        if writer is not None:
            writer.transport.abort()  # no close_notify round trip: we only wanted the handshake


async def probe_all(
    endpoints: list[Endpoint], concurrency: int = DEFAULT_CONCURRENCY, timeout: float = DEFAULT_TIMEOUT
) -> list[ProbeResult]:
    """Probe every endpoint with at most ``concurrency`` handshakes at once; results in input order."""
    context = client_context()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def bounded(endpoint: Endpoint) -> ProbeResult:
        async with gate:
            return await probe(endpoint, context, timeout)

    return list(await asyncio.gather(*(bounded(e) for e in endpoints)))
