"""A small SalesPOS account to start the sandbox with: user groups and the walk-in user (id 1); with
the catalogue, categories, a shirt in three sizes (stock on its attribute combinations), a mug
(stock on the product), a company and a person, and a till sale."""

from __future__ import annotations

from connectors.ccv.sandbox.store import Store


def seed(store: Store, catalogue: bool = True) -> None:
    store.usergroups[1] = {"id": 1, "default": True, "groupname": "Consumers", "discount": 0.0}
    store.usergroups[2] = {"id": 2, "default": False, "groupname": "Business", "discount": 10.0}
    # the user sales without a known customer are booked on (a flow's default_debtor)
    store.users[1] = {
        "id": 1,
        "username": "walk-in",
        "group_id": 1,
        "status": True,
        "approval_status": "accepted",
        "userinfo": {"customertype": "b2c", "billingaddress": {"last_name": "Walk-in customers"}},
    }
    if not catalogue:
        return
    shirts = store.create_category({"name": "Shirts"})
    mugs = store.create_category({"name": "Mugs"})
    shirt = store.create_product({"productnumber": "1000", "name": "Organic shirt",
                                  "description": "Soft organic cotton.", "price": 29.95, "discount": 0.0,
                                  "vatrate": 21.0, "package_id": 1,
                                  "stockenabled": True})  # fmt: skip
    size = store.create_attribute({"name": "size", "type": "option_menu"})
    for name, extra, sku, stock in (("S", 0.0, "1001", 12), ("M", 0.0, "1002", 8), ("L", 2.0, "1003", 5)):
        value = store.create_attribute_value(size["id"], {"name": name, "default_price": 0.0})
        store.add_product_value(shirt["id"], {"optionvalue": value["id"], "price": extra})
        made = next(
            c for c in store.product_combinations(shirt["id"]) if c["combination"][0]["attribute_value"]["name"] == name
        )
        store.patch_combination(made["id"], {"sku_number": sku, "product_number": sku, "ean_number": f"871234500{sku}",
                                             "stock": float(stock)})  # fmt: skip
    mug = store.create_product({"productnumber": "2000", "name": "Stoneware mug", "price": 14.50, "discount": 2.0,
                                "vatrate": 21.0, "package_id": 1, "stockenabled": True, "stock": 40.0,
                                "eannumber": "8712345000042"})  # fmt: skip
    store.create_link({"product_id": shirt["id"], "category_id": shirts["id"]})
    store.create_link({"product_id": mug["id"], "category_id": mugs["id"]})
    store.create_user({"username": "inkoop@bakkerijdekorf.nl", "password": "x", "group_id": 2, "userinfo": {
        "email": "inkoop@bakkerijdekorf.nl", "customertype": "b2b", "btw": "NL001234567B01",
        "billingaddress": {"first_name": "Sanne", "last_name": "de Vries", "company": "Bakkerij De Korf",
                           "street": "Prinsengracht", "housenumber": 263, "zipcode": "1016 GV", "city": "Amsterdam",
                           "country_code": "NL", "telephone": "+31201234567"}}})  # fmt: skip
    store.create_user({"username": "j.jansen@example.com", "password": "x", "userinfo": {
        "email": "j.jansen@example.com", "customertype": "b2c",
        "billingaddress": {"first_name": "Jan", "last_name": "Jansen", "street": "Keizersgracht", "housenumber": 123,
                           "housenumber_suffix": "A", "zipcode": "1015 CJ", "city": "Amsterdam",
                           "country_code": "NL"}}})  # fmt: skip
    store.create_order({"status": 7, "paid": True, "paymethod": "pin", "orderrows": [
        {"product_id": mug["id"], "count": 2.0}]})  # fmt: skip  # a sale at the till, paid by card
