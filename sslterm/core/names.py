"""Input rules for names: domains (IDNA, wildcards), IP addresses, emails, countries.

Each rule raises :class:`InputError` with one clear message naming the field.
"""

from __future__ import annotations

import ipaddress
import re

import idna

from sslterm.core.errors import InputError

# ISO 3166-1 alpha-2, officially assigned codes.
ISO_COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TZ UA UG UM US UY UZ VA VC VE VG VI VN
    VU WF WS YE YT ZA ZM ZW
    """.split()
)

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")


def normalize_country(value: str) -> str:
    """Return the upper-case ISO 3166 alpha-2 code, or raise for anything else."""
    code = value.strip().upper()
    if code not in ISO_COUNTRIES:
        raise InputError(
            f"country code {value!r} is not a two-letter ISO 3166 code (for example US, DE, BE)",
            field="country",
        )
    return code


def is_ip(value: str) -> bool:
    """True when ``value`` is an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return True


def normalize_domain(value: str, field: str = "domain", allow_wildcard: bool = True) -> str:
    """Return a domain in lower-case ASCII (punycode) form, or raise :class:`InputError`.

    Unicode names are converted with IDNA 2008 (UTS #46 mapping). A wildcard is
    allowed only as the whole leftmost label (``*.example.com``).
    """
    raw = value.strip()
    if not raw:
        raise InputError(f"{field} is empty: enter a domain name such as example.com", field)
    if any(ch.isspace() for ch in raw):
        raise InputError(f"{field} {value!r} contains a space: a domain name has none", field)
    name = raw.rstrip(".")
    wildcard = name.startswith("*.")
    rest = name[2:] if wildcard else name
    if "*" in rest:
        raise InputError(
            f"{field} {value!r}: a wildcard may only be the whole leftmost label, as in *.example.com",
            field,
        )
    if wildcard and not allow_wildcard:
        raise InputError(f"{field} {value!r}: a wildcard is not allowed here", field)
    try:
        ascii_name = idna.encode(rest, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise InputError(f"{field} {value!r} is not a valid domain name ({exc})", field) from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LDH_LABEL.match(label) for label in labels):
        raise InputError(
            f"{field} {value!r} is not a valid domain name: use letters, digits and hyphens "
            "in dot-separated labels of at most 63 characters",
            field,
        )
    return ("*." if wildcard else "") + ascii_name


def normalize_san(value: str) -> str:
    """Normalise one extra name: an IP address as written, else a domain (wildcards allowed)."""
    stripped = value.strip()
    if is_ip(stripped):
        return str(ipaddress.ip_address(stripped))
    return normalize_domain(stripped, field="additional name")


def normalize_email(value: str) -> str:
    """Return a plausible contact email or raise :class:`InputError`."""
    raw = value.strip()
    local, at, domain = raw.rpartition("@")
    if not at or not _EMAIL_LOCAL.match(local) or ".." in local:
        raise InputError(f"email {value!r} is not a valid address (expected name@example.com)", "email")
    try:
        ascii_domain = normalize_domain(domain, field="email domain", allow_wildcard=False)
    except InputError:
        raise InputError(f"email {value!r} has an invalid domain part", "email") from None
    return f"{local}@{ascii_domain}"


def to_unicode(name: str) -> str:
    """Show a punycode domain as Unicode; names that do not decode are returned as they are."""
    if "xn--" not in name.lower():
        return name
    prefix = "*." if name.startswith("*.") else ""
    body = name[len(prefix):]
    try:
        return prefix + idna.decode(body)
    except (idna.IDNAError, UnicodeError, ValueError):
        return name


def to_ascii_query(text: str) -> str:
    """Best-effort punycode form of a search fragment (for IDN-aware search)."""
    try:
        return idna.encode(text.strip().strip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return text
