"""discover scan: probe the hosts and ports asked for, never more, and say what each serves."""

from __future__ import annotations

import ipaddress

from sslterm.core.endpoints import WELL_KNOWN_PORTS, TLS, clean_host
from sslterm.core.errors import InputError
from sslterm.probes.tls import Endpoint, ProbeResult, probe_all


def parse_ports(text: str) -> list[int]:
    """``443,8443,25`` or ranges ``8000-8010``; each between 1 and 65535."""
    ports: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise InputError(f"--ports: {part!r} is not a port or a range like 8000-8010")
        first, last = int(low), int(high or low)
        if not (1 <= first <= last <= 65535):
            raise InputError(f"--ports: {part!r} is not within 1-65535")
        ports.extend(range(first, last + 1))
    return list(dict.fromkeys(ports))


def scan_targets(hosts: list[str], ports: list[int], limit: int) -> list[Endpoint]:
    """Every host (an IPv4 or IPv6 network counts its addresses) on every port, refused above ``limit`` pairs."""
    addresses: list[str] = []
    for host in hosts:
        if "/" in host:
            try:
                network = ipaddress.ip_network(host, strict=False)
            except ValueError:
                raise InputError(f"{host!r} is not a network like 10.0.0.0/28") from None
            count = network.num_addresses if network.num_addresses <= 2 else network.num_addresses - (2 if network.version == 4 else 0)
            if count * len(ports) > limit:
                raise InputError(f"{host} has {network.num_addresses} addresses: with {len(ports)} port(s) that is more than "
                                 f"{limit} probes; narrow it or raise --max")
            addresses += [str(a) for a in (network.hosts() if network.num_addresses > 2 else network)]
        else:
            addresses.append(clean_host(host))
    addresses = list(dict.fromkeys(addresses))
    if len(addresses) * len(ports) > limit:
        raise InputError(f"{len(addresses)} host(s) on {len(ports)} port(s) is more than {limit} probes; narrow it or raise --max")
    return [Endpoint(host, host, port, None, WELL_KNOWN_PORTS.get(port, TLS)) for host in addresses for port in ports]


async def scan(targets: list[Endpoint], concurrency: int, timeout: float) -> list[ProbeResult]:
    return await probe_all(targets, concurrency, timeout)
