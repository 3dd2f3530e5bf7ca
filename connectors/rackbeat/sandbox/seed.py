"""What the Rackbeat sandbox starts with: two warehouses, and with the sample catalogue, product
groups, items with stock in both warehouses, a customer and a booked order that reserves stock."""

from __future__ import annotations

from decimal import Decimal

from connectors.rackbeat.sandbox.store import Account

LOCATIONS = {"1": ("Main warehouse", True), "2": ("Store Copenhagen", False)}
# item → (name, group, price, barcode, stock at location 1, at location 2)
ITEMS = {
    "RB-1001": ("Linen towel", "50", "89.00", "5712345100014", 20, 5),
    "RB-1002": ("Oak cutting board", "60", "249.00", "5712345100021", 8, 0),
    "RB-2001": ("Ceramic bowl", "60", "119.50", "5712345200011", 0, 12),
}


def seed(account: Account, catalogue: bool) -> None:
    for number, (name, default) in LOCATIONS.items():
        account.locations[number] = {
            "id": int(number),
            "number": number,
            "name": name,
            "is_default": default,
            "parent_id": None,
        }
    if not catalogue:
        return
    account.save_group({"number": "50", "name": "Textiles"})
    account.save_group({"number": "60", "name": "Kitchen"})
    for number, (name, group, price, barcode, first, second) in ITEMS.items():
        account.save_product(
            {
                "number": number,
                "name": name,
                "group_id": account.groups[group]["id"],
                "sales_price": price,
                "barcode": barcode,
            }
        )
        account.stock[(number, "1")] = Decimal(first)
        account.stock[(number, "2")] = Decimal(second)
    customer = account.save_customer(
        {
            "name": "Nordisk Café ApS",
            "contact_email": "indkob@nordiskcafe.example",
            "company_vat": "DK12345678",
            "address_city": "Aarhus",
        }
    )
    towel = account.products["RB-1001"]["id"]
    account.create_order(
        {"customer_id": customer["id"], "your_reference": "PO-77", "lines": [{"item_id": towel, "quantity": 3}]},
        booked=True,
    )
