"""The port through which features reach the service's parts.

Features never import the composition root: they declare here what they use, and
``sovereign.runtime.Runtime`` provides it (it is checked structurally). Job
handlers receive it as ``ctx.services`` (``JobContext[FeatureServices]``); the
web and the CLI pass the runtime in as this type.
"""

from __future__ import annotations

from typing import Protocol

from sovereign.gateway import Gateway
from sovereign.jobs import JobQueue
from sovereign.settings import Settings
from sovereign.store.database import Database
from sovereign.store.stores import StoreRecord, StoreRepository
from sovereign.domain.products import Product
from sovereign.features.store_port import StoreProducts, WooStore

__all__ = ["FeatureServices", "StyleSource"]


class StyleSource(Protocol):
    """The store's own descriptions of products like this one (``features.descriptions.style``)."""

    async def for_product(
        self, store_id: str, products: StoreProducts, product: Product, *, k: int = 2, currency: str | None = None
    ) -> list[str]: ...


class FeatureServices(Protocol):
    settings: Settings
    db: Database
    queue: JobQueue
    stores: StoreRepository
    gateway: Gateway
    style: StyleSource  # the stores' own descriptions, for the style of new drafts

    def woo(self, store: StoreRecord) -> WooStore:
        """The store's WooCommerce port (one client per store per process)."""
        ...

    async def store_or_fail(self, store_id: str) -> StoreRecord:
        """The connected store, or a non-retryable job error."""
        ...
