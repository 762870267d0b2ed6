"""Java keystores (JKS and JCEKS, as ``keytool`` writes them), read with pyjks.

Every private-key entry gives its key and certificate chain; trusted-certificate
entries give chain material. The store password opens the store and is tried on
each key; an entry whose key has its own password takes it from
``key_passwords`` (by alias, or ``*`` for every entry). Java's PKCS#12 stores
(the default since Java 9) are plain PKCS#12 and are read as such elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sslterm.core.errors import ParseError, PasswordError

JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"


@dataclass
class KeystoreContents:
    certificates: list[bytes] = field(default_factory=list)  # DER, each chain leaf first
    keys: list[bytes] = field(default_factory=list)  # PKCS#8 DER


def is_keystore(data: bytes) -> bool:
    return data[:4] in (JKS_MAGIC, JCEKS_MAGIC)


def read_keystore(data: bytes, password: bytes | None, key_passwords: Mapping[str, bytes] | None = None) -> KeystoreContents:
    import jks

    kind = "JKS" if data[:4] == JKS_MAGIC else "JCEKS"
    if password is None:
        raise PasswordError(f"this is a {kind} keystore: it needs its store password")
    try:
        store = jks.KeyStore.loads(data, password.decode("utf-8", "surrogateescape"), try_decrypt_keys=True)
    except jks.util.KeystoreSignatureException:
        raise PasswordError(f"the {kind} keystore's password is wrong (its integrity check fails)") from None
    except jks.util.KeystoreException as exc:
        raise ParseError(f"the {kind} keystore is damaged or of an unknown version: {' '.join(str(exc).split())}") from None
    except Exception:  # noqa: BLE001 - pyjks raises struct and index errors on cut input
        raise ParseError(f"the {kind} keystore is cut short or damaged") from None
    contents = KeystoreContents()
    for alias, entry in sorted(store.private_keys.items()):
        if not entry.is_decrypted():
            given = (key_passwords or {}).get(alias) or (key_passwords or {}).get("*")
            if given is None:
                raise PasswordError(f"the key of entry '{alias}' has its own password, not the store's: give it by alias ({alias}=PASSWORD)")
            try:
                entry.decrypt(given.decode("utf-8", "surrogateescape"))
            except jks.util.DecryptionFailureException:
                raise PasswordError(f"the key password for entry '{alias}' is wrong") from None
        contents.keys.append(entry.pkey_pkcs8)
        contents.certificates.extend(der for _, der in entry.cert_chain)
    for _, trusted in sorted(store.certs.items()):
        contents.certificates.append(trusted.cert)
    if not contents.keys and not contents.certificates:
        raise ParseError(f"the {kind} keystore holds no private key or certificate entry")
    return contents
