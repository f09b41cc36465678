"""The fake store's own settings in WooCommerce's REST shape.

``GET /settings/general`` and ``/settings/products`` answer a list of setting objects
(``id, label, description, type, default, options?, tip?, value, _links``) as WooCommerce 10
does; the values default to the captured store's (USD, left, 2 decimals, kg, cm).
``GET /data/currencies/current`` gives the code, name and HTML-encoded symbol; the WordPress
REST index ``GET /wp-json/`` carries ``timezone_string`` and ``gmt_offset``; ``GET
/system_status`` (a subset) carries ``environment.language``.
"""

from __future__ import annotations

from typing import Any

from .fake_woo_state import API, CAPTURED_ORIGIN

__all__ = ["setting_group", "current_currency", "rest_index", "system_status", "CURRENCIES"]

CURRENCIES = {  # code: (name, symbol as WooCommerce encodes it)
    "USD": ("United States (US) dollar", "&#36;"),
    "EUR": ("Euro", "&euro;"),
    "GBP": ("Pound sterling", "&pound;"),
    "JPY": ("Japanese yen", "&yen;"),
    "CHF": ("Swiss franc", "&#67;&#72;&#70;"),
}
_POSITIONS = {"left": "Left ($99.99)", "right": "Right (99.99$)", "left_space": "Left with space ($ 99.99)",
              "right_space": "Right with space (99.99 $)"}
_WEIGHT = {"kg": "kg", "g": "g", "lbs": "lbs", "oz": "oz"}
_DIMENSION = {"m": "m", "cm": "cm", "mm": "mm", "in": "in", "yd": "yd"}

# (id, label, type, default, options, description)
_GROUPS: dict[str, list[tuple[str, str, str, Any, dict[str, str] | None, str]]] = {
    "general": [
        ("woocommerce_store_address", "Address line 1", "text", "", None, "The street address for your business location."),
        ("woocommerce_store_city", "City", "text", "", None, "The city in which your business is located."),
        ("woocommerce_default_country", "Country / State", "select", "US:CA", {"US:CA": "United States (US) — California"},
         "The country and state or province, if any, in which your business is located."),
        ("woocommerce_store_postcode", "Postcode / ZIP", "text", "", None, "The postal code, if any, in which your business is located."),
        ("woocommerce_calc_taxes", "Enable taxes", "checkbox", "no", None, "Enable tax rates and calculations"),
        ("woocommerce_enable_coupons", "Enable coupons", "checkbox", "yes", None, "Enable the use of coupon codes"),
        ("woocommerce_currency", "Currency", "select", "USD", {c: f"{n} ({s})" for c, (n, s) in CURRENCIES.items()},
         "This controls what currency prices are listed at in the catalog and which currency gateways will take payments in."),
        ("woocommerce_currency_pos", "Currency position", "select", "left", _POSITIONS, "This controls the position of the currency symbol."),
        ("woocommerce_price_thousand_sep", "Thousand separator", "text", ",", None,
         "This sets the thousand separator of displayed prices."),
        ("woocommerce_price_decimal_sep", "Decimal separator", "text", ".", None, "This sets the decimal separator of displayed prices."),
        ("woocommerce_price_num_decimals", "Number of decimals", "number", "2", None,
         "This sets the number of decimal points shown in displayed prices."),
    ],
    "products": [
        ("woocommerce_weight_unit", "Weight unit", "select", "kg", _WEIGHT, "This controls what unit you will define weights in."),
        ("woocommerce_dimension_unit", "Dimensions unit", "select", "cm", _DIMENSION,
         "This controls what unit you will define lengths in."),
        ("woocommerce_enable_reviews", "Enable product reviews", "checkbox", "yes", None, "Enable product reviews"),
    ],
}


def groups() -> tuple[str, ...]:
    return tuple(_GROUPS)


def setting_group(group: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """``GET /settings/{group}``: every option of the group with its current value."""
    out = []
    for sid, label, kind, default, options, description in _GROUPS[group]:
        item: dict[str, Any] = {"id": sid, "label": label, "description": description, "type": kind, "default": default}
        if options is not None:
            item["options"] = options
        item["tip"] = description
        item["value"] = values.get(sid, default)
        item["_links"] = {
            "self": [{"href": f"{API}/settings/{group}/{sid}", "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH"]}}],
            "collection": [{"href": f"{API}/settings/{group}"}],
        }
        out.append(item)
    return out


def _value(values: dict[str, dict[str, Any]], group: str, sid: str) -> Any:
    default = next(d for i, _, _, d, _, _ in _GROUPS[group] if i == sid)
    return values.get(group, {}).get(sid, default)


def current_currency(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    code = _value(values, "general", "woocommerce_currency")
    name, symbol = CURRENCIES.get(code, (code, code))
    return {"code": code, "name": name, "symbol": symbol,
            "_links": {"self": [{"href": f"{API}/data/currencies/{code}"}], "collection": [{"href": f"{API}/data/currencies"}]}}


def rest_index(timezone_string: str = "", gmt_offset: float = 0) -> dict[str, Any]:
    """The start of WordPress's ``GET /wp-json/`` (the namespaces and routes are left out)."""
    return {"name": "Sovereign test store", "description": "", "url": CAPTURED_ORIGIN, "home": CAPTURED_ORIGIN,
            "gmt_offset": gmt_offset, "timezone_string": timezone_string, "page_for_posts": 0, "page_on_front": 0,
            "show_on_front": "posts", "namespaces": ["oembed/1.0", "wc/v3", "wp/v2"], "authentication": [], "routes": {}}


def system_status(language: str, values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A subset of ``GET /system_status``: ``environment`` and ``settings`` as WooCommerce names them."""
    code = _value(values, "general", "woocommerce_currency")
    return {
        "environment": {"home_url": CAPTURED_ORIGIN, "site_url": CAPTURED_ORIGIN, "version": "10.0.2",
                        "wp_version": "6.8.8", "language": language, "default_timezone": "UTC"},
        "settings": {"currency": code, "currency_symbol": CURRENCIES.get(code, (code, code))[1],
                     "currency_position": _value(values, "general", "woocommerce_currency_pos"),
                     "thousand_separator": _value(values, "general", "woocommerce_price_thousand_sep"),
                     "decimal_separator": _value(values, "general", "woocommerce_price_decimal_sep"),
                     "number_of_decimals": int(_value(values, "general", "woocommerce_price_num_decimals"))},
    }
