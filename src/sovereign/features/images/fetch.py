"""Fetching a product image without trusting its URL: allowed hosts only, public addresses, a size cap.

    fetcher = ImageFetcher(FetchPolicy(store_url="https://shop.example", extra_hosts=("cdn.shop.example",)))
    got = await fetcher.fetch("https://shop.example/wp-content/uploads/hoodie.jpg")
    got.data, got.content_type            # FetchRefused / FetchFailed otherwise

Rules, checked for the URL and again for every redirect:

* ``http``/``https`` only, no user name or password in the URL;
* the host is the store's own (same host and port as the store URL) or one the
  store owner lists (``image_hosts``: ``cdn.example`` for any port, or
  ``cdn.example:8443``);
* every address the host resolves to is public, except for the store's own
  host (a store on a private network is still the store); the connection goes
  to the address that was checked (TLS still verifies the host name), so a DNS
  answer cannot change between the check and the fetch;
* at most ``max_redirects`` redirects, each to an allowed host;
* the body is streamed and the fetch aborted as soon as it passes
  ``max_bytes`` (a ``Content-Length`` above it is refused before reading);
* connect/read timeouts and an overall deadline.

The ``Content-Type`` header is not trusted: the bytes are checked by the
measurement (``domain.images.measure``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Sequence

import httpx

__all__ = ["FetchFailed", "FetchPolicy", "FetchRefused", "Fetched", "ImageFetcher"]

Resolver = Callable[[str, int], Awaitable[list[str]]]


class FetchRefused(Exception):
    """We would not fetch this (host not allowed, private address, too large, bad scheme): nothing was read."""


class FetchFailed(Exception):
    """We tried and the server did not give us the image (status, timeout, connection)."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    data: bytes
    content_type: str


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


@dataclass(frozen=True)
class FetchPolicy:
    store_url: str
    extra_hosts: Sequence[str] = ()
    max_bytes: int = 10_000_000
    timeout_s: float = 10.0  # connect and each read
    total_s: float = 30.0  # the whole fetch, redirects included
    max_redirects: int = 3
    _own: tuple[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        url = httpx.URL(self.store_url)
        object.__setattr__(self, "_own", ((url.host or "").lower(), _port(url)))

    def is_own(self, url: httpx.URL) -> bool:
        return ((url.host or "").lower(), _port(url)) == self._own

    def host_allowed(self, url: httpx.URL) -> bool:
        if self.is_own(url):
            return True
        host, port = (url.host or "").lower(), _port(url)
        for entry in self.extra_hosts:
            name, _, want = entry.strip().lower().rpartition(":") if ":" in entry else ("", "", entry.strip().lower())
            if not name:  # no port given: the host on any port
                if host == want:
                    return True
            elif host == name and want.isdigit() and port == int(want):
                return True
        return False


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class ImageFetcher:
    def __init__(
        self, policy: FetchPolicy, *, resolver: Resolver | None = None, transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = "Sovereign-ImageCheck/0.1",
    ) -> None:
        self.policy = policy
        self._resolve = resolver or _system_resolver
        self._http = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(policy.timeout_s),
            transport=transport,
            headers={"User-Agent": user_agent, "Accept": "image/*", "Accept-Encoding": "identity"},
            trust_env=False,  # no proxy from the environment: we decide where the connection goes
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "ImageFetcher":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def fetch(self, src: str) -> Fetched:
        try:
            async with asyncio.timeout(self.policy.total_s):
                return await self._fetch(src)
        except TimeoutError:
            raise FetchFailed(f"the image did not arrive within {self.policy.total_s:g} seconds") from None

    async def _fetch(self, src: str) -> Fetched:
        url = self._parse(src)
        for _ in range(self.policy.max_redirects + 1):
            address = await self._check(url)
            response = await self._get(url, address)
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise FetchFailed(f"HTTP {response.status_code} without a Location")
                    url = self._parse(str(url.join(location)))
                    continue
                if response.status_code != 200:
                    raise FetchFailed(f"the image server answered HTTP {response.status_code}")
                data = await self._read(response)
                return Fetched(str(url), data, response.headers.get("content-type", ""))
            finally:
                await response.aclose()
        raise FetchRefused(f"more than {self.policy.max_redirects} redirects")

    def _parse(self, src: str) -> httpx.URL:
        try:
            url = httpx.URL(src.strip())
        except (httpx.InvalidURL, TypeError, ValueError):
            raise FetchRefused("the image URL is not a valid URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise FetchRefused(f"only http and https image URLs are fetched, not {url.scheme or 'this'!r}")
        if url.userinfo:
            raise FetchRefused("image URLs with a user name or password are not fetched")
        if not self.policy.host_allowed(url):
            raise FetchRefused(
                f"{url.host} is not the store's host nor one listed in image_hosts; add it there if you trust it"
            )
        return url

    async def _check(self, url: httpx.URL) -> str:
        host = url.host or ""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = await self._resolve(host, _port(url))
            except OSError as exc:
                raise FetchFailed(f"{host} does not resolve ({exc.strerror or exc})") from None
        if not addresses:
            raise FetchFailed(f"{host} does not resolve")
        if not self.policy.is_own(url):
            private = [a for a in addresses if not _public(a)]
            if private:
                raise FetchRefused(f"{host} points to a private or local address ({private[0]}), which is not fetched")
        return addresses[0]

    async def _get(self, url: httpx.URL, address: str) -> httpx.Response:
        host = url.host or ""
        pinned = url.copy_with(host=address)
        headers = {"Host": url.netloc.decode("ascii")}
        extensions: dict[str, Any] = {"sni_hostname": host} if url.scheme == "https" else {}
        request = self._http.build_request("GET", pinned, headers=headers, extensions=extensions)
        try:
            return await self._http.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchFailed("the image server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"the image could not be fetched ({type(exc).__name__})") from None

    async def _read(self, response: httpx.Response) -> bytes:
        cap = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchRefused(f"the image is {int(declared):,} bytes, more than the {cap:,} allowed")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > cap:
                    raise FetchRefused(f"the image is larger than the {cap:,} bytes allowed; the download was stopped")
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise FetchFailed("the image server stopped sending") from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"the image download broke off ({type(exc).__name__})") from None
        return b"".join(chunks)
