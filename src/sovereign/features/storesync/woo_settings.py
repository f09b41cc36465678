"""The store's own settings, as WooCommerce and WordPress report them.

Read at connect and by every reconciliation; the operator's ``--settings`` sit on top (see
``StoreRecord.settings``). Keys: ``currency``, ``currency_symbol``, ``currency_position``
(left, right, left_space, right_space), ``price_decimals``, ``thousand_separator``,
``decimal_separator``, ``weight_unit``, ``dimension_unit``, ``timezone``, ``language``.
Whatever the key may not read (or an older store does not serve) is left out, never guessed.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from sovereign.features.store_port import StoreSettings
from sovereign.woo.errors import TransportError, WooError

log = logging.getLogger("sovereign.stores.settings")

_GENERAL = {
    "woocommerce_currency": "currency",
    "woocommerce_currency_pos": "currency_position",
    "woocommerce_price_num_decimals": "price_decimals",
    "woocommerce_price_thousand_sep": "thousand_separator",
    "woocommerce_price_decimal_sep": "decimal_separator",
}
_PRODUCTS = {"woocommerce_weight_unit": "weight_unit", "woocommerce_dimension_unit": "dimension_unit"}


async def read_store_settings(woo: StoreSettings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for group, names in (("general", _GENERAL), ("products", _PRODUCTS)):
        items = await _quiet(woo.get_settings_group(group), f"settings/{group}")
        for item in items or ():
            if isinstance(item, dict) and item.get("id") in names:
                out[names[item["id"]]] = item.get("value")
    if "price_decimals" in out:
        try:
            out["price_decimals"] = int(out["price_decimals"])
        except (TypeError, ValueError):
            out.pop("price_decimals")
    currency = await _quiet(woo.current_currency(), "data/currencies/current")
    if isinstance(currency, dict) and currency.get("symbol"):
        out["currency_symbol"] = html.unescape(str(currency["symbol"]))
        out.setdefault("currency", currency.get("code"))
    index = await _quiet(woo.site_index(), "the REST index")
    if isinstance(index, dict):
        tz = index.get("timezone_string")
        if tz:
            out["timezone"] = tz
        elif isinstance(index.get("gmt_offset"), (int, float, str)):
            out["timezone"] = _offset_name(float(index["gmt_offset"]))
    status = await _quiet(woo.system_status(), "system_status")
    if isinstance(status, dict) and isinstance(status.get("environment"), dict) and status["environment"].get("language"):
        out["language"] = status["environment"]["language"]
    return {k: v for k, v in out.items() if v not in (None, "")}


async def _quiet(call: Any, what: str) -> Any:
    try:
        return await call
    except TransportError:
        raise
    except WooError as exc:
        log.warning("could not read %s from the store: %s", what, exc)
        return None


def _offset_name(offset: float) -> str:
    if offset == 0:
        return "UTC"
    hours, minutes = divmod(abs(offset) * 60, 60)
    return f"{'+' if offset > 0 else '-'}{int(hours):02d}:{int(minutes):02d}"
