"""The image check end to end with no model: WooCommerce webhook → receiver → images.check job → fetch from the
fake store's uploads → findings in the database and in product meta; our own write's echo schedules nothing.
Real Postgres, fake store on 127.0.0.1, images made by the test."""

from __future__ import annotations

import json
from typing import Any, AsyncIterator

import pytest

from sovereign.features.images.check import NO_VISION, check_product
from sovereign.features.images.trigger import FINDINGS_META
from sovereign.store.images import ImageRepository
from sovereign.woo.client import WooClient
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.images import blurred, jpeg, photo
from tests.features.conftest import SECRET, STORE, Service, eventually, gateway_for, running

QUIET = {"descriptions_enabled": False, "image_delay_s": 0}


@pytest.fixture
async def shop() -> AsyncIterator[FakeWooStore]:
    async with FakeWooStore(safe_ports="any") as store:  # Sovereign on a random port: the filter allows it
        yield store


def meta(store: FakeWooStore, product_id: int) -> dict[str, Any]:
    return {m["key"]: m["value"] for m in store.product(product_id)["meta_data"]}


def codes_by_image(findings: list[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f["src"].rsplit("/", 1)[-1], set()).add(f["code"])
    return out


async def put_images(shop: FakeWooStore, product_id: int, srcs: list[str], alt: str = "") -> None:
    async with WooClient(shop.url, shop.consumer_key, shop.consumer_secret) as woo:
        await woo.put(f"products/{product_id}", {"images": [{"src": s, "alt": alt} for s in srcs]})


async def events(svc: Service, product_id: int) -> list[dict[str, Any]]:
    rows = await svc.db.pool.fetch(
        "SELECT topic, outcome, detail, job_ids FROM sovereign_webhook_events WHERE resource = 'product' "
        "AND resource_id = $1 ORDER BY id", product_id,
    )
    return [dict(r) for r in rows]


async def test_webhook_checks_changed_images_and_our_echo_schedules_nothing(db_url: str, shop: FakeWooStore) -> None:
    same = photo(11)
    good = shop.media.add("good.jpg", jpeg(photo(10)))
    tiny = shop.media.add("tiny.jpg", jpeg(photo(12, (120, 90))))
    blur = shop.media.add("blur.jpg", jpeg(blurred(photo(13))))
    dup_a = shop.media.add("dup-a.jpg", jpeg(same))
    dup_b = shop.media.add("dup-b.jpg", jpeg(same.resize((900, 900)), quality=70))
    fake = shop.media.add("fake.jpg", b"<html><body>Gone</body></html>", content_type="image/jpeg")
    huge = shop.media.add("huge.jpg", size=50_000_000, chunked=True)
    foreign = "https://images.example.com/hoodie.jpg"
    private = "http://10.0.0.7/wp-content/uploads/hoodie.jpg"
    settings = {**QUIET, "image_hosts": ["10.0.0.7"]}  # listed by the owner, but a private address
    async with running(db_url, gateway_for(None), shop, store_settings=settings) as svc:
        for topic in ("product.created", "product.updated"):
            shop.add_webhook(topic, f"{svc.url}/webhooks/woocommerce/{STORE}", SECRET)
        await put_images(shop, 31, [good, tiny, blur, dup_a, fake, huge], alt="Beanie with Logo")
        await put_images(shop, 20, [dup_b, foreign, private], alt="Beanie")

        # whichever is checked first cannot see the other's photo yet; the second check names both sides
        for pid in (31, 20):
            await eventually(lambda pid=pid: _has_duplicate(shop, pid), what=f"duplicate finding of {pid}")
        await shop.drain()

        m31, m20 = meta(shop, 31)[FINDINGS_META], meta(shop, 20)[FINDINGS_META]
        by31, by20 = codes_by_image(m31["findings"]), codes_by_image(m20["findings"])
        assert "good.jpg" not in by31  # a sharp 1000×1000 photo with alt text: nothing to say
        assert by31["tiny.jpg"] == {"too_small"}
        assert by31["blur.jpg"] == {"blurry"}
        assert by31["fake.jpg"] == {"not_an_image"}
        assert by31["huge.jpg"] == {"refused"}
        assert by31["dup-a.jpg"] == {"duplicate"}
        dup = next(f for f in m20["findings"] if f["code"] == "duplicate")
        assert dup["detail"]["products"] == [31] and "also used on product 31" in dup["reason"]
        assert by20["dup-b.jpg"] == {"duplicate"}
        assert by20["hoodie.jpg"] == {"refused"}  # both the foreign host and the private address
        reasons = {f["src"]: f["reason"] for f in m20["findings"] if f["code"] == "refused"}
        assert "images.example.com is not the store's host" in reasons[foreign]
        assert "private or local address" in reasons[private]
        assert m31["vision"] == NO_VISION and m31["images"] == 6
        assert shop.media.hits["hoodie.jpg"] == 0 and shop.media.sent["huge.jpg"] < 30_000_000

        # nothing lost: every image has its row, in order, with its measurements when it was an image
        rows = await ImageRepository(svc.db.pool).images_of(STORE, 31)
        assert [r.src.rsplit("/", 1)[-1] for r in rows] == ["good.jpg", "tiny.jpg", "blur.jpg", "dup-a.jpg", "fake.jpg", "huge.jpg"]
        assert rows[0].facts and rows[0].facts["width"] == 1000 and rows[0].phash
        assert rows[4].facts is None and rows[5].sha256 is None

        # the receiver saw: our PUT (scheduled), then the echo of the findings write (nothing to do)
        evs = await events(svc, 31)
        assert evs[0]["outcome"] == "scheduled" and "image check" in evs[0]["detail"]
        assert all("image check" not in e["detail"] for e in evs[1:]), evs
        assert len(evs) >= 2

        # an edit that does not touch the images schedules no check; one that does, does
        async with WooClient(shop.url, shop.consumer_key, shop.consumer_secret) as woo:
            await woo.put("products/31", {"name": "Beanie with Logo (new)"})
            await shop.drain()
            assert "image check" not in (await events(svc, 31))[-1]["detail"]
            await woo.put("products/31", {"images": [{"src": good, "alt": "Beanie"}]})
            await shop.drain()
            assert "image check" in (await events(svc, 31))[-1]["detail"]
        await eventually(lambda: _images_are(shop, 31, 1), timeout=60.0, what="re-check with one image")  # a loaded machine


async def _async(value: Any) -> Any:
    return value


async def _has_duplicate(shop: FakeWooStore, pid: int) -> bool:
    return any(f["code"] == "duplicate" for f in meta(shop, pid).get(FINDINGS_META, {}).get("findings", []))


async def _images_are(shop: FakeWooStore, pid: int, n: int) -> bool:
    return meta(shop, pid).get(FINDINGS_META, {}).get("images") == n


async def test_the_check_skips_unchanged_images_and_records_missing_alt(db_url: str, shop: FakeWooStore) -> None:
    src = shop.media.add("plain.jpg", jpeg(photo(20)))
    shop.state.update_product(22, {"images": [{"src": src}]})
    async with running(db_url, gateway_for(None), shop, store_settings=QUIET, worker=False) as svc:
        first = await check_product(svc.runtime, STORE, 22)
        assert first.status == "checked" and [f.code for f in first.findings] == ["missing_alt"]
        assert "screen reader" in first.findings[0].reason
        again = await check_product(svc.runtime, STORE, 22)
        assert again.status == "skipped" and "unchanged" in again.detail
        assert shop.media.hits["plain.jpg"] == 1
        stored = json.loads(json.dumps(meta(shop, 22)[FINDINGS_META]))
        assert stored["findings"][0]["code"] == "missing_alt"


async def test_a_failed_write_to_the_store_makes_the_retry_check_again(db_url: str, shop: FakeWooStore) -> None:
    from sovereign.woo.errors import WooError

    src = shop.media.add("plain.jpg", jpeg(photo(21)))
    shop.state.update_product(22, {"images": [{"src": src, "alt": "Cap"}]})
    async with running(db_url, gateway_for(None), shop, store_settings=QUIET, worker=False) as svc:
        shop.inject_fault(400, method="PUT", path_contains="/products/22")  # not retried by the client
        with pytest.raises(WooError):
            await check_product(svc.runtime, STORE, 22)
        assert FINDINGS_META not in meta(shop, 22)
        retry = await check_product(svc.runtime, STORE, 22)  # what the job's next attempt does
        assert retry.status == "checked" and FINDINGS_META in meta(shop, 22)
