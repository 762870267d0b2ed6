"""Kubernetes TLS secrets: read ``tls.crt``/``tls.key``/``ca.crt`` out of Secret manifests, write one.

Input is YAML or JSON, one or many documents, a ``List`` of items too (as
``kubectl get secret -o yaml`` prints), with ``data`` (base64) or ``stringData``
(plain). Output is what ``kubectl create secret tls NAME --cert --key
--dry-run=client -o yaml`` writes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from sslterm.core.errors import ParseError

TLS_FIELDS = ("tls.crt", "tls.key", "ca.crt")
_NAME_UNSAFE = re.compile(r"[^a-z0-9.-]+")


_MANIFEST = re.compile(rb'(?m)^\s*(apiVersion|kind)\s*:|"(apiVersion|kind)"\s*:')


def is_secret(data: bytes) -> bool:
    """Kubernetes manifest text that names a TLS field (not a PEM file that mentions one in a comment)."""
    return b"tls.crt" in data and _MANIFEST.search(data[:65536]) is not None


def secret_pems(data: bytes) -> list[bytes]:
    """The PEM text of every TLS field of every Secret in ``data``."""
    documents = _documents(data)
    pems: list[bytes] = []
    for document in documents:
        for secret in _secrets(document):
            pems += _fields(secret)
    if not pems:
        raise ParseError("the Kubernetes manifest holds no Secret with tls.crt, tls.key or ca.crt")
    return pems


def _documents(data: bytes) -> list[object]:
    text = data.decode("utf-8", "replace")
    if text.lstrip().startswith(("{", "[")):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as exc:
            raise ParseError(f"the Kubernetes JSON is not valid: {exc.msg} at line {exc.lineno}") from None
    import yaml

    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ParseError(f"the Kubernetes YAML is not valid{where}: {getattr(exc, 'problem', None) or 'it cannot be parsed'}") from None


def _secrets(document: object) -> list[dict]:
    if isinstance(document, list):
        return [s for item in document for s in _secrets(item)]
    if not isinstance(document, dict):
        return []
    if document.get("kind") == "List" or (isinstance(document.get("items"), list) and "kind" not in document):
        return [s for item in document.get("items") or [] for s in _secrets(item)]
    return [document] if document.get("kind") == "Secret" else []


def _fields(secret: dict) -> list[bytes]:
    name = (secret.get("metadata") or {}).get("name", "(unnamed)") if isinstance(secret.get("metadata"), dict) else "(unnamed)"
    found: list[bytes] = []
    data, plain = secret.get("data") or {}, secret.get("stringData") or {}
    for field in TLS_FIELDS:
        if isinstance(plain, dict) and isinstance(plain.get(field), str):
            found.append(plain[field].encode())
        elif isinstance(data, dict) and isinstance(data.get(field), str):
            try:
                found.append(base64.b64decode("".join(data[field].split()), validate=True))
            except (binascii.Error, ValueError):
                raise ParseError(f"Secret {name}: {field} is not base64") from None
    return [pem for pem in found if pem.strip()]


def secret_name(name: str) -> str:
    """A DNS-1123 name for the Secret: ``*.example.com`` becomes ``wildcard.example.com-tls``."""
    clean = _NAME_UNSAFE.sub("-", name.lower().replace("*", "wildcard")).strip("-.")
    return (clean or "certificate")[:249].rstrip("-.") + "-tls"


def secret_yaml(name: str, fullchain_pem: bytes, key_pem: bytes) -> bytes:
    """A ``kubernetes.io/tls`` Secret as kubectl writes it (fields sorted, data base64)."""
    lines = [
        "apiVersion: v1",
        "data:",
        f"  tls.crt: {base64.b64encode(fullchain_pem).decode()}",
        f"  tls.key: {base64.b64encode(key_pem).decode()}",
        "kind: Secret",
        "metadata:",
        "  creationTimestamp: null",
        f"  name: {secret_name(name)}",
        "type: kubernetes.io/tls",
    ]
    return ("\n".join(lines) + "\n").encode()
