"""Read a file of endpoints: CSV (``domain,host,port,sni,protocol``) or one per line.

The line form is ``DOMAIN HOST[:PORT] [--sni NAME] [--protocol P]`` (HOST may be
``smtp://host:25``); ``#`` starts a comment. CSV is told by a header naming its
columns (``endpoint list --format csv`` writes one), or by commas without one, in
which case the columns are in the order above. Every line gets a result, so a
file of 200 endpoints reports 200 things, and a bad line stops nothing else.
"""

from __future__ import annotations

import csv
import io
import shlex
from dataclasses import dataclass

from sslterm.core.endpoints import check_protocol, parse_address
from sslterm.core.errors import InputError

CSV_COLUMNS = ("domain", "host", "port", "sni", "protocol", "ca_bundle")
_REQUIRED = ("domain", "host")


@dataclass(frozen=True)
class EndpointSpec:
    """One endpoint to add, from line ``line`` of the file."""

    line: int
    domain: str
    host: str
    port: int
    sni: str | None
    protocol: str
    ca_bundle: str | None = None


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


def decode_endpoint_file(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text: save it as UTF-8 (CSV or one endpoint per line)") from None


def read_endpoint_file(path: str) -> list[EndpointSpec | BadLine]:
    """The endpoints of the file at ``path`` (``~`` expanded); an unreadable file is an InputError."""
    from pathlib import Path

    try:
        data = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return read_endpoints(decode_endpoint_file(data, path))


def read_endpoints(text: str) -> list[EndpointSpec | BadLine]:
    """Every endpoint line in ``text``, in order, each parsed or with the reason it could not be."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
    if "," in first:
        return _read_csv(lines)
    return [_read_line(number, line) for number, line in enumerate(lines, 1) if line.strip() and not line.lstrip().startswith("#")]


def _read_csv(lines: list[str]) -> list[EndpointSpec | BadLine]:
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    columns = list(CSV_COLUMNS[:5])
    results: list[EndpointSpec | BadLine] = []
    for number, row in enumerate(rows, 1):
        cells = [_unquote(cell.strip()) for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() == "domain":
            columns = [cell.lower() for cell in cells]
            missing = [name for name in _REQUIRED if name not in columns]
            unknown = [name for name in columns if name not in CSV_COLUMNS]
            if missing or unknown:
                what = f"lacks the column {', '.join(missing)}" if missing else f"has the unknown column {', '.join(unknown)}"
                return [BadLine(1, f"the CSV header {what}: use {','.join(CSV_COLUMNS[:5])}")]
            continue
        if len(cells) > len(columns):
            results.append(BadLine(number, f"{len(cells)} cells, but the columns are {','.join(columns)}"))
            continue
        values = dict(zip(columns, cells))
        results.append(_spec(number, values.get("domain", ""), values.get("host", ""), values.get("port") or None,
                             values.get("sni") or None, values.get("protocol") or None, values.get("ca_bundle") or None))
    return results


def _read_line(number: int, line: str) -> EndpointSpec | BadLine:
    try:
        words = shlex.split(line, comments=True)
    except ValueError as exc:
        return BadLine(number, f"cannot split the line into words: {exc}")
    positional: list[str] = []
    options: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--"):
            name, _, value = word[2:].partition("=")
            if name not in ("sni", "protocol", "ca-bundle"):
                return BadLine(number, f"unknown option --{name}: use --sni, --protocol or --ca-bundle")
            if not value:
                index += 1
                if index == len(words):
                    return BadLine(number, f"--{name} needs a value")
                value = words[index]
            options[name] = value
        else:
            positional.append(word)
        index += 1
    if len(positional) != 2:
        return BadLine(number, "expected DOMAIN HOST[:PORT] [--sni NAME] [--protocol P]")
    return _spec(number, positional[0], positional[1], None, options.get("sni"), options.get("protocol"), options.get("ca-bundle"))


def _spec(number: int, domain: str, host: str, port: str | None, sni: str | None, protocol: str | None,
          ca_bundle: str | None) -> EndpointSpec | BadLine:
    if not domain or not host:
        return BadLine(number, "the domain and the host are both needed")
    try:
        if port is not None and not port.isdigit():
            raise InputError(f"port {port!r} is not a number")
        address = parse_address(_with_port(host, port), check_protocol(protocol) if protocol else None)
    except InputError as exc:
        return BadLine(number, str(exc))
    return EndpointSpec(number, domain, address.host, address.port, sni, address.protocol, ca_bundle)


def _with_port(host: str, port: str | None) -> str:
    """A CSV row's host and port as one address (IPv6 in brackets)."""
    if port is None:
        return host
    scheme, sep, rest = host.rpartition("://")
    if rest.count(":") == 1 or "]:" in rest:
        raise InputError(f"host {host!r} already has a port; give it once")
    if ":" in rest and not rest.startswith("["):
        rest = f"[{rest}]"
    return f"{scheme}{sep}{rest}:{port}"


def _unquote(cell: str) -> str:
    """Undo the leading quote a CSV export puts before a cell that starts like a formula."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell
