"""XMPP STARTTLS (RFC 6120 §5): open a stream, find <starttls/> in the features, get <proceed/>."""

from __future__ import annotations

import re

from sslterm.probes.starttls.session import NOT_OFFERED, Session, StartTlsError, quote

TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
SERVER_PORT = 5269  # server-to-server streams use the jabber:server namespace


async def negotiate(session: Session) -> None:
    namespace = "jabber:server" if session.port == SERVER_PORT else "jabber:client"
    session.stage = "the server's stream features"
    to = session.server_name.replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;")
    session.send(f"<?xml version='1.0'?><stream:stream to='{to}' xmlns='{namespace}' "
                 "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
    data = await session.until((b"</stream:features>", b"<stream:features/>", b"</stream:stream>", b"<stream:error"))
    text = data.decode("utf-8", "replace")
    if "<stream:error" in text or "</stream:stream>" in text:
        condition = re.search(r"<stream:error>\s*<([a-z-]+)", text)
        raise StartTlsError("the server closed the stream" + (f": {quote(condition.group(1))}" if condition else ""))
    if "<starttls" not in text:
        raise StartTlsError(f"{NOT_OFFERED} (its stream features do not list it)")
    session.stage = "the reply to <starttls/>"
    session.send(f"<starttls xmlns='{TLS_NS}'/>")
    reply = (await session.until((b"<proceed", b"<failure", b"</stream:stream>"))).decode("utf-8", "replace")
    if "<proceed" not in reply:
        raise StartTlsError("the server refused STARTTLS (it answered <failure/>)")
