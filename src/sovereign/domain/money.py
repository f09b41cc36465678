"""Amounts written the way the store writes them: its symbol, its symbol's position, its decimals and separators.

WooCommerce keeps these in its general settings (``woocommerce_currency_pos``:
``left`` £99.99, ``right`` 99.99£, ``left_space`` £ 99.99, ``right_space``
99.99 £; ``woocommerce_price_num_decimals``; the thousand and decimal
separators) and reports the symbol of the store's currency. ``PriceFormat.of``
reads them from a store's settings (``features.storesync.woo_settings``). An
amount in another currency than the store's (a multi-currency plugin) keeps its
ISO code: the store's symbol would lie about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal, Mapping

__all__ = ["PriceFormat", "format_price"]

Position = Literal["left", "right", "left_space", "right_space"]
_POSITIONS = ("left", "right", "left_space", "right_space")


@dataclass(frozen=True, slots=True)
class PriceFormat:
    currency: str | None = None  # the store's ISO code
    symbol: str | None = None
    position: Position = "left"
    decimals: int = 2
    thousand_separator: str = ","
    decimal_separator: str = "."

    @classmethod
    def of(cls, settings: Mapping[str, Any] | None) -> "PriceFormat":
        """From a store's settings; anything missing or malformed keeps the default."""
        s = settings or {}
        position = s.get("currency_position")
        decimals = s.get("price_decimals")
        return cls(
            currency=_text(s.get("currency"), 3),
            symbol=_text(s.get("currency_symbol"), 8),
            position=position if position in _POSITIONS else "left",
            decimals=decimals if isinstance(decimals, int) and 0 <= decimals <= 6 else 2,
            thousand_separator=_sep(s.get("thousand_separator"), ","),
            decimal_separator=_sep(s.get("decimal_separator"), ".") or ".",
        )


def format_price(amount: Decimal, currency: str | None, fmt: PriceFormat | None = None) -> str:
    """``amount`` in ``currency`` as the store writes it (``€1.234,50``); ``1,234.50 USD`` without a format."""
    fmt = fmt or PriceFormat()
    sign, number = _number(amount, fmt)
    code = (currency or "").upper()
    if fmt.symbol and code and code == (fmt.currency or "").upper():
        sym = fmt.symbol
        return sign + {
            "left": f"{sym}{number}", "right": f"{number}{sym}",
            "left_space": f"{sym} {number}", "right_space": f"{number} {sym}",
        }[fmt.position]
    return f"{sign}{number} {code}" if code.isalpha() and len(code) == 3 else f"{sign}{number}"


def _number(amount: Decimal, fmt: PriceFormat) -> tuple[str, str]:
    value = Decimal(amount)
    if not value.is_finite():
        return "", str(value)
    with localcontext() as ctx:  # any size of amount (a hostile order's total too): enough digits to round it
        ctx.prec = max(28, value.adjusted() + fmt.decimals + 3)
        rounded = value.quantize(Decimal(1).scaleb(-fmt.decimals), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = fmt.thousand_separator.join(groups)
    return sign, (f"{text}{fmt.decimal_separator}{frac}" if fmt.decimals else text)


def _text(value: Any, limit: int) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) and value.strip() else None


def _sep(value: Any, default: str) -> str:
    return value[:3] if isinstance(value, str) and not any(c.isdigit() for c in value) else default
