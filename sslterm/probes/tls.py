"""Probe TLS endpoints concurrently and read the whole chain each one presents.

One shared client context that verifies nothing (fetching must work for expired,
self-signed or broken chains); trust is checked afterwards, separately.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from typing import cast

from cryptography import x509

from sslterm.core.endpoints import PROTOCOL_NAMES, TLS, is_ip
from sslterm.probes.starttls import Session, StartTlsError, negotiator
from sslterm.probes.starttls.session import MAX_LINE

DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Endpoint:
    """Where a web-domain is served: host, port and an optional SNI name."""

    domain: str
    host: str
    port: int = 443
    sni: str | None = None
    protocol: str = TLS  # or a STARTTLS protocol: see sslterm.core.endpoints.PROTOCOLS

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def server_name(self) -> str:
        """The name sent as SNI and checked against the certificate."""
        return self.sni or (self.domain if is_ip(self.host) else self.host)


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
    """Connect, upgrade if the protocol says so, handshake, read the chain, close.

    The whole exchange shares one timeout; a silent server gives a timeout result
    that names what we were waiting for.
    """
    start = time.perf_counter()
    transport: asyncio.BaseTransport | None = None
    session = None
    server_hostname = None if is_ip(endpoint.server_name) else endpoint.server_name

    def result(error: str | None = None, chain: tuple[x509.Certificate, ...] = ()) -> ProbeResult:
        return ProbeResult(endpoint, chain, error, time.perf_counter() - start)

    try:
        async with asyncio.timeout(timeout):
            if endpoint.protocol == TLS:
                transport, ssl_object = await _handshake(endpoint, context, server_hostname)
            else:
                reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port, limit=MAX_LINE)
                transport = writer.transport
                session = Session(reader, writer, endpoint.server_name, endpoint.port)
                await negotiator(endpoint.protocol)(session)
                session.stage = "the TLS handshake"
                ssl_object = await _upgrade(writer, context, server_hostname)
            chain = _presented_chain(ssl_object)
        return result(None if chain else "the server presented no certificate", chain)
    except TimeoutError:
        waiting = "connect and handshake" if session is None else f"waiting for {session.stage}"
        return result(f"timed out after {timeout:g} s ({waiting})")
    except StartTlsError as exc:
        return result(str(exc))
    except ssl.SSLError as exc:
        if session is not None and _closed(exc):
            return result(f"{PROTOCOL_NAMES[endpoint.protocol]}: the server accepted STARTTLS, then closed the connection during the TLS handshake")
        if session is None and _plain_text_reply(exc):
            return result("the server answered in plain text, not TLS" + await _protocol_hint(endpoint, timeout))
        return result(f"TLS handshake failed: {exc.reason or exc}")
    except OSError as exc:
        if session is not None and isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)) \
                and session.stage == "the TLS handshake":
            return result(f"{PROTOCOL_NAMES[endpoint.protocol]}: the server accepted STARTTLS, then closed the connection during the TLS handshake")
        return result(_connection_error(exc))
    except Exception as exc:  # noqa: BLE001 - a certificate we cannot parse is a result, not a crash
        detail = " ".join(str(exc).split()) or "it could not be read"
        return result(f"the server's certificate could not be read: {detail}")
    finally:
        if transport is not None:
            transport.abort()  # no close_notify round trip: we only wanted the handshake


class _Handshake(asyncio.Protocol):
    """A TLS client handshake over a plain connection, driven through memory buffers, and nothing after it.

    A probe only needs the certificates the server presents. asyncio's TLS transport
    and streams (``open_connection(ssl=...)``, ``start_tls``) also set up reading,
    writing and shutdown for an application that never comes: ~0.5 ms of Python a
    connection, a third of what a probe costs on loopback.
    """

    def __init__(self, context: ssl.SSLContext, server_hostname: str | None, done: asyncio.Future[ssl.SSLObject]) -> None:
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=server_hostname)
        self._done = done
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # a TCP connection's transport reads and writes
        self._step()

    def data_received(self, data: bytes) -> None:
        self._incoming.write(data)
        self._step()

    def eof_received(self) -> bool:
        self._fail(ConnectionResetError())  # as asyncio's TLS transport says a close during the handshake
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionResetError())

    def _step(self) -> None:
        if self._done.done():
            return
        try:
            self._tls.do_handshake()
        except ssl.SSLWantReadError:
            self._send()
        except ssl.SSLError as exc:
            self._done.set_exception(exc)
        else:
            self._send()  # our Finished: the server sees a completed handshake, not a failed one in its log
            self._done.set_result(self._tls)

    def _send(self) -> None:
        pending = self._outgoing.read()
        if pending and self._transport is not None:
            self._transport.write(pending)

    def _fail(self, exc: BaseException) -> None:
        if not self._done.done():
            self._done.set_exception(exc)


async def _handshake(endpoint: Endpoint, context: ssl.SSLContext, server_hostname: str | None) -> tuple[asyncio.BaseTransport, ssl.SSLObject]:
    """Connect and complete a TLS handshake; the caller aborts the transport (also when this raises)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[ssl.SSLObject] = loop.create_future()
    transport, _ = await loop.create_connection(lambda: _Handshake(context, server_hostname, done), endpoint.host, endpoint.port)
    try:
        return transport, await done
    except BaseException:
        transport.abort()
        raise


async def _upgrade(writer: asyncio.StreamWriter, context: ssl.SSLContext, server_hostname: str | None) -> ssl.SSLObject:
    """The TLS handshake on a connection upgraded by STARTTLS (as ``loop.start_tls`` hands the connection over)."""
    await writer.drain()
    transport = cast(asyncio.Transport, writer.transport)
    done: asyncio.Future[ssl.SSLObject] = asyncio.get_running_loop().create_future()
    protocol = _Handshake(context, server_hostname, done)
    transport.pause_reading()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    transport.resume_reading()
    return await done


def _closed(exc: ssl.SSLError) -> bool:
    return isinstance(exc, ssl.SSLEOFError) or "EOF" in str(exc) or exc.reason in ("UNEXPECTED_EOF_WHILE_READING",)


def _plain_text_reply(exc: ssl.SSLError) -> bool:
    """The server answered our ClientHello with something that is not TLS (a STARTTLS greeting, say)."""
    return exc.reason in ("WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "UNKNOWN_PROTOCOL")


async def _protocol_hint(endpoint: Endpoint, timeout: float) -> str:
    """Which protocol the server seems to speak in the clear: by its greeting, else by its port."""
    from sslterm.core.endpoints import WELL_KNOWN_PORTS

    guess = None
    writer = None
    greeting = b""
    try:
        async with asyncio.timeout(min(timeout, 2.0)):
            reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
            greeting = await reader.read(512)
            guess = guess_protocol(greeting)
    except (OSError, TimeoutError):
        pass
    finally:
        if writer is not None:
            writer.transport.abort()
    if greeting.startswith(b"HTTP/"):
        return ": it speaks plain HTTP on this port; probe its HTTPS port instead"
    guess = guess or WELL_KNOWN_PORTS.get(endpoint.port)
    if guess:
        return f": it looks like {PROTOCOL_NAMES[guess]}, so set the endpoint's protocol to {guess}"
    return ": it may need STARTTLS, so set the endpoint's protocol"


def guess_protocol(greeting: bytes) -> str | None:
    """The STARTTLS protocol a clear-text greeting belongs to, or None."""
    text = greeting[:512].decode("latin-1").upper()
    if text.startswith("220") and "FTP" in text:
        return "ftp"
    if text.startswith("220"):
        return "smtp"
    if text.startswith("* OK") or text.startswith("* PREAUTH"):
        return "imap"
    if text.startswith("+OK"):
        return "pop3"
    if len(greeting) > 5 and greeting[3] == 0 and greeting[4] == 10:  # a MySQL handshake packet, protocol 10
        return "mysql"
    return None


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
