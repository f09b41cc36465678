"""The console's image page: findings per product, alt drafts approved (as edited) into the image or rejected."""

from __future__ import annotations

from sovereign.features.images.check import check_product
from sovereign.store.images import AltRow, ImageRepository
from sovereign_testkit.images import blurred, jpeg, photo
from tests.console.conftest import STORE, Console, svc  # noqa: F401 - the fixture

__all__ = ["svc"]


async def test_image_page_shows_findings_and_reviews_alt_drafts(svc: Console) -> None:  # noqa: F811
    src = svc.woo.media.add("blur.jpg", jpeg(blurred(photo(50))))
    svc.woo.state.update_product(30, {"images": [{"src": src}, {"src": src}]})
    first, second = (i["id"] for i in svc.woo.product(30)["images"])
    await check_product(svc.rt, STORE, 30)
    repo = ImageRepository(svc.rt.db.pool)
    for image_id in (first, second):
        await repo.save_alt(AltRow(STORE, 30, image_id, src, "T-Shirt with Logo, folded", "draft", True,
                                   "a folded shirt", "eye/fake-vision"))
    await svc.login()
    page = (await svc.http.get("/console/images")).text
    assert 'data-product="30"' in page and "blurry" in page and "looks blurred" in page
    assert f'data-image="{first}"' in page and "T-Shirt with Logo, folded" in page

    await svc.post(f"/console/images/{STORE}/30/{first}/approve", {"text": "T-Shirt with Logo, folded flat"},
                   from_page="/console/images")
    assert [i["alt"] for i in svc.woo.product(30)["images"]] == ["T-Shirt with Logo, folded flat", ""]
    assert (await repo.get_alt(STORE, 30, first)).status == "published"

    await svc.post(f"/console/images/{STORE}/30/{second}/reject", {"reason": "says nothing"}, from_page="/console/images")
    assert (await repo.get_alt(STORE, 30, second)).status == "rejected"
    assert svc.woo.product(30)["images"][1]["alt"] == ""
    assert "No alt text to review" in (await svc.http.get("/console/images")).text
    assert "says nothing" in (await svc.http.get("/console/images?status=rejected")).text


async def test_image_page_renders_without_any_data(svc: Console) -> None:  # noqa: F811
    await svc.login()
    r = await svc.http.get("/console/images")
    assert r.status_code == 200 and "No alt text to review" in r.text and "No findings" in r.text
