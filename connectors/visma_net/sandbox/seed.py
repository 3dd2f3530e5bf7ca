"""A small company to start the sandbox with: two branches and warehouses, order types, item classes
and a sales category tree, a shirt in three sizes (items grouped by the PARENT attribute, with
size and colour attributes, a feature and an image), a mug, stock with reservations, prices per
customer price class, and the default debtor; `seed_shipped_order` adds a web order shipped in two parts."""

from __future__ import annotations

from typing import Any

from connectors.visma_net.sandbox.store import Company, now

VARIANT_ATTRIBUTE = "PARENT"
IMAGE = b"\x89PNG\r\n\x1a\n" + b"shirt" * 20


def _item(number: str, description: str, price: float, item_class: str, **attributes: str) -> dict[str, Any]:
    return {"inventoryId": 0, "inventoryNumber": number, "status": "Active", "type": "FinishedGoodItem",
            "description": description, "body": "Soft organic cotton.", "defaultPrice": price, "stockItem": True,
            "baseUnit": "PCS", "itemClass": {"id": item_class, "description": item_class.title()},
            "attributes": [{"id": k, "value": v, "description": v} for k, v in attributes.items()],
            "salesCategories": [{"categoryId": 11, "description": "Shirts"}] if item_class == "shirts" else [],
            "lastModifiedDateTime": now(), "timestamp": "AAAAAAAAB9E="}  # fmt: skip


def seed(company: Company) -> None:
    company.branches.update({
        "1": {"branchId": 1, "number": "1", "name": "Oslo", "isMainBranch": True, "isActive": True},
        "2": {"branchId": 2, "number": "2", "name": "Bergen", "isMainBranch": False, "isActive": True},
    })  # fmt: skip
    company.warehouses.update({
        "MAIN": {"warehouseID": "MAIN", "branch": {"number": "1", "name": "Oslo"}, "active": True,
                 "description": "Main warehouse"},
        "SHOP": {"warehouseID": "SHOP", "branch": {"number": "2", "name": "Bergen"}, "active": True,
                 "description": "Bergen shop"},
    })  # fmt: skip
    company.order_types.update({
        "SO": {"orderType": "SO", "active": True, "description": "Sales order", "behavior": "SalesOrder",
               "defaultOperation": "Issue", "customerDocumentType": "Invoice"},
        "IN": {"orderType": "IN", "active": True, "description": "Invoice", "behavior": "Invoice",
               "defaultOperation": "Issue", "customerDocumentType": "Invoice"},
        "CS": {"orderType": "CS", "active": True, "description": "Cash sale", "behavior": "Invoice",
               "defaultOperation": "Issue", "customerDocumentType": "CashSale"},
    })  # fmt: skip
    company.item_classes.update({
        "shirts": {"id": "shirts", "description": "Shirts", "type": "FinishedGoodItem"},
        "mugs": {"id": "mugs", "description": "Mugs", "type": "FinishedGoodItem"},
    })  # fmt: skip
    company.sales_categories.append({"categoryID": 10, "description": "Clothing", "sortOrder": 1, "subCategories": [
        {"categoryID": 11, "description": "Shirts", "parentID": 10, "sortOrder": 1}]})  # fmt: skip
    for size, price in (("S", 29.95), ("M", 29.95), ("L", 31.95)):
        number = f"SHIRT-{size}"
        company.items[number] = _item(number, f"Organic shirt - {size}", price, "shirts",
                                      PARENT="SHIRT", SIZE=size, COLOUR="Blue", ORIGIN="PT")  # fmt: skip
    company.items["MUG"] = _item("MUG", "Stoneware mug", 12.5, "mugs", ORIGIN="NO")
    for index, item in enumerate(company.items.values(), 1):
        item["inventoryId"] = index
    company.attach("SHIRT-M", "shirt.png", IMAGE)
    stock = {("SHIRT-S", "MAIN"): (12, 2, 0), ("SHIRT-M", "MAIN"): (8, 3, 2), ("SHIRT-L", "MAIN"): (5, 0, 0),
             ("MUG", "MAIN"): (40, 4, 0), ("SHIRT-S", "SHOP"): (3, 0, 0), ("MUG", "SHOP"): (6, 0, 1)}  # fmt: skip
    for key, (on_hand, booked, allocated) in stock.items():
        company.stock[key] = {"onHand": float(on_hand), "soBooked": float(booked), "soAllocated": float(allocated)}
    rows = [("SHIRT-M", "RETAIL", 29.95), ("SHIRT-M", "B2B", 23.95), ("MUG", "B2B", 9.95)]
    for index, (sku, price_class, price) in enumerate(rows, 1):
        company.prices.append({"recordId": index, "priceType": "CustomerPriceClass", "priceCode": price_class,
                               "inventoryId": sku, "uoM": "PCS", "promotion": False, "breakQty": 0.0, "price": price,
                               "currency": "EUR", "effectiveDate": "2026-01-01T00:00:00",
                               "lastModifiedDateTime": now()})  # fmt: skip
    company.prices.append({"recordId": 9, "priceType": "Customer", "priceCode": "10001", "inventoryId": "MUG",
                           "price": 9.0, "currency": "EUR", "lastModifiedDateTime": now()})  # fmt: skip
    company.save_customer({"number": "1000", "name": "Webshop customers",
                           "mainContact": {"name": "Webshop customers", "email": "webshop@example.com"}})  # fmt: skip


def seed_shipped_order(company: Company) -> None:
    """A web order shipped in two parts, each with its own parcel."""
    lines = [{"inventoryId": "SHIRT-S", "quantity": 2, "unitPrice": 29.95},
             {"inventoryId": "MUG", "quantity": 1, "unitPrice": 12.5}]  # fmt: skip
    kind, order = company.create_order(
        {
            "type": "SO",
            "branchId": "1",
            "currencyId": "EUR",
            "customer": {"id": "1000", "order": "#900"},
            "orderLines": lines,
        }
    )
    company.ship("SH000001", kind, order, {"SHIRT-S": 1, "MUG": 1}, "TRK-900-A", "POSTNORD", "MAIN")
    company.ship("SH000002", kind, order, {"SHIRT-S": 1}, "TRK-900-B", "BRING", "MAIN")
