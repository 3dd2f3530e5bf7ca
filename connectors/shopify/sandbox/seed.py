"""What a sandbox shop starts with: two locations and a price list; with the catalogue, products
with stock, a customer, and a web order (and a POS sale) of them.

A shop's sample suits the systems it is synced with (`SandboxSeed.synced_with`), as a merchant's
shop sells what their till or ERP keeps, so its orders name products the other side knows: a shop
synced with Rackbeat sells a Rackbeat item in DKK, one synced with MplusKASSA or Visma.net their
mug. EasyCashier brings no products to Shopify (its integration syncs stock and orders only), so a
shop synced with it sells its webshop articles from the start, with or without the catalogue. A shop
synced with CCV SalesPOS sells nothing of its own: SalesPOS brings the catalogue, and its product
flows run both ways. A shop synced with none of these sells the enamel mug 5000.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from connectors.shopify.sandbox.shop import Shop

LOCATIONS = ("warehouse", "store-amsterdam")


@dataclass(frozen=True)
class Sample:
    products: tuple[tuple[str, str, str], ...]  # (SKU, title, price): one single-variant product each
    always: bool = False  # sold from the start, not only with the catalogue
    currency: str = "EUR"  # what the shop sells in
    pos_sale: bool = False  # with the catalogue, a POS sale without a customer besides the web order

    @property
    def sold(self) -> str:
        """The SKU its orders buy."""
        return self.products[0][0]


# by the connector of a system the shop is synced with: what that system keeps (see its sandbox's seed)
SAMPLES = {
    "easycashier": Sample(
        (
            ("1001", "Linen tea towel", "129.00"),
            ("1002", "Ceramic mug", "189.00"),
            ("1003", "Cookbook: Fika", "299.00"),
        ),
        always=True,
    ),
    "rackbeat": Sample((("RB-1001", "Linen towel", "89.00"),), currency="DKK"),
    "visma_net": Sample((("MUG", "Stoneware mug", "12.50"),)),
    "ccv": Sample(()),  # SalesPOS brings the catalogue, and its product flows both ways would fight over one
    "mpluskassa": Sample((("2000", "Stoneware mug", "12.50"),), pos_sale=True),
}
MUG = Sample((("5000", "Enamel camping mug", "14.95"),), pos_sale=True)


def sample_for(synced_with: Collection[str]) -> Sample:
    """The sample of the first system synced with that has one (by connector name); else the mug."""
    return next((SAMPLES[name] for name in sorted(synced_with) if name in SAMPLES), MUG)


def seed(shop: Shop, catalogue: bool = True, synced_with: Collection[str] = ()) -> None:
    sample = sample_for(synced_with)
    shop.currency = sample.currency
    for name in LOCATIONS:
        if shop.location_named(name) is None:
            shop.add_location(name)
    shop.add_price_list("b2b", shop.currency)
    if sample.always or catalogue:
        for sku, title, price in sample.products:
            _product(shop, sku, title, price)
    if not catalogue or not sample.products:
        return
    emma = {"email": "emma@example.com", "firstName": "Emma", "lastName": "de Boer"}
    shop.customer_set({"email": emma["email"]}, emma)
    shop.place_order([(sample.sold, 1)], email="emma@example.com")
    if sample.pos_sale:
        shop.place_order([(sample.sold, 2)], source="pos", location="store-amsterdam", gateway="cash")


def _product(shop: Shop, sku: str, title: str, price: str) -> None:
    """A product of one variant, its product number its SKU, with 8 in stock at each location."""
    stock = [{"locationId": shop.location_named(name), "name": "available", "quantity": 8} for name in LOCATIONS]
    variant = {"sku": sku, "price": price, "inventoryQuantities": stock,
               "optionValues": [{"optionName": "Title", "name": "Default Title"}]}  # fmt: skip
    product = {"title": title, "vendor": "Tillhome", "tags": ["outdoor"], "variants": [variant]}
    shop.product_set({"customId": {"namespace": "tillsync", "key": "product_number", "value": sku}}, product)
