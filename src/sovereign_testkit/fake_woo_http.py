"""The fake store's HTTP face: ``/wp-json/wc/v3`` routes, WooCommerce authentication, real headers.

Authentication follows ``WC_REST_Authentication``: over HTTPS (here: when the
store is told it sits behind a TLS-terminating proxy) Basic credentials are
tried first, an unknown key falls through to anonymous and a wrong secret is
the captured 401 "Consumer secret is invalid."; then one-legged OAuth 1.0a
from the query string (``Consumer key is invalid.``, ``Invalid signature -
provided signature does not match.``, 15-minute timestamp window, single-use
nonces); then the key's permission level against the method. An anonymous
request fails the route's own check with 401 ``woocommerce_rest_cannot_*``
(the captured "Sorry, you cannot list resources." for lists).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from .fake_woo_hooks import to_wire
from . import fake_woo_settings
from .fake_woo_php import add_query_arg, php_get_params, wc_oauth_signature
from .fake_woo_state import ApiError, Event, Write, error_body, list_page
from .fixtures import load_json

if TYPE_CHECKING:
    from .fake_woo import FakeWooStore

__all__ = ["Fault", "RequestRecord", "WooApp"]

UPLOADS = "/wp-content/uploads/"
_DROP = {"server", "date", "transfer-encoding", "connection", "content-length", "x-wp-doingitwrong", "location"}
_OAUTH_REQUIRED = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method")
_ANON = {  # the route's permission error for an unauthenticated request
    ("list", "GET"): ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    ("item", "GET"): ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    ("list", "POST"): ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    ("item", "DELETE"): ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
    ("batch", "POST"): ("woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."),
}
_EDIT = ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
_ALLOW = {"list": "GET, POST", "item": "GET, POST, PUT, PATCH, DELETE", "batch": "POST, PUT, PATCH"}
_EDITABLE = ("POST", "PUT", "PATCH")


@dataclass(slots=True)
class Fault:
    """An injected failure for the next matching request (proxy-level: before authentication)."""

    status: int | None = 503
    retry_after: str | None = None
    delay: float = 0.0
    method: str | None = None
    path_contains: str = ""


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the store received; ``fault`` is the injected status it got, if any."""

    method: str
    path: str
    query: dict[str, str]
    authenticated: bool
    fault: int | None = None


def _templates() -> dict[str, list[tuple[str, str]]]:
    files = {
        "list": "rest_products_list_page2.json",
        "item": "rest_order_update_status.json",
        "created": "rest_order_note_create.json",
        "batch": "rest_products_batch_partial_error.json",
        "401": "rest_error_401_bad_key.json",
        "404": "rest_error_404_missing_order.json",
        "400": "rest_error_400_per_page.json",
    }
    return {
        name: [(k, v) for k, v in load_json(f)["response"]["headers"].items() if k.lower() not in _DROP]
        for name, f in files.items()
    }


class WooApp:
    """ASGI app serving one ``FakeWooStore``."""

    def __init__(self, store: FakeWooStore) -> None:
        self.store = store
        self.templates = _templates()
        self._nonces: set[tuple[str, str]] = set()
        self._routes: list[tuple[re.Pattern[str], str, Callable[..., Awaitable[tuple[int, Any, list[Event]]]]]] = [
            (re.compile(r"orders"), "list", self._orders),
            (re.compile(r"orders/(\d+)"), "item", self._order),
            (re.compile(r"orders/(\d+)/notes"), "list", self._notes),
            (re.compile(r"products"), "list", self._products),
            (re.compile(r"products/batch"), "batch", self._batch),
            (re.compile(r"products/(\d+)"), "item", self._product),
            (re.compile(r"webhooks"), "list", self._webhooks),
            (re.compile(r"webhooks/(\d+)"), "item", self._webhook),
            (re.compile(r"settings/general"), "item", self._settings_general),
            (re.compile(r"settings/products"), "item", self._settings_products),
            (re.compile(r"data/currencies/current"), "item", self._currency),
            (re.compile(r"system_status"), "item", self._system_status),
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    # -- dispatch ---------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        method, path = request.method, request.url.path
        query = php_get_params(request.url.query)
        fault = self.store._take_fault(method, path)
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.status is not None:
                self.store.requests.append(RequestRecord(method, path, query, False, fault.status))
                return self._fault_response(fault)
        if path.startswith(UPLOADS):
            return self.store.media.respond(path[len(UPLOADS):], request)
        if path.rstrip("/") == "/wp-json" and method == "GET":  # WordPress's REST index: public
            manual = re.match(r"UTC[+-]", self.store.timezone) is not None
            body = fake_woo_settings.rest_index("" if manual else self.store.timezone, _offset(self.store.timezone) if manual else 0)
            return self._respond(200, body, "item", {})
        prefix = "/wp-json/wc/v3/"
        route = path[len(prefix) :].strip("/") if path.startswith(prefix) else None
        match = next(((m, kind, fn) for rx, kind, fn in self._routes if route is not None and (m := rx.fullmatch(route))), None)
        if match is None:
            return self._error(404, error_body("rest_no_route", "No route was found matching the URL and request method.", 404))
        found, kind, handler = match
        authenticated, auth_error = self._authenticate(request, query)
        self.store.requests.append(RequestRecord(method, path, query, authenticated))
        if auth_error is not None:
            return self._error(401, auth_error)
        if not authenticated:
            code, message = _ANON.get((kind, method) if kind != "batch" else ("batch", "POST"), _EDIT)
            return self._error(401, error_body(code, message, 401))
        try:
            body = await request.json() if method in _EDITABLE and await request.body() else {}
        except ValueError:
            return self._error(400, error_body("rest_invalid_json", "Invalid JSON body passed.", 400))
        try:
            status, result, events = await handler(method, query, body, *map(int, found.groups()))
        except ApiError as exc:
            return self._error(exc.status, exc.body)
        if method != "GET":
            self.store.state.writes.append(Write(method, path, body, status))
            self.store._fire(events)
        return self._ok(status, result, kind, route or "", request.url.query, query)

    # -- authentication ---------------------------------------------------------------------

    def _authenticate(self, request: Request, query: dict[str, str]) -> tuple[bool, dict[str, Any] | None]:
        store = self.store
        if store.assume_https:
            key, secret = _basic_credentials(request.headers.get("authorization", ""), query)
            if key and key == store.consumer_key:
                if not hmac.compare_digest(secret or "", store.consumer_secret):
                    return False, error_body("woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401)
                return self._permitted(request.method)
        present = [name for name in _OAUTH_REQUIRED if query.get(name)]
        if not present:
            return False, None
        if len(present) < len(_OAUTH_REQUIRED):
            missing = ", ".join(n for n in _OAUTH_REQUIRED if n not in present)
            label = "parameter" if len(_OAUTH_REQUIRED) - len(present) == 1 else "parameters"
            return False, error_body("woocommerce_rest_authentication_missing_parameter", f"Missing OAuth {label} {missing}", 401)
        if query["oauth_consumer_key"] != store.consumer_key:
            return False, error_body("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        params = {k: v for k, v in query.items() if k != "oauth_signature"}
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        base_uri = store.url + raw_path.decode("latin-1").split("?", 1)[0]  # REQUEST_URI's path, as sent
        try:
            expected = wc_oauth_signature(request.method, base_uri, params, store.consumer_secret)
        except ValueError as exc:
            return False, error_body("woocommerce_rest_authentication_error", str(exc), 401)
        given = query["oauth_signature"].replace(" ", "+")
        if not hmac.compare_digest(expected, given):
            message = "Invalid signature - provided signature does not match."
            return False, error_body("woocommerce_rest_authentication_error", message, 401)
        timestamp = int(query["oauth_timestamp"]) if query["oauth_timestamp"].isdigit() else 0
        if abs(time.time() - timestamp) > 15 * 60:
            return False, error_body("woocommerce_rest_authentication_error", "Invalid timestamp.", 401)
        nonce = (query["oauth_nonce"], query["oauth_timestamp"])
        if nonce in self._nonces:
            return False, error_body("woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.", 401)
        self._nonces.add(nonce)
        return self._permitted(request.method)

    def _permitted(self, method: str) -> tuple[bool, dict[str, Any] | None]:
        level = self.store.permissions
        if method in ("GET", "HEAD") and level not in ("read", "read_write"):
            return False, error_body("woocommerce_rest_authentication_error", "The API key provided does not have read permissions.", 401)
        if method in ("POST", "PUT", "PATCH", "DELETE") and level not in ("write", "read_write"):
            return False, error_body("woocommerce_rest_authentication_error", "The API key provided does not have write permissions.", 401)
        return True, None

    # -- routes -----------------------------------------------------------------------------

    async def _orders(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, list[Event]]:
        if method != "GET":
            raise _no_route()
        return 200, list_page(self.store.state.orders.values(), query, statuses=True), []

    async def _order(self, method: str, query: dict[str, str], body: Any, order_id: int) -> tuple[int, Any, list[Event]]:
        state = self.store.state
        if method == "GET":
            return 200, state.order(order_id), []
        if method in _EDITABLE:
            order, events = state.update_order(order_id, body)
            return 200, order, events
        raise _no_route()

    async def _notes(self, method: str, query: dict[str, str], body: Any, order_id: int) -> tuple[int, Any, list[Event]]:
        state = self.store.state
        if method == "GET":
            return 200, state.order_notes(order_id), []
        if method == "POST":
            note = state.add_note(order_id, body.get("note", ""), bool(body.get("customer_note", False)))
            return 201, note, [("action.woocommerce_order_note_added", note["id"])]
        raise _no_route()

    async def _products(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, list[Event]]:
        state = self.store.state
        if method == "GET":
            rows, *rest = list_page(state.products.values(), query)
            return 200, ([state.render_product(p) for p in rows], *rest), []
        if method == "POST":
            product = state.create_product(body)
            return 201, state.render_product(product, wrapped=False), [("product.created", product["id"])]
        raise _no_route()

    async def _product(self, method: str, query: dict[str, str], body: Any, product_id: int) -> tuple[int, Any, list[Event]]:
        state = self.store.state
        if method == "GET":
            return 200, state.render_product(state.product(product_id)), []
        if method in _EDITABLE:
            product = state.update_product(product_id, body)
            return 200, state.render_product(product, wrapped=False), [("product.updated", product_id)]
        raise _no_route()

    async def _batch(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, list[Event]]:
        if method not in _EDITABLE:
            raise _no_route()
        result, events = self.store.state.batch_products(body if isinstance(body, dict) else {})
        return 200, result or [], events

    async def _webhooks(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, list[Event]]:
        hooks = self.store.hooks
        if method == "GET":
            rows = [w.api() for w in hooks.hooks.values()]
            return 200, list_page(rows, query), []
        if method == "POST":
            webhook = hooks.create(body, self.store.state.now())
            if webhook.status == "active":
                await self.store._ping(webhook)
            return 201, webhook.api(), []
        raise _no_route()

    async def _webhook(self, method: str, query: dict[str, str], body: Any, webhook_id: int) -> tuple[int, Any, list[Event]]:
        hooks = self.store.hooks
        if method == "GET":
            return 200, hooks.get(webhook_id).api(), []
        if method in _EDITABLE:
            return 200, hooks.update(webhook_id, body, self.store.state.now()).api(), []
        if method == "DELETE":
            return 200, hooks.delete(webhook_id, query.get("force") in ("1", "true")).api(), []
        raise _no_route()

    async def _settings_general(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, list[Event]]:
        return self._setting_group("general", method)

    async def _settings_products(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, list[Event]]:
        return self._setting_group("products", method)

    def _setting_group(self, group: str, method: str) -> tuple[int, Any, list[Event]]:
        if method != "GET":
            raise _no_route()
        return 200, fake_woo_settings.setting_group(group, self.store.settings_values.get(group, {})), []

    async def _currency(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, list[Event]]:
        if method != "GET":
            raise _no_route()
        return 200, fake_woo_settings.current_currency(self.store.settings_values), []

    async def _system_status(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, list[Event]]:
        if method != "GET":
            raise _no_route()
        return 200, fake_woo_settings.system_status(self.store.language, self.store.settings_values), []

    # -- responses --------------------------------------------------------------------------

    def _ok(self, status: int, result: Any, kind: str, route: str, raw_query: str, query: dict[str, str]) -> Response:
        origin = self.store.url
        if isinstance(result, tuple):  # a page: (items, page, total, total_pages)
            items, page, total, pages = result
            base = f"{origin}/wp-json/wc/v3/{route}"
            links = []
            if page > 1:
                links.append(f'<{add_query_arg(base, raw_query, "page", str(min(page - 1, pages)))}>; rel="prev"')
            if pages > page:
                links.append(f'<{add_query_arg(base, raw_query, "page", str(page + 1))}>; rel="next"')
            extra = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages), "Link": ", ".join(links) or None}
            return self._respond(200, items, "list", extra)
        if status == 201:
            location = f"{origin}/wp-json/wc/v3/{route}/{result['id']}"
            return self._respond(201, result, "created", {"Location": location, "Allow": _ALLOW[kind]})
        return self._respond(status, result, "batch" if kind == "batch" else "item", {"Allow": _ALLOW[kind]})

    def _error(self, status: int, body: dict[str, Any]) -> Response:
        return self._respond(status, body, str(status) if str(status) in self.templates else "404", {})

    def _respond(self, status: int, body: Any, template: str, extra: dict[str, str | None]) -> Response:
        origin = self.store.url
        headers: list[tuple[str, str]] = []
        for name, value in self.templates[template]:
            if name in ("X-WP-Total", "X-WP-TotalPages", "Link") and name in extra:
                continue
            if name == "Allow" and "Allow" in extra:
                value = extra["Allow"] or value
            headers.append((name, value.replace("https://127.0.0.1:8443", origin)))
            if name == "Access-Control-Allow-Headers":
                headers += [(k, v) for k, v in extra.items() if k in ("X-WP-Total", "X-WP-TotalPages", "Link") and v]
                headers += [(k, v) for k, v in extra.items() if k == "Location" and v]
        content = to_wire(body, origin)
        response = Response(content, status_code=status)
        response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers] + [
            (b"Content-Length", str(len(content)).encode())
        ]
        return response

    def _fault_response(self, fault: Fault) -> Response:
        status = fault.status or 503
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        if status == 429:
            body = json.dumps(error_body("rest_too_many_requests", "Too many requests.", 429))
            return Response(body, status, headers, media_type="application/json; charset=UTF-8")
        title = f"{status} Service Temporarily Unavailable" if status == 503 else f"{status} Error"
        html = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        return Response(html + "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", status, headers, media_type="text/html")


def _offset(timezone: str) -> float:
    """A manual offset ``UTC+2`` / ``UTC-5.5`` as WordPress's ``gmt_offset`` (its timezone_string is then empty)."""
    return float(timezone[3:])


def _no_route() -> ApiError:
    return ApiError.of("rest_no_route", "No route was found matching the URL and request method.", 404)


def _basic_credentials(authorization: str, query: dict[str, str]) -> tuple[str | None, str | None]:
    """``PHP_AUTH_USER`` / ``PHP_AUTH_PW``, or the ``consumer_key`` / ``consumer_secret`` query parameters."""
    if authorization.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(authorization[6:].strip()).decode("utf-8").partition(":")
            return user, password
        except (binascii.Error, UnicodeDecodeError):
            return None, None
    return query.get("consumer_key"), query.get("consumer_secret")
