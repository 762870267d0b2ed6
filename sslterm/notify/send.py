"""Hand a message to apprise (email, webhooks, Slack, ... any apprise URL) and hear what it answered."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from sslterm.core.errors import InputError


@dataclass(frozen=True)
class Answer:
    """Whether the service took the message, and what apprise said (no secrets: apprise masks them)."""

    ok: bool
    detail: str


def _plugin(url: str):  # type: ignore[no-untyped-def]
    import apprise  # loaded only when notifications are used

    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        scheme = url.partition("://")[0] or url
        said = [" ".join(line.split()) for line in log.getvalue().splitlines() if line.strip() and not line.startswith("Could not load")]
        why = f" ({said[0].rstrip('.')})" if said else ""
        raise InputError(f"apprise cannot use this '{scheme}://' URL{why}: see https://appriseit.com for the forms "
                         "(mailto://, mailtos://, json://, slack://, …)")
    return plugin


def shown_url(url: str) -> str:
    """The URL as lists show it: apprise's privacy form, passwords and tokens masked."""
    return str(_plugin(url).url(privacy=True))


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` set as its user's password (from ``--password-file``, never argv)."""
    parts = urlsplit(url)
    user = parts.username
    if not user:
        raise InputError("the URL names no user for the password: write it as scheme://USER@host/…")
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def send(url: str, title: str, body: str) -> Answer:
    """Send one message; apprise's own timeouts bound it (``?cto=``/``?rto=`` on the URL change them)."""
    import apprise

    plugin = _plugin(url)
    with apprise.LogCapture(level=logging.INFO, fmt="%(message)s") as log:
        try:
            ok = bool(plugin.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
        except Exception as exc:  # noqa: BLE001 - a plugin's crash is a failed send, told in words
            ok, extra = False, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        else:
            extra = ""
        lines = [" ".join(line.split()) for line in log.getvalue().splitlines() if line.strip()]
    detail = "; ".join(lines[-3:] + ([extra] if extra else [])) or ("sent" if ok else "the service did not accept the message")
    return Answer(ok, detail[:300])
