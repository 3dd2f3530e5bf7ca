"""A small till to start the sandbox with: article groups, a shirt in three sizes, a mug, stock
with reservations at two branches, a company and a person, and the default debtor."""

from __future__ import annotations

from decimal import Decimal

from connectors.mpluskassa.amounts import to_amount
from connectors.mpluskassa.sandbox.store import Till

# (branch, article) → (on hand, reserved for open sales orders)
STOCK = {
    (1, 1001): (12, 2),
    (1, 1002): (8, 8),
    (1, 1003): (5, 1),
    (1, 2000): (40, 4),
    (2, 1001): (3, 0),
    (2, 2000): (6, 0),
}


def _article(number: int, description: str, price: str, barcode: str, **attributes: str) -> dict[str, object]:
    return {
        "articleNumber": number, "description": description, "barcode": barcode, "turnoverGroup": 1,
        "priceIncl": to_amount(Decimal(price), 2), "vatPercentage": "21",
        "attributeList": [{"name": k, "value": v} for k, v in attributes.items()],
        "customFieldList": [{"name": "country_of_origin", "value": "PT"}],
    }  # fmt: skip


def seed(till: Till) -> None:
    till.call("saveArticleGroups", {"articleGroupList": [{"groupNumber": 10, "name": "Shirts"},
                                                         {"groupNumber": 20, "name": "Mugs"}]})  # fmt: skip
    sizes = [_article(1001, "Organic shirt S", "29.95", "8712345000011", size="S"),
             _article(1002, "Organic shirt M", "29.95", "8712345000028", size="M"),
             _article(1003, "Organic shirt L", "31.95", "8712345000035", size="L")]  # fmt: skip
    shirt = {"productNumber": 1000, "description": "Organic shirt", "extraText": "Soft organic cotton.",
             "brand": "Tillwear", "groupNumberList": [10], "articleList": sizes}  # fmt: skip
    till.call("createProduct", {"product": shirt})
    mug = {**_article(2000, "Stoneware mug", "12.50", "8712345000042"), "customFieldList": []}
    till.call("createProduct", {"product": {"productNumber": 2000, "description": "Stoneware mug",
                                            "groupNumberList": [20], "articleList": [mug]}})  # fmt: skip
    for (branch, article), (amount, reserved) in STOCK.items():
        till.stock[(branch, article)] = {"amount": Decimal(amount), "reserved": Decimal(reserved)}
    till.call("createRelation", {"relation": {"relationNumber": 1000, "name": "Webshop customers"}})
    till.call("createRelation", {"relation": {
        "relationNumber": 20001, "companyName": "Bakkerij De Korf", "name": "Sanne de Vries",
        "email": "inkoop@bakkerijdekorf.nl", "phone": "+31201234567",
        "contact": {"firstName": "Sanne", "lastName": "de Vries"},
        "address": {"street": "Prinsengracht", "houseNumber": "263", "zipcode": "1016 GV", "city": "Amsterdam",
                    "country": "NL"}}})  # fmt: skip
    till.call("createRelation", {"relation": {
        "relationNumber": 20002, "name": "Jan Jansen", "firstName": "Jan", "lastName": "Jansen",
        "email": "j.jansen@example.com",
        "address": {"street": "Keizersgracht", "houseNumber": "123", "houseNumberAddition": "A", "zipcode": "1015 CJ",
                    "city": "Amsterdam", "country": "NL"}}})  # fmt: skip
    sale = {"employeeNumber": 1, "branchNumber": 1, "type": "invoice", "relationNumber": 1000,
            "lineList": [{"articleNumber": 2000, "quantity": to_amount(Decimal(2), 3),
                          "price": to_amount(Decimal("12.50"), 2)}],
            "paymentList": [{"method": "CASH", "amount": to_amount(Decimal("25.00"), 2)}],
            "totalInclAmount": to_amount(Decimal("25.00"), 2)}  # fmt: skip
    till.call("createOrder", {"order": sale})  # a sale at the till, paid cash
