"""The sandbox shop: one facade over a store per aggregate.

Plain Python data with Shopify's ids (`gid://shopify/Product/1001`). Each aggregate keeps its data,
and the rules Shopify applies when it changes, in a store of its own: products and variants
(`product_store`), inventory items, locations and stock levels (`inventory_store`), collections,
customers, orders with their fulfillments, price lists, and bulk operations (`bulk`). Every change
goes through one `Ledger`: the shop's lock, its ids, and the webhook events changes emit. Stores
answer `userErrors` the way Shopify does instead of raising.

`Shop` wires the stores together and is what the GraphQL resolvers, the seed, the tests and the
demo use: the data by Shopify's names (`shop.products`, `shop.levels`, `shop.orders`, `shop.events`)
and the changes as verbs (`shop.product_set`, `shop.set_quantities`, `shop.place_order`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.shopify.sandbox.bulk import BulkOperationStore
from connectors.shopify.sandbox.collection_store import CollectionStore
from connectors.shopify.sandbox.customer_store import CustomerStore
from connectors.shopify.sandbox.idempotency import IdempotencyKeys
from connectors.shopify.sandbox.inventory_store import InventoryStore
from connectors.shopify.sandbox.ledger import Ledger
from connectors.shopify.sandbox.order_store import OrderStore
from connectors.shopify.sandbox.price_list_store import PriceListStore
from connectors.shopify.sandbox.product_store import ProductStore


class Shop:
    """One sandbox shop: its stores, their data, and the changes Shopify's API and admin make."""

    def __init__(self, name: str = "tillsync-sandbox", currency: str = "EUR") -> None:
        self.name = name
        self.public_url = "http://127.0.0.1"  # where bulk files are fetched from; the app sets it per request
        self.ledger = Ledger()
        self.inventory_store = InventoryStore(self.ledger)
        self.collection_store = CollectionStore(self.ledger)
        self.product_store = ProductStore(self.ledger, self.inventory_store, self.collection_store)
        self.customer_store = CustomerStore(self.ledger)
        self.order_store = OrderStore(
            self.ledger, self.product_store, self.inventory_store, self.customer_store, currency
        )
        self.price_list_store = PriceListStore(self.ledger, self.product_store)
        self.bulk = BulkOperationStore(self.ledger)
        self.idempotency = IdempotencyKeys()  # the @idempotent keys mutations were sent with

        # The data, by Shopify's names: the stores' own dicts and lists, which they never replace.
        self.products = self.product_store.products
        self.variants = self.product_store.variants
        self.items = self.inventory_store.items  # inventory items
        self.locations = self.inventory_store.locations
        self.levels = self.inventory_store.levels  # (item id, location id) → quantities
        self.collections = self.collection_store.collections
        self.customers = self.customer_store.customers
        self.orders = self.order_store.orders
        self.price_lists = self.price_list_store.price_lists
        self.bulk_operations = self.bulk.operations
        self.bulk_files = self.bulk.files  # operation number → JSON Lines
        self.events = self.ledger.events
        self.lock = self.ledger.lock

        # The changes, each made by the store of its aggregate.
        self.new_id = self.ledger.new_id
        self.changing = self.ledger.changing
        self.add_location = self.inventory_store.add_location
        self.location_named = self.inventory_store.location_named
        self.set_quantities = self.inventory_store.set_quantities
        self.update_item = self.inventory_store.update_item
        self.find_product = self.product_store.find_product
        self.product_set = self.product_store.product_set
        self.product_create = self.product_store.product_create
        self.add_variants = self.product_store.add_variants
        self.product_payload = self.product_store.product_payload
        self.collection_set = self.collection_store.collection_set
        self.collection_by_handle = self.collection_store.collection_by_handle
        self.customer_set = self.customer_store.customer_set
        self.place_order = self.order_store.place_order
        self.create_order = self.order_store.create_order
        self.cancel_order = self.order_store.cancel_order
        self.fulfill = self.order_store.fulfill
        self.add_price_list = self.price_list_store.add_price_list
        self.add_fixed_prices = self.price_list_store.add_fixed_prices

    @property
    def currency(self) -> str:
        """The shop's currency: what its orders are placed in."""
        return self.order_store.currency

    @currency.setter
    def currency(self, currency: str) -> None:
        self.order_store.currency = currency

    @property
    def on_event(self) -> Callable[[str, dict[str, Any]], None] | None:
        """Called with each event once its change succeeded: the app hands them to the webhook dispatcher."""
        return self.ledger.on_event

    @on_event.setter
    def on_event(self, emit: Callable[[str, dict[str, Any]], None] | None) -> None:
        self.ledger.on_event = emit

    def add_bulk_operation(
        self, query: str, text: str, count: int, roots: int, started: float | None = None
    ) -> dict[str, Any]:
        """A bulk operation asked for at `started`, whose file is served from this shop's public URL."""
        return self.bulk.add(query, text, count, roots, self.public_url, started)
