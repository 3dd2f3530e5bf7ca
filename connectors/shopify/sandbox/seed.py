"""A small shop to start the sandbox with: two locations, a catalogue with stock, a customer, orders."""

from __future__ import annotations

from connectors.shopify.sandbox.shop import Shop

LOCATIONS = ("warehouse", "store-amsterdam")


def seed(shop: Shop, catalogue: bool = True) -> None:
    for name in LOCATIONS:
        if shop.location_named(name) is None:
            shop.add_location(name)
    shop.add_price_list("b2b", shop.currency)
    if not catalogue:
        return
    stock = [{"locationId": shop.location_named(name), "name": "available", "quantity": 8} for name in LOCATIONS]
    variant = {"sku": "5000", "price": "14.95", "inventoryQuantities": stock,
               "optionValues": [{"optionName": "Title", "name": "Default Title"}]}  # fmt: skip
    product = {"title": "Enamel camping mug", "vendor": "Tillhome", "productType": "Mug", "tags": ["outdoor"],
               "variants": [variant]}  # fmt: skip
    shop.product_set({"customId": {"namespace": "tillsync", "key": "product_number", "value": "5000"}}, product)
    emma = {"email": "emma@example.com", "firstName": "Emma", "lastName": "de Boer"}
    shop.customer_set({"email": emma["email"]}, emma)
    shop.place_order([("5000", 1)], email="emma@example.com")
    shop.place_order([("5000", 2)], source="pos", location="store-amsterdam", gateway="cash")
