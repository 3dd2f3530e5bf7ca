"""A small till to start the sandbox with: article groups, a shirt in three sizes, a mug, stock
with reservations at two branches, a company with its contact and a person, the default debtor,
and a sale made at the till. Written through the till's own operations, in the API's shapes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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
ORIGIN = {"customField": [{"fieldName": "country_of_origin", "dataType": "DATA-TYPE-STRING", "strValue": "PT"}]}


def _article(number: int, description: str, cents: int, barcode: str, size: str | None = None) -> dict[str, Any]:
    return {"articleNumber": number, "description": description, "size": size, "barcode": barcode,
            "brandName": "Tillwear", "turnoverGroup": 1, "vatPercentage": 21, "priceIncl": cents,
            "customFieldList": ORIGIN["customField"]}  # fmt: skip


def seed(till: Till) -> None:
    till.call("saveArticleGroups", {"request": {"articleGroupList": [
        {"groupNumber": 10, "name": "Shirts", "text": "", "subGroupList": []},
        {"groupNumber": 20, "name": "Mugs", "text": "", "subGroupList": []}]}})  # fmt: skip
    sizes = [_article(1001, "Organic shirt S", 2995, "8712345000011", "S"),
             _article(1002, "Organic shirt M", 2995, "8712345000028", "M"),
             _article(1003, "Organic shirt L", 3195, "8712345000035", "L")]  # fmt: skip
    till.call("createProduct", {"product": {"productNumber": 1000, "description": "Organic shirt",
                                            "extraText": "Soft organic cotton.", "articleList": sizes,
                                            "groupNumbers": [10]}})  # fmt: skip
    mug = {**_article(2000, "Stoneware mug", 1250, "8712345000042"), "brandName": None, "customFieldList": []}
    till.call("createProduct", {"product": {"productNumber": 2000, "description": "Stoneware mug",
                                            "articleList": [mug], "groupNumbers": [20]}})  # fmt: skip
    for (branch, article), (amount, reserved) in STOCK.items():
        till.stock[(branch, article)] = {"amount": Decimal(amount), "reserved": Decimal(reserved)}
    till.call("createRelation", {"relation": {"relationNumber": 1000, "name": "Webshop customers"}})
    till.call("createRelation", {"relation": {
        "relationNumber": 20001, "name": "Bakkerij De Korf", "address": "Prinsengracht 263", "zipcode": "1016 GV",
        "city": "Amsterdam", "country": "NL", "contact": "Sanne de Vries", "telephone": "+31201234567",
        "email": "inkoop@bakkerijdekorf.nl", "companyName": "Bakkerij De Korf",
        "contactList": [{"name": "Sanne de Vries"}]}})  # fmt: skip
    till.call("createRelation", {"relation": {
        "relationNumber": 20002, "name": "Jan Jansen", "address": "Keizersgracht 123A", "zipcode": "1015 CJ",
        "city": "Amsterdam", "country": "NL", "email": "j.jansen@example.com"}})  # fmt: skip
    sale = {"orderId": "", "employeeNumber": 1, "entryBranchNumber": 1, "financialBranchNumber": 1,
            "relationNumber": 1000, "totalInclAmount": 2500, "vatMethod": "VAT-METHOD-INCLUSIVE",
            "paymentMethod": "CASH", "fullyPaid": True,
            "lineList": [{"articleNumber": 2000, "data": {"quantity": 2, "decimalPlaces": 0, "price": 1250}}],
            "paymentList": [{"method": "CASH", "amount": 2500}]}  # fmt: skip
    till.sale(sale)  # a sale at the till, paid cash
