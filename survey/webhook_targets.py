"""Where a webhook may be POSTed: never to this machine or the network behind it (SSRF).

A URL is checked when it is saved and again right before every POST, because what a name
resolves to can change in between; the POST then connects to the very address that was
checked. Standard library only, no Flask: the web app and the workers both use it.
"""

from __future__ import annotations

import re
import socket
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

IPAddress = IPv4Address | IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits, like ::ffff:0:0/96 does.
NAT64 = IPv6Network("64:ff9b::/96")
UNIQUE_LOCAL = IPv6Network("fc00::/7")
# What inet_aton reads as IPv4: 2130706433, 0x7f000001, 0177.0.0.1, 127.1 are all 127.0.0.1.
_NUMERIC_HOST = re.compile(r"^[0-9A-Fa-fXx.]+$")


class UnsafeTarget(ValueError):
    """The host is, or resolves to, an address webhooks must not reach."""


def _embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why `address` is refused ("a loopback address", ...), or None when it may be used.

    Link-local (169.254.0.0/16 holds cloud metadata services), unspecified, multicast and
    reserved addresses are refused always; loopback and private ones unless `allow_private`.
    """
    ip = _embedded_ipv4(address) or address
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_loopback:  # before "reserved": ::1 lies in the reserved ::/8
        kind = "a loopback address"
    elif ip.is_reserved:
        return "a reserved address"
    elif isinstance(ip, IPv6Address) and ip in UNIQUE_LOCAL:
        kind = "a unique-local address"
    elif ip.is_private:
        kind = "a private address"
    elif not ip.is_global:
        kind = "a non-public address"
    else:
        return None
    return None if allow_private else kind


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any form a resolver accepts; None for names."""
    text = host.strip().strip("[]")
    try:
        return ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_HOST.match(text):
        try:
            return IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to now (raises OSError when it does not resolve)."""
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        address = ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """Resolve `host` and check every address; raises UnsafeTarget if any is refused.

    One refused address refuses them all: a name that resolves to a public and a private
    address would otherwise reach the private one whenever the public one is down.
    """
    literal = literal_address(host)
    addresses = [literal] if literal is not None else resolve(host, port)
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason is not None:
            shown = host if literal is not None else f"{host} resolves to {address}, which"
            raise UnsafeTarget(f"must not point to a local or private network: {shown} is {reason}")
    return addresses


def check_url(url: str, *, allow_private: bool) -> None:
    """Raise UnsafeTarget if the URL's host is, or now resolves to, a refused address.

    A name that does not resolve yet passes: it is checked again before every delivery.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
    except ValueError as exc:
        raise UnsafeTarget("has an invalid port") from exc
    try:
        checked_addresses(host, port, allow_private=allow_private)
    except (OSError, UnicodeError):
        return


def connect(
    host: str,
    port: int,
    timeout: float | None,
    *,
    allow_private: bool,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """A TCP connection to a checked address of `host` (resolved here, right before use)."""
    last_error: OSError | None = None
    for address in checked_addresses(host, port, allow_private=allow_private):
        try:
            return socket.create_connection((str(address), port), timeout, source_address)
        except OSError as exc:
            last_error = exc
    raise last_error or OSError(f"{host} has no address")
