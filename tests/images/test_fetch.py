"""The safe image fetcher against real HTTP servers on 127.0.0.1: the fake store's uploads and a foreign one."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from sovereign.features.images.fetch import FetchFailed, FetchPolicy, FetchRefused, ImageFetcher
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.images import jpeg, photo


@pytest.fixture
async def shop() -> AsyncIterator[FakeWooStore]:
    async with FakeWooStore() as store:
        yield store


@pytest.fixture
async def elsewhere() -> AsyncIterator[FakeWooStore]:
    async with FakeWooStore() as other:  # another server on 127.0.0.1, another port: not the store
        yield other


def fetcher(shop: FakeWooStore, **kw: object) -> ImageFetcher:
    return ImageFetcher(FetchPolicy(shop.url, **kw))  # type: ignore[arg-type]


async def test_an_image_on_the_stores_own_host_is_fetched(shop: FakeWooStore) -> None:
    data = jpeg(photo(1))
    src = shop.media.add("hoodie.jpg", data)
    async with fetcher(shop) as f:
        got = await f.fetch(src)
    assert got.data == data and got.content_type == "image/jpeg"


async def test_a_50_mb_body_is_stopped_past_the_cap_whether_declared_or_not(shop: FakeWooStore) -> None:
    streamed = shop.media.add("huge.jpg", size=50_000_000, chunked=True)
    declared = shop.media.add("declared.jpg", size=50_000_000)
    async with fetcher(shop, max_bytes=10_000_000) as f:
        with pytest.raises(FetchRefused, match="larger than"):
            await f.fetch(streamed)
        with pytest.raises(FetchRefused, match="50,000,000 bytes"):
            await f.fetch(declared)
    # the download was cut short: the server never got to send the whole 50 MB
    assert shop.media.sent["huge.jpg"] < 30_000_000
    assert shop.media.sent["declared.jpg"] < 30_000_000


async def test_a_foreign_host_is_refused_without_a_request(shop: FakeWooStore, elsewhere: FakeWooStore) -> None:
    src = elsewhere.media.add("x.jpg", jpeg(photo(2)))
    async with fetcher(shop) as f:
        with pytest.raises(FetchRefused, match="not the store's host"):
            await f.fetch(src)
        with pytest.raises(FetchRefused, match="not the store's host"):
            await f.fetch("https://images.example.com/x.jpg")
    assert elsewhere.media.hits["x.jpg"] == 0


async def test_listed_hosts_must_still_be_public(shop: FakeWooStore, elsewhere: FakeWooStore) -> None:
    src = elsewhere.media.add("x.jpg", jpeg(photo(2)))
    host_port = src.split("/")[2]
    async with fetcher(shop, extra_hosts=(host_port, "10.1.2.3", "cdn.example")) as f:
        with pytest.raises(FetchRefused, match="private or local address"):
            await f.fetch(src)  # listed, but 127.0.0.1 is not the store's own origin
        with pytest.raises(FetchRefused, match="private or local address"):
            await f.fetch("http://10.1.2.3/x.jpg")
        with pytest.raises(FetchRefused, match="not the store's host"):
            await f.fetch("http://169.254.169.254/latest/meta-data")
    assert elsewhere.media.hits["x.jpg"] == 0


async def test_a_listed_host_that_resolves_to_a_private_address_is_refused(shop: FakeWooStore) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "192.168.1.10"]  # one private answer is enough to refuse

    f = ImageFetcher(FetchPolicy(shop.url, ("cdn.example",)), resolver=resolver)
    async with f:
        with pytest.raises(FetchRefused, match="192.168.1.10"):
            await f.fetch("https://cdn.example/x.jpg")


async def test_redirects_to_elsewhere_are_refused_and_within_the_store_followed(
    shop: FakeWooStore, elsewhere: FakeWooStore
) -> None:
    data = jpeg(photo(3))
    shop.media.add("real.jpg", data)
    inside = shop.media.redirect("moved.jpg", shop.media.url("real.jpg"))
    outside = shop.media.redirect("away.jpg", elsewhere.media.add("x.jpg", data))
    loop = shop.media.redirect("loop.jpg", shop.media.url("loop.jpg"))
    async with fetcher(shop) as f:
        assert (await f.fetch(inside)).data == data
        with pytest.raises(FetchRefused, match="not the store's host"):
            await f.fetch(outside)
        with pytest.raises(FetchRefused, match="redirects"):
            await f.fetch(loop)
    assert elsewhere.media.hits["x.jpg"] == 0


async def test_bad_schemes_credentials_and_missing_files(shop: FakeWooStore) -> None:
    async with fetcher(shop) as f:
        with pytest.raises(FetchRefused, match="only http and https"):
            await f.fetch("file:///etc/passwd")
        with pytest.raises(FetchRefused, match="user name"):
            await f.fetch(shop.url.replace("http://", "http://user:pw@") + "/wp-content/uploads/a.jpg")
        with pytest.raises(FetchFailed, match="HTTP 404"):
            await f.fetch(shop.media.url("missing.jpg"))
