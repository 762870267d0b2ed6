"""Read the listing columns of a certificate straight from its DER, for bulk import.

cryptography builds a Python object for every name attribute and extension it
is asked about, which costs about 100 us a certificate; a fleet import needs
only a dozen fields. :func:`summary_fields` walks the TBSCertificate once and
returns them, or ``None`` for anything outside the common shapes (unusual
string types, key algorithms, time formats, duplicate extensions), in which
case the caller asks cryptography. What it returns is exactly what the
cryptography path would give: tests compare the two field by field.

Input must already have been parsed by cryptography (so it is well-formed DER);
this module trusts lengths only as far as it checks them.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import UTC, datetime

_SEQUENCE, _SET, _INTEGER, _BIT_STRING, _OCTET_STRING, _NULL, _OID, _BOOLEAN = 0x30, 0x31, 0x02, 0x03, 0x04, 0x05, 0x06, 0x01
_UTC_TIME, _GENERALIZED_TIME = 0x17, 0x18

_OID_CN = "2.5.4.3"
_SHORT_NAMES = {
    "2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C",
    "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}
_PRINTABLE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")
_EXT_SAN, _EXT_BASIC_CONSTRAINTS = b"\x55\x1d\x11", b"\x55\x1d\x13"  # 2.5.29.17, 2.5.29.19
_RSA, _EC, _ED25519, _ED448 = "1.2.840.113549.1.1.1", "1.2.840.10045.2.1", "1.3.101.112", "1.3.101.113"
_CURVES = {"1.2.840.10045.3.1.7": ("P-256", 65), "1.3.132.0.34": ("P-384", 97), "1.3.132.0.35": ("P-521", 133)}


class _Unusual(Exception):
    """The certificate has a shape this reader leaves to cryptography."""


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the element at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise _Unusual("length form")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise _Unusual("truncated")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(tag, content start, content end) of each element between ``start`` and ``end``.

    The header is read inline rather than with :func:`_tlv`: this runs some fifteen
    times a certificate, and the call cost a tenth of the whole reader.
    """
    items: list[tuple[int, int, int]] = []
    append = items.append
    while start < end:
        length = data[start + 1]
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4:
                raise _Unusual("length form")
            content = start + 2 + count
            append((data[start], content, content + int.from_bytes(data[start + 2 : content], "big")))
        else:
            append((data[start], start + 2, start + 2 + length))
        start = items[-1][2]
    if start != end:  # an element ran past its parent
        raise _Unusual("element overruns its parent")
    return items


_OID_CACHE: dict[bytes, str] = {}


def _oid(raw: bytes) -> str:
    dotted = _OID_CACHE.get(raw)
    if dotted is None:
        arcs, value = [], 0
        for byte in raw:
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                arcs.append(value)
                value = 0
        if not arcs:
            raise _Unusual("empty OID")
        first = arcs[0]
        head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
        dotted = ".".join(str(a) for a in head + arcs[1:])
        if len(_OID_CACHE) < 4096:
            _OID_CACHE[raw] = dotted
    return dotted


def _string(tag: int, raw: bytes) -> str:
    if tag == 0x0C:  # UTF8String
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unusual("bad UTF-8") from None
    if tag == 0x13:  # PrintableString
        if not _PRINTABLE.issuperset(raw):
            raise _Unusual("printable charset")
        return raw.decode("ascii")
    if tag in (0x16, 0x1A, 0x12):  # IA5String, VisibleString, NumericString
        if not raw.isascii():
            raise _Unusual("non-ASCII")
        return raw.decode("ascii")
    raise _Unusual(f"string type {tag:#x}")


def _escape(value: str) -> str:
    """RFC 4514 value escaping, exactly as cryptography's ``_escape_dn_value``."""
    if not value:
        return ""
    for plain, escaped in (("\\", "\\\\"), ('"', '\\"'), ("+", "\\+"), (",", "\\,"), (";", "\\;"), ("<", "\\<"), (">", "\\>"), ("\0", "\\00")):
        if plain in value:
            value = value.replace(plain, escaped)
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


_NAME_CACHE: dict[bytes, tuple[str, list[str]]] = {}


def _name(data: bytes, start: int, end: int) -> tuple[str, list[str]]:
    """(RFC 4514 text, common names) of a Name; issuers repeat, so they are remembered."""
    raw = data[start:end]
    known = _NAME_CACHE.get(raw)
    if known is None:
        known = _read_name(raw)
        if len(_NAME_CACHE) >= 1024:
            _NAME_CACHE.clear()
        _NAME_CACHE[raw] = known
    return known[0], list(known[1])


def _read_name(data: bytes) -> tuple[str, list[str]]:
    rdns, cns = [], []
    for tag, rs, re_ in _children(data, 0, len(data)):
        if tag != _SET:
            raise _Unusual("RDN")
        parts = []
        for atag, as_, ae in _children(data, rs, re_):
            if atag != _SEQUENCE:
                raise _Unusual("attribute")
            (otag, os_, oe), (vtag, vs, ve) = _children(data, as_, ae)
            if otag != _OID:
                raise _Unusual("attribute type")
            oid = _oid(data[os_:oe])
            value = _string(vtag, data[vs:ve])
            if oid == _OID_CN:
                cns.append(value)
            parts.append(f"{_SHORT_NAMES.get(oid, oid)}={_escape(value)}")
        if not parts:
            raise _Unusual("empty RDN")
        rdns.append("+".join(parts))
    return ",".join(reversed(rdns)), cns


def _time(tag: int, raw: bytes) -> datetime:
    if tag == _UTC_TIME and len(raw) == 13 and raw[12] == 0x5A and raw[:12].isdigit():  # YYMMDDHHMMSSZ
        year = int(raw[:2])
        year += 1900 if year >= 50 else 2000
        at = 2
    elif tag == _GENERALIZED_TIME and len(raw) == 15 and raw[14] == 0x5A and raw[:14].isdigit():  # YYYYMMDDHHMMSSZ
        year, at = int(raw[:4]), 4
    else:
        raise _Unusual("time format")
    try:
        return datetime(year, int(raw[at : at + 2]), int(raw[at + 2 : at + 4]), int(raw[at + 4 : at + 6]),
                        int(raw[at + 6 : at + 8]), int(raw[at + 8 : at + 10]), tzinfo=UTC)
    except ValueError:
        raise _Unusual("time value") from None


def _public_key(data: bytes, start: int, end: int, any_key: bool = False) -> str:
    """The key description ("RSA 2048", "ECDSA P-256") of a canonically encoded SubjectPublicKeyInfo.

    Canonical means cryptography would re-encode it byte for byte, so hashing the
    element as it stands gives the same fingerprint as hashing ``public_bytes``.
    """
    (atag, as_, ae), (btag, bs, be) = _children(data, start, end)
    if atag != _SEQUENCE or btag != _BIT_STRING or data[bs] != 0:
        raise _Unusual("SPKI")
    algorithm = _children(data, as_, ae)
    if algorithm[0][0] != _OID:
        raise _Unusual("key algorithm")
    oid = _oid(data[algorithm[0][1] : algorithm[0][2]])
    params = algorithm[1] if len(algorithm) == 2 else None
    key = data[bs + 1 : be]
    if oid == _RSA and params is not None and params[0] == _NULL and params[1] == params[2]:
        description = f"RSA {_rsa_bits(key)}"
    elif oid == _EC and params is not None and params[0] == _OID:
        curve = _CURVES.get(_oid(data[params[1] : params[2]]))
        if curve is None or len(key) != curve[1] or key[0] != 0x04:
            raise _Unusual("curve or point form")
        description = f"ECDSA {curve[0]}"
    elif oid == _ED25519 and params is None and len(key) == 32:
        description = "Ed25519 256"
    elif oid == _ED448 and params is None and len(key) == 57:
        description = "Ed448 456"
    elif any_key:
        description = f"unsupported key algorithm {oid}"
    else:
        raise _Unusual("key type")
    return description


def _rsa_bits(key: bytes) -> int:
    """Modulus size of a minimally encoded RSAPublicKey (anything else is re-encoded by OpenSSL)."""
    tag, start, end = _tlv(key, 0)
    if tag != _SEQUENCE or end != len(key):
        raise _Unusual("RSA key")
    fields = _children(key, start, end)
    if len(fields) != 2:
        raise _Unusual("RSA key")
    for ftag, fs, fe in fields:
        if ftag != _INTEGER or fe == fs or key[fs] & 0x80 or (fe - fs > 1 and key[fs] == 0 and not key[fs + 1] & 0x80):
            raise _Unusual("RSA integer")
    modulus = key[fields[0][1] : fields[0][2]]
    return int.from_bytes(modulus, "big").bit_length()


def _extensions(data: bytes, start: int, end: int) -> tuple[tuple[str, ...], bool]:
    """(hostnames from the SAN: DNS names then IP addresses, is a CA) from [3] Extensions."""
    (tag, start, end), = _children(data, start, end)
    if tag != _SEQUENCE:
        raise _Unusual("extensions")
    seen: set[bytes] = set()
    dns: list[str] = []
    ips: list[str] = []
    is_ca = False
    for etag, es, ee in _children(data, start, end):
        parts = _children(data, es, ee)
        if etag != _SEQUENCE or parts[0][0] != _OID or parts[-1][0] != _OCTET_STRING:
            raise _Unusual("extension")
        oid = data[parts[0][1] : parts[0][2]]
        if oid in seen:
            raise _Unusual("duplicate extension")
        seen.add(oid)
        vs, ve = parts[-1][1], parts[-1][2]
        if oid == _EXT_SAN:
            dns, ips = _san(data, vs, ve)
        elif oid == _EXT_BASIC_CONSTRAINTS:
            btag, bs, be = _tlv(data, vs)
            if btag != _SEQUENCE:
                raise _Unusual("basic constraints")
            fields = _children(data, bs, be)
            is_ca = bool(fields) and fields[0][0] == _BOOLEAN and data[fields[0][1]] != 0
    return tuple(dns) + tuple(ips), is_ca


def _san(data: bytes, start: int, end: int) -> tuple[list[str], list[str]]:
    tag, start, end = _tlv(data, start)
    if tag != _SEQUENCE:
        raise _Unusual("SAN")
    dns, ips = [], []
    for ntag, ns, ne in _children(data, start, end):
        if ntag == 0x82:  # dNSName
            raw = data[ns:ne]
            if not raw.isascii():
                raise _Unusual("non-ASCII dNSName")
            dns.append(raw.decode("ascii"))
        elif ntag == 0x87:  # iPAddress
            if ne - ns == 4:
                ips.append(str(ipaddress.IPv4Address(data[ns:ne])))
            elif ne - ns == 16:
                ips.append(str(ipaddress.IPv6Address(data[ns:ne])))
            else:
                raise _Unusual("iPAddress length")
    return dns, ips


def summary_fields(der: bytes, any_key: bool = False) -> dict[str, object] | None:
    """The listing fields of a certificate, or None when cryptography must read it.

    With ``any_key`` a key of an algorithm sslterm does not read is described by its
    OID instead (for certificates cryptography cannot give a public key for).
    """
    try:
        return _summary_fields(der, any_key)
    except (_Unusual, IndexError, ValueError):
        return None


def _summary_fields(der: bytes, any_key: bool = False) -> dict[str, object]:
    tag, start, end = _tlv(der, 0)
    if tag != _SEQUENCE or end != len(der):
        raise _Unusual("certificate")
    ttag, ts, te = _tlv(der, start)
    if ttag != _SEQUENCE:
        raise _Unusual("TBS")
    fields = _children(der, ts, te)
    if fields[0][0] == 0xA0:
        fields = fields[1:]
    (stag, ss, se), _algorithm, (itag, is_, ie), (vtag, vs, ve), (subtag, subs, sube), (ktag, ks, ke), *rest = fields
    if stag != _INTEGER or itag != _SEQUENCE or vtag != _SEQUENCE or subtag != _SEQUENCE or ktag != _SEQUENCE:
        raise _Unusual("TBS fields")
    serial = int.from_bytes(der[ss:se], "big", signed=True)
    issuer_text, _ = _name(der, is_, ie)
    subject_text, cns = _name(der, subs, sube)
    (btag, bs, be), (atag, as_, ae) = _children(der, vs, ve)
    not_before, not_after = _time(btag, der[bs:be]), _time(atag, der[as_:ae])
    spki_start = sube  # TBS elements are contiguous: the key info starts where the subject ends
    key_description = _public_key(der, ks, ke, any_key)
    hostnames: tuple[str, ...] = ()
    is_ca = False
    for xtag, xs, xe in rest:
        if xtag == 0xA3:
            hostnames, is_ca = _extensions(der, xs, xe)
        elif xtag not in (0x81, 0x82):
            raise _Unusual("TBS trailer")
    return {
        "common_names": cns,
        "hostnames": hostnames,
        "subject_text": subject_text,
        "issuer_text": issuer_text,
        "serial_hex": format(serial, "x"),
        "sha256": hashlib.sha256(der).hexdigest(),
        "public_key_sha256": hashlib.sha256(der[spki_start:ke]).hexdigest(),
        "key_description": key_description,
        "not_before": not_before,
        "not_after": not_after,
        "is_ca": is_ca,
    }

