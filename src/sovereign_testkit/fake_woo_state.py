"""In-memory state of the fake WooCommerce store: the captured orders and products, mutated by writes.

Objects are kept in the exact shape of the captured REST bodies, with their
links on the captured REST origin (``CAPTURED_ORIGIN``); the HTTP layer
rewrites that origin to the fake's own URL when it serialises. Product texts
are stored raw: GET and webhook bodies wrap them with ``wpautop`` like
WordPress does, write answers return them raw.

Every mutation returns the webhook events WooCommerce would fire for it, as
``(topic, resource_id)`` pairs in the order WooCommerce fires them.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from .fake_woo_php import unautop, wpautop
from .fixtures import fixtures_dir

__all__ = ["CAPTURED_ORIGIN", "ApiError", "Event", "Write", "StoreState", "ORDER_STATUSES", "list_page", "error_body"]

CAPTURED_ORIGIN = "https://127.0.0.1:8443"
API = CAPTURED_ORIGIN + "/wp-json/wc/v3"
Event = tuple[str, int]

ORDER_STATUSES = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
    "trash": "Trash",
}
_PRODUCT_FIELDS = ("name", "sku", "status", "regular_price", "sale_price", "manage_stock", "stock_quantity", "type")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def shift_dates(newest: datetime, objects: list[dict[str, Any]]) -> None:
    """Move every ``date_*`` field of ``objects`` (and of their nested lines) by one offset, so that
    the newest ``date_modified_gmt`` becomes ``newest``: captured data that looks as recent as the
    clock says, whatever day the tests run. The captured store runs on UTC (local == GMT)."""
    stamps = [o["date_modified_gmt"] for o in objects if isinstance(o.get("date_modified_gmt"), str)]
    if not stamps:
        return
    anchor = datetime.strptime(max(stamps), _DATE_FORMAT).replace(tzinfo=timezone.utc)
    offset = timedelta(seconds=round((newest.astimezone(timezone.utc) - anchor).total_seconds()))

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key.startswith("date_") and isinstance(value, str) and _DATE.fullmatch(value):
                    node[key] = (datetime.strptime(value, _DATE_FORMAT) + offset).strftime(_DATE_FORMAT)
                else:
                    walk(value)

    walk(objects)


def error_body(code: str, message: str, status: int, **data: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "data": {"status": status, **data}}


class ApiError(Exception):
    """A WooCommerce error answer: ``status`` and the ``{code, message, data}`` body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('code')}")
        self.status = status
        self.body = body

    @classmethod
    def of(cls, code: str, message: str, status: int, **data: Any) -> ApiError:
        return cls(status, error_body(code, message, status, **data))


def invalid_param(name: str, reason: str) -> ApiError:
    return ApiError.of("rest_invalid_param", f"Invalid parameter(s): {name}", 400, params={name: reason})


@dataclass(frozen=True, slots=True)
class Write:
    """One accepted write, as the store received it."""

    method: str
    path: str
    body: Any
    status: int


class StoreState:
    def __init__(
        self, fixtures: Path | None = None, clock: Callable[[], datetime] | None = None, *, recent: bool = False
    ) -> None:
        folder = fixtures or fixtures_dir()
        load = lambda name: json.loads((folder / name).read_text(encoding="utf-8"))  # noqa: E731
        self.orders: dict[int, dict[str, Any]] = {o["id"]: o for o in load("orders.json")}
        self.products: dict[int, dict[str, Any]] = {}
        for product in load("products.json"):
            for key in ("description", "short_description"):
                product[key] = unautop(product[key])
            self.products[product["id"]] = product
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.attachments: dict[int, dict[str, Any]] = {}  # media library: id -> {id, src, name, alt}
        self._next_attachment = 1001
        self.writes: list[Write] = []
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        if recent:
            shift_dates(self._clock() - timedelta(hours=1), [*self.orders.values(), *self.products.values()])
        self._next_id = max([*self.orders, *self.products, 40]) + 1  # 34-40: the captured variations
        self._next_note = 41  # the capture's last note was 40
        self._next_order_meta = 1 + max((m["id"] for o in self.orders.values() for m in o["meta_data"]), default=0)
        self._next_product_meta = 1 + max((m["id"] for p in self.products.values() for m in p["meta_data"]), default=0)

    def now(self) -> str:
        """Site time; the captured store runs on UTC, so local and GMT dates are equal."""
        return self._clock().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")

    # -- reads ---------------------------------------------------------------------------

    def order(self, order_id: int) -> dict[str, Any]:
        if order_id not in self.orders:
            raise ApiError.of("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return self.orders[order_id]

    def product(self, product_id: int, *, status: int = 404) -> dict[str, Any]:
        if product_id not in self.products:
            raise ApiError.of("woocommerce_rest_product_invalid_id", "Invalid ID.", status)
        return self.products[product_id]

    def render_product(self, product: dict[str, Any], *, wrapped: bool = True) -> dict[str, Any]:
        """GET / webhook shape (texts through ``wpautop``) or write-answer shape (raw texts)."""
        out = copy.deepcopy(product)
        if wrapped:
            out["description"] = wpautop(out["description"])
            out["short_description"] = wpautop(out["short_description"])
        return out

    def order_notes(self, order_id: int) -> list[dict[str, Any]]:
        self.order(order_id)
        return list(reversed(self.notes.get(order_id, [])))

    # -- orders --------------------------------------------------------------------------

    def update_order(self, order_id: int, body: dict[str, Any]) -> tuple[dict[str, Any], list[Event]]:
        order = self.order(order_id)
        status = body.get("status")
        if status is not None and status not in ORDER_STATUSES:
            allowed = ", ".join(ORDER_STATUSES)
            raise invalid_param("status", f"status is not one of {allowed}.")
        before = order["status"]
        if isinstance(body.get("meta_data"), list):
            for meta in body["meta_data"]:
                self._set_meta(order, meta, "_next_order_meta")
        for key in ("customer_note", "transaction_id"):  # customer_ip_address is read-only: ignored, as in WC
            if key in body:
                order[key] = body[key]
        events: list[Event] = []
        now = self.now()
        if status is not None and status != before:
            order["status"] = status
            if status in ("processing", "completed") and order.get("date_paid") is None:
                order["date_paid"] = order["date_paid_gmt"] = now
            if status == "completed":
                order["date_completed"] = order["date_completed_gmt"] = now
        order["date_modified"] = order["date_modified_gmt"] = now
        events.append(("order.updated", order_id))
        if status is not None and status != before:
            text = f"Order status changed from {ORDER_STATUSES[before]} to {ORDER_STATUSES[status]}."
            note = self.add_note(order_id, text, False)
            events += [(f"action.woocommerce_order_status_{status}", order_id), ("action.woocommerce_order_note_added", note["id"])]
        return order, events

    def add_note(self, order_id: int, text: str, customer_note: bool) -> dict[str, Any]:
        self.order(order_id)
        if not str(text).strip():
            raise ApiError.of("woocommerce_rest_missing_note", "Order note is required.", 400)
        note_id, self._next_note = self._next_note, self._next_note + 1
        now = self.now()
        href = f"{API}/orders/{order_id}/notes"
        note = {
            "id": note_id,
            "author": "WooCommerce",
            "date_created": now,
            "date_created_gmt": now,
            "note": str(text),
            "customer_note": bool(customer_note),
            "_links": {
                "self": [{"href": f"{href}/{note_id}", "targetHints": {"allow": ["GET", "DELETE"]}}],
                "collection": [{"href": href}],
                "up": [{"href": f"{API}/orders/{order_id}"}],
            },
        }
        self.notes.setdefault(order_id, []).append(note)
        return note

    # -- products ------------------------------------------------------------------------

    def update_product(self, product_id: int, body: dict[str, Any], *, missing: int = 400) -> dict[str, Any]:
        product = self.product(product_id, status=missing)
        self._apply_product(product, body)
        return product

    def create_product(self, body: dict[str, Any]) -> dict[str, Any]:
        product = copy.deepcopy(self.products.get(10) or next(iter(self.products.values())))
        pid, self._next_id = self._next_id, self._next_id + 1
        name = str(body.get("name", "Product"))
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or f"product-{pid}"
        now = self.now()
        product.update(
            id=pid, name=name, slug=slug, permalink=f"{CAPTURED_ORIGIN}/product/{slug}/", description="",
            short_description="", sku="", price="", regular_price="", sale_price="", total_sales=0, meta_data=[],
            related_ids=[], date_created=now, date_created_gmt=now, on_sale=False, type="simple", status="publish",
        )
        product["_links"] = {
            "self": [{"href": f"{API}/products/{pid}", "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]}}],
            "collection": [{"href": f"{API}/products"}],
        }
        self._apply_product(product, body)
        self.products[pid] = product
        return product

    def delete_product(self, product_id: int) -> dict[str, Any]:
        return self.products.pop(self.product(product_id)["id"])

    def batch_products(self, body: dict[str, Any]) -> tuple[dict[str, Any], list[Event]]:
        items = {op: body.get(op) or [] for op in ("create", "update", "delete")}
        if sum(len(v) for v in items.values()) > 100:
            raise ApiError.of(
                "woocommerce_rest_request_entity_too_large", "Unable to accept more than 100 items for this request.", 413
            )
        out: dict[str, Any] = {}
        events: list[Event] = []
        for op, entries in items.items():
            if not entries:
                continue
            results = out.setdefault(op, [])
            for entry in entries:
                try:
                    if op == "create":
                        product = self.create_product(entry)
                        events.append(("product.created", product["id"]))
                    elif op == "update":
                        product = self.update_product(int(entry.get("id", 0)), entry)
                        events.append(("product.updated", product["id"]))
                    else:
                        product = self.delete_product(int(entry))
                        events.append(("product.deleted", product["id"]))
                    results.append(self.render_product(product, wrapped=False))
                except ApiError as exc:
                    item_id = 0 if op == "create" else int(entry.get("id", 0) if op == "update" else entry)
                    results.append({"id": item_id, "error": exc.body})
        return out, events

    def _apply_product(self, product: dict[str, Any], body: dict[str, Any]) -> None:
        sku = body.get("sku")
        if sku and any(p["sku"] == sku and p["id"] != product["id"] for p in self.products.values()):
            raise ApiError.of("product_invalid_sku", "Invalid or duplicated SKU.", 400)
        for key in ("description", "short_description"):
            if key in body:
                product[key] = str(body[key] or "")
        for key in _PRODUCT_FIELDS:
            if key in body:
                product[key] = body[key]
        if "regular_price" in body or "sale_price" in body:
            product["price"] = product.get("sale_price") or product.get("regular_price") or ""
            product["on_sale"] = bool(product.get("sale_price"))
            product["price_html"] = _price_html(product["price"])
        for meta in body.get("meta_data") or []:
            self._set_meta(product, meta, "_next_product_meta")
        if isinstance(body.get("images"), list):
            product["images"] = [self._image(entry) for entry in body["images"]]
        product["date_modified"] = product["date_modified_gmt"] = self.now()

    def _image(self, entry: dict[str, Any]) -> dict[str, Any]:
        """``WC_REST_Products_Controller::set_product_images``: an ``id`` names an existing attachment
        (its ``alt`` and ``name`` may be updated); a ``src`` alone is sideloaded as a new attachment."""
        if entry.get("id"):
            att = self.attachments.get(int(entry["id"]))
            if att is None:
                raise ApiError.of("woocommerce_product_invalid_image_id", f"#{entry['id']} is an invalid image ID.", 400)
        elif entry.get("src"):
            att_id, self._next_attachment = self._next_attachment, self._next_attachment + 1
            name = str(entry["src"]).rstrip("/").rsplit("/", 1)[-1]
            att = self.attachments[att_id] = {"id": att_id, "src": str(entry["src"]), "name": name, "alt": ""}
        else:
            raise ApiError.of("woocommerce_product_image_upload_error", "An image needs an id or a src.", 400)
        for key in ("alt", "name"):
            if key in entry:
                att[key] = str(entry[key] or "")
        now = self.now()
        return {"id": att["id"], "date_created": now, "date_created_gmt": now, "date_modified": now,
                "date_modified_gmt": now, "src": att["src"], "name": att["name"], "alt": att["alt"]}

    def _set_meta(self, obj: dict[str, Any], meta: dict[str, Any], counter: str) -> None:
        """``WC_Data::update_meta_data``: by id if given, else the first entry with the key
        (other entries with that key are dropped), else a new entry."""
        entries: list[dict[str, Any]] = obj["meta_data"]
        key, value = meta.get("key"), meta.get("value")
        match = [m for m in entries if (m["id"] == meta["id"] if "id" in meta else m["key"] == key)]
        if match:
            match[0].update(key=key if key is not None else match[0]["key"], value=value)
            obj["meta_data"] = [m for m in entries if not any(m is dup for dup in match[1:])]
            return
        meta_id = getattr(self, counter)
        setattr(self, counter, meta_id + 1)
        entries.append({"id": meta_id, "key": key, "value": value})


def _price_html(price: str) -> str:
    if not price:
        return ""
    return (
        '<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">'
        f"&#36;</span>{price}</bdi></span>"
    )


def list_page(
    items: Iterable[dict[str, Any]], params: dict[str, str], *, statuses: bool = False
) -> tuple[list[dict[str, Any]], int, int, int]:
    """Filter, order and cut one page like WooCommerce: ``(page_items, page, total, total_pages)``."""
    per_page = _int_param(params, "per_page", 10, 1, 100, "per_page must be between 1 (inclusive) and 100 (inclusive)")
    page = _int_param(params, "page", 1, 1, None, "page must be greater than or equal to 1")
    rows = list(items)
    if after := params.get("modified_after"):
        column = "date_modified_gmt" if params.get("dates_are_gmt") in ("1", "true") else "date_modified"
        rows = [r for r in rows if (r.get(column) or "") > after[:19]]
    if statuses and params.get("status", "any") != "any":
        wanted = set(params["status"].split(","))
        rows = [r for r in rows if r.get("status") in wanted]
    orderby, order = params.get("orderby", "date"), params.get("order", "desc")
    if orderby not in ("date", "id", "modified", "include", "title", "slug"):
        raise invalid_param("orderby", "orderby is not one of date, id, include, title, slug, and modified.")
    if order not in ("asc", "desc"):
        raise invalid_param("order", "order is not one of asc, and desc.")
    column = {"date": "date_created", "modified": "date_modified", "title": "name", "slug": "slug"}.get(orderby, "id")
    if column == "id":
        rows.sort(key=lambda r: r["id"], reverse=order == "desc")
    else:
        # MySQL gives rows with equal sort values in no fixed order, and not the same one per page.
        rows.sort(key=lambda r: hash((page, r["id"])))
        rows.sort(key=lambda r: str(r.get(column) or ""), reverse=order == "desc")
    total = len(rows)
    total_pages = (total + per_page - 1) // per_page
    return rows[(page - 1) * per_page : page * per_page], page, total, total_pages


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int | None, reason: str) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_param(name, f"{name} is not of type integer.") from None
    if value < low or (high is not None and value > high):
        details = {name: {"code": "rest_out_of_bounds", "message": reason, "data": None}}
        raise ApiError.of("rest_invalid_param", f"Invalid parameter(s): {name}", 400, params={name: reason}, details=details)
    return value
