"""Where a host name leads: the crawler connects only to public addresses, unless a source opts in.

An allowed host name may resolve to 127.0.0.1, 10.x, 169.254.169.254 (cloud metadata) or ::1: the
crawler would then fetch from the machine it runs on or its private network. Every connection is
checked twice: before the request (``refusal``, so the refusal is logged as ``private_address``) and
when the socket is opened (``GuardedBackend``: the address connected to is the address checked, so
a name that resolves differently the second time, DNS rebinding, cannot slip through). A source
with ``allow_private: true`` (tests on 127.0.0.1, an intranet mirror) lifts the check for its hosts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable

import httpcore

PRIVATE_REFUSAL = "refused: resolves to a non-public address"


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 judged as its IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (an IP literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def private_among(addresses: Iterable[str]) -> list[str]:
    return [a for a in addresses if not is_public(a)]


async def refusal(host: str, port: int, allow_private: bool, timeout: float) -> str | None:
    """A message when ``host`` resolves to a non-public address (None: fine, or not resolvable: the request
    then fails on its own as a connection error)."""
    if allow_private:
        return None
    try:
        async with asyncio.timeout(timeout):
            addresses = await resolve(host, port)
    except (OSError, TimeoutError, UnicodeError, ValueError):
        return None
    private = private_among(addresses)
    if private:
        return f"host {host!r} {PRIVATE_REFUSAL} ({', '.join(private[:3])}); set allow_private: true to fetch it"
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to the public addresses a host name resolves to."""

    def __init__(self, allow_private: Callable[[str], bool]):
        from httpcore._backends.auto import AutoBackend

        self._inner = AutoBackend()
        self._allow_private = allow_private

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if self._allow_private(host):
            return await self._inner.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                                 socket_options=socket_options)
        try:
            addresses = await resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        public = [a for a in addresses if is_public(a)]
        if len(public) < len(addresses) or not public:
            raise httpcore.ConnectError(f"host {host!r} {PRIVATE_REFUSAL} ({', '.join(private_among(addresses)[:3])})")
        return await self._inner.connect_tcp(public[0], port, timeout=timeout, local_address=local_address,
                                             socket_options=socket_options)

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise httpcore.ConnectError("unix sockets are not used by the crawler")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
