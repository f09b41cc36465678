"""The WooCommerce port: what the features ask of a store, and nothing else.

``sovereign.woo.client.WooClient`` implements it (checked structurally, and by
``tests/architecture/test_store_port.py``); ``FeatureServices.woo(store)`` hands
it out. A feature that needs something new from the store adds it here and in
``woo/`` (as a named operation, never a raw REST path), so the store's surface
Sovereign depends on stays listed in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, AsyncIterator, Mapping, Protocol, Sequence

from sovereign.woo.batch import BatchResult
from sovereign.woo.client import CredentialCheck, MetaInput

__all__ = ["StoreOrders", "StoreProducts", "StoreSettings", "StoreWebhooks", "WooStore"]


class StoreOrders(Protocol):
    """Orders: read, hold or release (a status), write our meta, add a note once."""

    async def get_order(self, order_id: int) -> dict[str, Any]: ...

    def list_orders(
        self, modified_after: datetime | str | None = None, status: str | Sequence[str] | None = None, *,
        per_page: int = ..., **filters: Any,
    ) -> AsyncIterator[dict[str, Any]]: ...

    async def update_order(
        self, order_id: int, *, status: str | None = None, meta_data: MetaInput | None = None
    ) -> dict[str, Any]: ...

    async def add_order_note(self, order_id: int, note: str, customer_note: bool = False) -> dict[str, Any]: ...

    async def list_order_notes(self, order_id: int) -> list[dict[str, Any]]: ...


class StoreProducts(Protocol):
    """Products: read, write a draft or a description (meta, text, image alts), publish in batches."""

    async def get_product(self, product_id: int) -> dict[str, Any]: ...

    def list_products(
        self, modified_after: datetime | str | None = None, *, per_page: int = ..., **filters: Any
    ) -> AsyncIterator[dict[str, Any]]: ...

    async def update_product(
        self, product_id: int, *, description: str | None = None, short_description: str | None = None,
        meta_data: MetaInput | None = None, images: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]: ...

    async def update_variation(
        self, parent_id: int, variation_id: int, *, description: str | None = None, meta_data: MetaInput | None = None
    ) -> dict[str, Any]: ...

    async def batch_products(
        self, create: Sequence[Mapping[str, Any]] = (), update: Sequence[Mapping[str, Any]] = (),
        delete: Sequence[int] = (),
    ) -> BatchResult: ...


class StoreWebhooks(Protocol):
    """The store's webhooks: ours are found by delivery URL and name, repaired, removed."""

    async def list_webhooks(self, **filters: Any) -> list[dict[str, Any]]: ...

    async def create_webhook(
        self, name: str, topic: str, delivery_url: str, secret: str, *, status: str = "active"
    ) -> dict[str, Any]: ...

    async def update_webhook(self, webhook_id: int, *, status: str | None = None, **fields: Any) -> dict[str, Any]: ...

    async def delete_webhook(self, webhook_id: int) -> dict[str, Any]: ...


class StoreSettings(Protocol):
    """The store's own settings (currency and its format, units, timezone, language) and the key's rights."""

    async def get_settings_group(self, group: str) -> list[dict[str, Any]]: ...

    async def current_currency(self) -> dict[str, Any]: ...

    async def site_index(self) -> dict[str, Any]: ...

    async def system_status(self) -> dict[str, Any]: ...

    async def check_credentials(self) -> CredentialCheck: ...


class WooStore(StoreOrders, StoreProducts, StoreWebhooks, StoreSettings, Protocol):
    """Everything the features use of one WooCommerce store."""
