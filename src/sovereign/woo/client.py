"""Async client for the WooCommerce REST API v3 (``/wp-json/wc/v3``).

One ``WooClient`` per store: it owns the HTTP connection pool, the per-store
concurrency limit, the retry policy and the credentials. Every non-2xx answer
becomes a typed ``WooError`` (see ``errors``); nothing here logs or ``repr``s
the consumer secret.

    async with WooClient("https://shop.example", ck, cs) as woo:
        async for order in woo.list_orders(modified_after=since):
            ...
        await woo.update_order(85, status="on-hold", meta_data={"_sovereign_fraud_score": "87"})
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Mapping, Sequence

import httpx

from .auth import AuthMode, SignatureMethod, choose_auth
from .batch import BatchResult, split_batch
from .errors import (
    CredentialsError,
    InvalidResponseError,
    PermissionDeniedError,
    TransportError,
    WooError,
    error_from_response,
)
from .retry import RetryPolicy, parse_retry_after

__all__ = ["WooClient", "CredentialCheck", "MAX_PER_PAGE"]

log = logging.getLogger("sovereign.woo")

MAX_PER_PAGE = 100
API_PREFIX = "/wp-json/wc/v3"
_MAX_PAGES = 100_000
Params = Mapping[str, Any]
MetaInput = Mapping[str, Any] | Sequence[Mapping[str, Any]]
"""``{"key": value}`` or WooCommerce's own ``[{"key", "value"[, "id"]}]`` list."""


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    """What the key pair may do. ``error`` is the first refusal (its ``hint`` is merchant-readable)."""

    read: bool
    write: bool
    error: WooError | None = None

    @property
    def ok(self) -> bool:
        return self.read and self.write


class WooClient:
    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        timeout: float | httpx.Timeout = 30.0,
        max_concurrency: int = 4,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        auth: AuthMode = "auto",
        signature_method: SignatureMethod = "HMAC-SHA256",
        retry: RetryPolicy | None = None,
        verify: Any = True,
        user_agent: str = "Sovereign-WooClient/0.1",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.consumer_key = consumer_key
        self._auth = choose_auth(self.base_url, consumer_key, consumer_secret, auth, signature_method=signature_method)
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        self._limit = asyncio.Semaphore(max_concurrency)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + API_PREFIX + "/",
            auth=self._auth,
            timeout=timeout,
            transport=transport,
            verify=verify,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        key = self.consumer_key[:6] + "…" if len(self.consumer_key) > 6 else "…"
        return f"WooClient({self.base_url!r}, consumer_key={key!r}, auth={type(self._auth).__name__})"

    async def __aenter__(self) -> WooClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- transport -------------------------------------------------------------------------

    async def request(self, method: str, path: str, *, params: Params | None = None, json: Any = None) -> httpx.Response:
        """Send one API call with retries; return the 2xx response or raise a ``WooError``."""
        method = method.upper()
        path = path.lstrip("/")
        query = _encode_params(params or {})
        attempt = 0
        while True:
            try:
                async with self._limit:
                    response = await self._http.request(method, path, params=query, json=json)
            except httpx.HTTPError as exc:
                cause, detail = transport_cause(exc)
                hopeless = cause in ("certificate", "tls", "dns")  # trying again changes nothing
                if hopeless or not self.retry.retryable_exception(exc) or not self.retry.may_retry(method, attempt):
                    raise TransportError(f"{method} {self.base_url}/{path}: {detail}", cause=cause) from exc
                wait = self.retry.delay(attempt)
                log.debug("woo %s %s: %s, retry %d in %.2fs", method, path, type(exc).__name__, attempt + 1, wait)
            else:
                if response.is_success:
                    return response
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                error = error_from_response(response.status_code, response.content, retry_after=retry_after)
                if not self.retry.retryable_status(response.status_code) or not self.retry.may_retry(method, attempt):
                    raise error
                wait = self.retry.delay(attempt, retry_after)
                if wait is None:
                    raise error
                log.debug("woo %s %s: %d, retry %d in %.2fs", method, path, response.status_code, attempt + 1, wait)
            await asyncio.sleep(wait or 0.0)
            attempt += 1

    async def get(self, path: str, params: Params | None = None) -> Any:
        return _json(await self.request("GET", path, params=params))

    async def post(self, path: str, json: Any, params: Params | None = None) -> Any:
        return _json(await self.request("POST", path, params=params, json=json))

    async def put(self, path: str, json: Any, params: Params | None = None) -> Any:
        return _json(await self.request("PUT", path, params=params, json=json))

    async def delete(self, path: str, params: Params | None = None) -> Any:
        return _json(await self.request("DELETE", path, params=params))

    async def paginate(self, path: str, params: Params | None = None, per_page: int = MAX_PER_PAGE) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, each id once.

        ``per_page`` is clamped to 1..100 (WooCommerce answers 400 above 100).
        Items are ordered by id ascending (``orderby=id``), because paging by
        the default ``date`` is unstable when several items share a second.
        Pages are followed while ``X-WP-TotalPages`` (re-read every page) says
        there are more, or, when that header is missing, while ``Link`` has
        ``rel="next"``. The ``Link`` URL itself is not followed: over OAuth it
        repeats the previous request's used-up ``oauth_*`` parameters.
        """
        query = dict(params or {})
        per_page = max(1, min(MAX_PER_PAGE, int(query.pop("per_page", per_page))))
        query.pop("page", None)
        query.update(per_page=per_page, orderby="id")
        query.setdefault("order", "asc")
        seen: set[Any] = set()
        for page in range(1, _MAX_PAGES):
            response = await self.request("GET", path, params={**query, "page": page})
            items = _json(response)
            if not isinstance(items, list):
                raise InvalidResponseError(response.status_code, "invalid_collection", f"GET {path} did not return a list")
            for item in items:
                key = item.get("id") if isinstance(item, dict) else None
                if key is not None:
                    if key in seen:
                        continue
                    seen.add(key)
                yield item
            total_pages = _int_header(response, "X-WP-TotalPages")
            more = page < total_pages if total_pages is not None else "next" in response.links
            if not items or not more:
                return

    # -- orders ----------------------------------------------------------------------------

    def list_orders(
        self,
        modified_after: datetime | str | None = None,
        status: str | Sequence[str] | None = None,
        *,
        per_page: int = MAX_PER_PAGE,
        **filters: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        params = dict(filters)
        params.update(_modified_after(modified_after))
        if status:
            params["status"] = status if isinstance(status, str) else list(status)
        return self.paginate("orders", params, per_page=per_page)

    async def get_order(self, order_id: int) -> dict[str, Any]:
        return await self.get(f"orders/{int(order_id)}")

    async def update_order(
        self, order_id: int, *, status: str | None = None, meta_data: MetaInput | None = None
    ) -> dict[str, Any]:
        """PUT the given fields; ``meta_data`` updates keys that exist and adds the others."""
        body: dict[str, Any] = {}
        if status is not None:
            body["status"] = status
        if meta_data is not None:
            body["meta_data"] = _meta_list(meta_data)
        if not body:
            raise ValueError("update_order needs status or meta_data")
        return await self.put(f"orders/{int(order_id)}", body)

    async def add_order_note(self, order_id: int, note: str, customer_note: bool = False) -> dict[str, Any]:
        """A private note by default; ``customer_note=True`` e-mails it to the customer."""
        return await self.post(f"orders/{int(order_id)}/notes", {"note": note, "customer_note": bool(customer_note)})

    async def list_order_notes(self, order_id: int) -> list[dict[str, Any]]:
        return await self.get(f"orders/{int(order_id)}/notes")

    # -- products --------------------------------------------------------------------------

    def list_products(
        self, modified_after: datetime | str | None = None, *, per_page: int = MAX_PER_PAGE, **filters: Any
    ) -> AsyncIterator[dict[str, Any]]:
        params = dict(filters)
        params.update(_modified_after(modified_after))
        return self.paginate("products", params, per_page=per_page)

    async def get_product(self, product_id: int) -> dict[str, Any]:
        return await self.get(f"products/{int(product_id)}")

    async def update_product(
        self,
        product_id: int,
        *,
        description: str | None = None,
        short_description: str | None = None,
        meta_data: MetaInput | None = None,
        images: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """PUT the given fields. The answer carries the raw text; GETs and webhooks wrap it in ``<p>``.

        ``images`` replaces the product's whole image list (WooCommerce's rule): send every image.
        """
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if short_description is not None:
            body["short_description"] = short_description
        if meta_data is not None:
            body["meta_data"] = _meta_list(meta_data)
        if images is not None:
            body["images"] = [dict(img) for img in images]
        if not body:
            raise ValueError("update_product needs description, short_description, meta_data or images")
        return await self.put(f"products/{int(product_id)}", body)

    async def update_variation(
        self, parent_id: int, variation_id: int, *, description: str | None = None, meta_data: MetaInput | None = None
    ) -> dict[str, Any]:
        """PUT a variation's description and meta (``products/<parent>/variations/<id>``)."""
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if meta_data is not None:
            body["meta_data"] = _meta_list(meta_data)
        if not body:
            raise ValueError("update_variation needs description or meta_data")
        return await self.put(f"products/{int(parent_id)}/variations/{int(variation_id)}", body)

    async def batch_products(
        self,
        create: Sequence[Mapping[str, Any]] = (),
        update: Sequence[Mapping[str, Any]] = (),
        delete: Sequence[int] = (),
    ) -> BatchResult:
        """Run a products batch in calls of at most 100 items; failed items land in ``result.errors``.

        Batches are POSTs and are never retried. If a call fails as a whole the
        error is raised and the calls before it stay applied.
        """
        result = BatchResult()
        for chunk in split_batch(create, update, delete):
            result.add_response(chunk, await self.post("products/batch", chunk.body))
        return result

    # -- webhooks --------------------------------------------------------------------------

    async def list_webhooks(self, **filters: Any) -> list[dict[str, Any]]:
        return [w async for w in self.paginate("webhooks", filters)]

    async def create_webhook(
        self, name: str, topic: str, delivery_url: str, secret: str, *, status: str = "active"
    ) -> dict[str, Any]:
        """Register a webhook. WooCommerce pings ``delivery_url`` before it answers; the answer omits the secret."""
        body = {"name": name, "topic": topic, "status": status, "secret": secret, "delivery_url": delivery_url}
        return await self.post("webhooks", body)

    async def update_webhook(self, webhook_id: int, *, status: str | None = None, **fields: Any) -> dict[str, Any]:
        """``status`` is ``active``, ``paused`` or ``disabled``; other fields (name, delivery_url, secret, topic) pass through."""
        body = {k: v for k, v in {"status": status, **fields}.items() if v is not None}
        if not body:
            raise ValueError("update_webhook needs at least one field")
        return await self.put(f"webhooks/{int(webhook_id)}", body)

    async def delete_webhook(self, webhook_id: int) -> dict[str, Any]:
        """Webhooks cannot be trashed, so this deletes for good (``force=true``)."""
        return await self.delete(f"webhooks/{int(webhook_id)}", {"force": True})

    # -- the store's own settings ----------------------------------------------------------

    async def get_settings_group(self, group: str) -> list[dict[str, Any]]:
        """``GET /settings/{group}``: ``[{"id", "label", "type", "value", ...}]`` (needs manage_woocommerce)."""
        return await self.get(f"settings/{group}")

    async def current_currency(self) -> dict[str, Any]:
        """``GET /data/currencies/current``: ``{"code", "name", "symbol"}`` (the symbol HTML-encoded)."""
        return await self.get("data/currencies/current")

    async def system_status(self) -> dict[str, Any]:
        return await self.get("system_status")

    async def site_index(self) -> dict[str, Any]:
        """WordPress's REST index ``GET /wp-json/`` (public): ``timezone_string``, ``gmt_offset``, ``home``..."""
        return _json(await self.request("GET", self.base_url + "/wp-json/"))

    # -- credentials -----------------------------------------------------------------------

    async def check_credentials(self) -> CredentialCheck:
        """Probe what the key may do, changing nothing.

        Read: ``GET /orders?per_page=1``. Write: ``POST /products/batch`` with an
        empty body. WooCommerce checks the key's permission level (read,
        write, read_write) for every write method before routing, and an empty
        batch touches no product, so a read-only key gets the 401 "does not
        have write permissions" and a read/write key gets ``200 []``.
        Transport errors are raised: an unreachable store says nothing about
        the key.
        """
        try:
            await self.request("GET", "orders", params={"per_page": 1})
            read, error = True, None
        except CredentialsError as exc:
            return CredentialCheck(read=False, write=False, error=exc)
        except PermissionDeniedError as exc:
            read, error = False, exc
        try:
            await self.request("POST", "products/batch", json={})
            return CredentialCheck(read=read, write=True, error=error)
        except (CredentialsError, PermissionDeniedError) as exc:
            return CredentialCheck(read=read, write=False, error=error or exc)


def transport_cause(exc: BaseException) -> tuple[str, str]:
    """Why no answer came: (``certificate`` | ``tls`` | ``dns`` | ``refused`` | ``timeout`` | ``network``,
    the underlying error in words), found by walking the exception's causes."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", f"{type(exc).__name__}"
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, ssl.SSLCertVerificationError):
            return "certificate", f"certificate verify failed: {node.verify_message or node.reason}"
        if isinstance(node, ssl.SSLError):
            return "tls", f"TLS error: {node.reason or node}"
        if isinstance(node, socket.gaierror):
            return "dns", f"name resolution failed: {node.strerror or node}"
        if isinstance(node, ConnectionRefusedError):
            return "refused", "connection refused"
        if isinstance(node, (TimeoutError, socket.timeout)):
            return "timeout", "timed out"
        node = node.__cause__ or node.__context__
    text = str(exc)
    lowered = text.lower()
    if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        return "certificate", text
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "name resolution" in lowered:
        return "dns", text
    if "connection refused" in lowered or "errno 111" in lowered:
        return "refused", text
    return "network", f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _meta_list(meta: MetaInput) -> list[dict[str, Any]]:
    if isinstance(meta, Mapping):
        return [{"key": k, "value": v} for k, v in meta.items()]
    return [dict(m) for m in meta]


def _modified_after(value: datetime | str | None) -> dict[str, Any]:
    """Aware datetimes are sent in UTC with ``dates_are_gmt``; naive ones and strings as given (site time)."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"modified_after": value}
    if value.tzinfo is None:
        return {"modified_after": value.replace(microsecond=0).isoformat()}
    utc = value.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    return {"modified_after": utc.isoformat(), "dates_are_gmt": True}


def _encode_params(params: Params) -> dict[str, str]:
    """Booleans as ``true``/``false``, lists comma-joined (WordPress reads both as arrays)."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple, set, frozenset)):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        snippet = " ".join(response.text[:200].split())
        raise InvalidResponseError(response.status_code, "invalid_json", f"not JSON: {snippet!r}") from exc


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None
