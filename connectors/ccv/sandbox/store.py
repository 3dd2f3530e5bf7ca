"""The CCV sandbox's data and the rules the platform applies (see `connectors.ccv.protocol`):
products with attribute combinations made from the values a product is given, stock on the
product or on its combinations, categories and product links, users in user groups, orders with
rows and status numbers (rows editable only before completion), invoices and webhooks.

Each handler takes the request's path ids, query and JSON body and returns what to answer, or
raises `Refused` with CCV's error code."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.ccv.protocol import RESERVED, STATUSES, STOCK_ON_COMBINATIONS, WEBHOOK_EVENTS

Data = dict[str, Any]


class Refused(Exception):
    """An error answer: HTTP `status` with CCV's `code` and developer message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _bad(message: str) -> Refused:
    return Refused(400, "400.10", message)


def _missing(what: str, ident: Any) -> Refused:
    return Refused(404, "404.10", f"{what} {ident} does not exist")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Store:
    products: dict[int, Data] = field(default_factory=dict)
    attributes: dict[int, Data] = field(default_factory=dict)
    values: dict[int, Data] = field(default_factory=dict)  # attribute values, with their attribute's id
    product_values: dict[int, list[Data]] = field(default_factory=dict)  # product id → its attribute values
    combinations: dict[int, Data] = field(default_factory=dict)
    categories: dict[int, Data] = field(default_factory=dict)
    links: dict[int, Data] = field(default_factory=dict)  # product-to-category links
    usergroups: dict[int, Data] = field(default_factory=dict)
    users: dict[int, Data] = field(default_factory=dict)
    orders: dict[int, Data] = field(default_factory=dict)
    rows: dict[int, Data] = field(default_factory=dict)
    invoices: dict[int, Data] = field(default_factory=dict)
    webhooks: dict[int, Data] = field(default_factory=dict)
    packages: tuple[int, ...] = (1,)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    lock: threading.RLock = field(default_factory=threading.RLock)
    webhook_key: str = "ccv-sandbox-webhook-key"  # the key the sandbox gives every webhook it makes
    on_event: Callable[[str, Data], None] = lambda event, resource: None  # each change, for the webhooks

    def _id(self) -> int:
        return next(self.ids)

    # ---- products and variants ---------------------------------------------------------------

    def product_list(self, query: Mapping[str, str]) -> list[Data]:
        items = list(self.products.values())
        if "productnumber" in query:
            items = [p for p in items if p["productnumber"] == query["productnumber"]]
        if query.get("orderby", "").startswith("modifydate"):
            items.sort(key=lambda p: (p["modifydate"], p["id"]), reverse=query["orderby"].endswith("_desc"))
        return items

    def create_product(self, body: Data) -> Data:
        if not str(body.get("name") or "").strip():
            raise _bad("property 'name' is required and may not be empty")
        if "price" not in body or "package_id" not in body:
            raise _bad("properties 'price' and 'package_id' are required")
        if body.get("vatrate") is None and body.get("taxtariff") is None:
            raise _bad("either 'vatrate' or 'taxtariff' must be set")
        if body["package_id"] not in self.packages:
            raise _bad(f"package {body['package_id']} does not exist")
        if body.get("productnumber") and self.product_list({"productnumber": body["productnumber"]}):
            raise Refused(500, "500.40", f"a product with productnumber {body['productnumber']} exists")
        ident = self._id()
        product = {"id": ident, "productnumber": "", "eannumber": "", "name": "", "description": "", "price": 0.0,
                   "discount": 0.0, "vatrate": 21.0, "stockenabled": True, "stocktype": "product", "stock": 0.0,
                   "createdate": now(), **body, "modifydate": now()}  # fmt: skip
        self.products[ident] = product
        self.on_event("products.created", product)
        return product

    def patch_product(self, ident: int, body: Data) -> None:
        product = self._product(ident)
        product.update(body, modifydate=now())
        self.on_event("products.updated", product)

    def _product(self, ident: int) -> Data:
        if ident not in self.products:
            raise _missing("product", ident)
        return self.products[ident]

    def product_combinations(self, ident: int) -> list[Data]:
        self._product(ident)
        return [c for c in self.combinations.values() if c["product_id"] == ident]

    def add_product_value(self, ident: int, body: Data) -> Data:
        """Give a product an attribute value; the platform makes its attribute combinations again
        (existing ones keep their ids, SKUs and stock)."""
        product = self._product(ident)
        value = self.values.get(int(body.get("optionvalue") or 0))
        if value is None:
            raise _bad(f"attribute value {body.get('optionvalue')} does not exist")
        given = self.product_values.setdefault(ident, [])
        if any(v["optionvalue"] == value["id"] for v in given):
            raise Refused(500, "500.40", f"product {ident} has attribute value {value['id']} already")
        entry = {"id": self._id(), "optionvalue": value["id"], "price": float(body.get("price") or 0)}
        given.append(entry)
        product.update(stocktype=STOCK_ON_COMBINATIONS, modifydate=now())
        self._combine(ident, float(body.get("stock") or 0))
        return entry

    def _combine(self, ident: int, stock: float) -> None:
        by_attribute: dict[int, list[Data]] = {}
        for entry in self.product_values.get(ident, []):
            value = self.values[entry["optionvalue"]]
            by_attribute.setdefault(value["attribute_id"], []).append({**value, "extra": entry["price"]})
        existing = {frozenset(p["attribute_value"]["id"] for p in c["combination"]): c
                    for c in self.product_combinations(ident)}  # fmt: skip
        wanted = set()
        for choice in itertools.product(*by_attribute.values()):
            ids = frozenset(v["id"] for v in choice)
            wanted.add(ids)
            if ids in existing:
                continue
            parts = [{"attribute": {"id": v["attribute_id"], "name": self.attributes[v["attribute_id"]]["name"]},
                      "attribute_value": {"id": v["id"], "name": v["name"]}, "extra_price": v["extra"]}
                     for v in choice]  # fmt: skip
            cid = self._id()
            self.combinations[cid] = {"id": cid, "product_id": ident, "note": "", "stock": stock, "active": True,
                                      "netto_extra_price": sum(v["extra"] for v in choice), "product_number": "",
                                      "ean_number": "", "sku_number": "", "combination": parts}  # fmt: skip
        for ids, combination in existing.items():  # a combination of fewer attributes than there are now is gone
            if ids not in wanted:
                del self.combinations[combination["id"]]

    def patch_combination(self, ident: int, body: Data) -> None:
        if ident not in self.combinations:
            raise _missing("attribute combination", ident)
        allowed = {"note", "stock", "product_number", "ean_number", "sku_number", "delivery_time",
                   "delivery_time_type", "delivery_default_text", "active"}  # fmt: skip
        if unknown := sorted(set(body) - allowed):
            raise _bad(f"properties {unknown} cannot be patched")
        combination = self.combinations[ident]
        combination.update(body)
        self.products[combination["product_id"]]["modifydate"] = now()

    def create_attribute(self, body: Data) -> Data:
        if not body.get("name") or not body.get("type"):
            raise _bad("properties 'name' and 'type' are required")
        ident = self._id()
        self.attributes[ident] = {"id": ident, "name": body["name"], "type": body["type"]}
        return self.attributes[ident]

    def attribute_values(self, attribute: int) -> list[Data]:
        if attribute not in self.attributes:
            raise _missing("attribute", attribute)
        return [v for v in self.values.values() if v["attribute_id"] == attribute]

    def create_attribute_value(self, attribute: int, body: Data) -> Data:
        self.attribute_values(attribute)
        if not body.get("name") or "default_price" not in body:
            raise _bad("properties 'name' and 'default_price' are required")
        ident = self._id()
        self.values[ident] = {"id": ident, "attribute_id": attribute, "name": body["name"],
                              "default_price": body["default_price"]}  # fmt: skip
        return self.values[ident]

    # ---- categories --------------------------------------------------------------------------

    def create_category(self, body: Data) -> Data:
        if not body.get("name"):
            raise _bad("property 'name' is required")
        parent = body.get("parentcategory_id")
        if parent is not None and parent not in self.categories:
            raise _bad(f"category {parent} does not exist")
        ident = self._id()
        self.categories[ident] = {"id": ident, "name": body["name"], "description": body.get("description") or "",
                                  "parentcategory": {"id": parent} if parent else None}  # fmt: skip
        return self.categories[ident]

    def product_links(self, ident: int) -> list[Data]:
        self._product(ident)
        return [link for link in self.links.values() if link["product_id"] == ident]

    def create_link(self, body: Data) -> Data:
        product, category = int(body.get("product_id") or 0), int(body.get("category_id") or 0)
        self._product(product)
        if category not in self.categories:
            raise _bad(f"category {category} does not exist")
        if any(link["category_id"] == category for link in self.product_links(product)):
            raise Refused(500, "500.40", f"product {product} is in category {category} already")
        ident = self._id()
        self.links[ident] = {"id": ident, "product_id": product, "category_id": category, "position": 0}
        return self.links[ident]

    # ---- users ---------------------------------------------------------------------------------

    def create_user(self, body: Data) -> Data:
        if not body.get("username") or not body.get("password"):
            raise _bad("properties 'username' and 'password' are required")
        if any(u["username"] == body["username"] for u in self.users.values()):
            raise Refused(500, "500.40", f"username {body['username']} is taken")
        group = body.get("group_id") or next((g["id"] for g in self.usergroups.values() if g["default"]), None)
        if group is not None and group not in self.usergroups:
            raise _bad(f"user group {group} does not exist")
        ident = self._id()
        user = {"id": ident, "username": body["username"], "group_id": group, "status": True,
                "approval_status": "accepted", "userinfo": body.get("userinfo") or {}}  # fmt: skip
        self.users[ident] = user
        return user

    def patch_user(self, ident: int, body: Data) -> None:
        if ident not in self.users:
            raise _missing("user", ident)
        user = self.users[ident]
        if "userinfo" in body:
            user["userinfo"] = {**user["userinfo"], **body["userinfo"]}
        user.update({k: v for k, v in body.items() if k in ("group_id", "status")})

    def group_users(self, group: int) -> list[Data]:
        if group not in self.usergroups:
            raise _missing("user group", group)
        return [u for u in self.users.values() if u["group_id"] == group]

    # ---- orders --------------------------------------------------------------------------------

    def order_list(self, query: Mapping[str, str]) -> list[Data]:
        completed = query.get("is_completed", "true").lower() != "false"
        items = [o for o in self.orders.values() if o["is_completed"] == completed]
        if "status" in query:
            items = [o for o in items if str(o["status"]) == query["status"]]
        if "min_create_date" in query:
            items = [o for o in items if o["create_date"] >= query["min_create_date"]]
        if "max_create_date" in query:
            items = [o for o in items if o["create_date"] <= query["max_create_date"]]
        return items

    def create_order(self, body: Data) -> Data:
        status = body.get("status", 1)
        if status not in STATUSES:
            raise _bad(f"status {status} is not one of 1-14")
        user = body.get("user_id")
        if user is not None and user not in self.users:
            raise _bad(f"user {user} does not exist")
        rows = [self._row(row) for row in body.get("orderrows") or []]
        if not rows:
            raise _bad("an order needs order rows")
        ident = self._id()
        info = body.get("customer") or (self.users[user]["userinfo"] if user is not None else {})
        completed = body.get("is_completed", True) is not False
        number = len([o for o in self.orders.values() if o["is_completed"]]) + 1 if completed else None
        order = {"id": ident, "ordernumber_prefix": "SP" if completed else None, "ordernumber": number,
                 "ordernumber_full": f"SP-{number}" if completed else None, "create_date": now(),
                 "status": status, "is_completed": completed, "paid": bool(body.get("paid")),
                 "currency": body.get("currency") or "EUR", "paymethod": body.get("paymethod") or "",
                 "order_row_taxes_included": body.get("order_row_taxes_included", True),
                 "is_intra_community_order": bool(body.get("is_intra_community_order")),
                 "is_platform_sale": bool(body.get("is_platform_sale")),
                 "reservationnumber": body.get("reservationnumber"), "track_and_trace_code": "",
                 "track_and_trace_carrier": None, "customer": info, "user": {"id": user} if user else None}  # fmt: skip
        self.orders[ident] = order
        for row in rows:
            row.update(id=self._id(), order_id=ident)
            self.rows[row["id"]] = row
            if status != RESERVED and completed:
                self._take_stock(row)
        self._total(order)
        self.on_event("orders.created", order)
        return order

    def _row(self, row: Data) -> Data:
        product = self.products.get(int(row.get("product_id") or 0))
        if product is None:
            raise _bad(f"product {row.get('product_id')} does not exist")
        combination = None
        if row.get("attribute_combination_id") is not None:
            combination = self.combinations.get(int(row["attribute_combination_id"]))
            if combination is None or combination["product_id"] != product["id"]:
                raise _bad(f"attribute combination {row['attribute_combination_id']} is not one of the product's")
        if float(row.get("count") or 0) <= 0:
            raise _bad("an order row needs a count above 0")
        listed = product["price"] + (combination or {}).get("netto_extra_price", 0)
        price = float(row["price"] if row.get("price") is not None else listed)
        discount = float(row["discount"] if row.get("discount") is not None else product["discount"])
        return {"product_type": "product", "product_id": product["id"], "product_name": product["name"],
                "product_number": product["productnumber"],
                "sub_sku_number": (combination or {}).get("sku_number") or None,
                "sub_ean_number": (combination or {}).get("ean_number") or None,
                "attribute_combination_id": (combination or {}).get("id"),
                "count": float(row["count"]), "price": price, "discount": discount,
                "selling_price": price - discount,
                "tax": float(row["tax"] if row.get("tax") is not None else product["vatrate"]),
                "total_price": round((price - discount) * float(row["count"]), 2)}  # fmt: skip

    def _take_stock(self, row: Data) -> None:
        product = self.products[row["product_id"]]
        if not product.get("stockenabled"):
            return
        holder = self.combinations.get(row.get("attribute_combination_id") or 0) or product
        holder["stock"] = float(holder.get("stock") or 0) - row["count"]

    def _total(self, order: Data) -> None:
        order["total_price"] = round(sum(r["total_price"] for r in self.order_rows(order["id"])), 2)

    def order(self, ident: int) -> Data:
        if ident not in self.orders:
            raise _missing("order", ident)
        return self.orders[ident]

    def patch_order(self, ident: int, body: Data) -> None:
        order = self.order(ident)
        allowed = {"status", "paid", "invoicenumber", "note", "mail", "track_and_trace_code",
                   "track_and_trace_carrier", "deliver_date", "deliver_method", "reservationnumber",
                   "order_row_taxes_included", "currency", "customer"}  # fmt: skip
        if unknown := sorted(set(body) - allowed):
            raise _bad(f"properties {unknown} cannot be patched")
        if "status" in body and body["status"] not in STATUSES:
            raise _bad(f"status {body['status']} is not one of 1-14")
        order.update({k: v for k, v in body.items() if k not in ("mail", "note")})
        self.on_event("orders.updated", order)

    def order_rows(self, ident: int) -> list[Data]:
        self.order(ident)
        return [r for r in self.rows.values() if r["order_id"] == ident]

    def replace_rows(self, ident: int, rows: list[Data]) -> None:
        order = self.order(ident)
        if order["is_completed"]:
            raise Refused(405, "405.10", f"order {ident} is completed; its rows cannot be changed")
        made = [self._row(row) for row in rows]
        for row in self.order_rows(ident):
            del self.rows[row["id"]]
        for row in made:
            row.update(id=self._id(), order_id=ident)
            self.rows[row["id"]] = row
        self._total(order)

    def patch_row(self, ident: int, body: Data) -> None:
        row = self.rows.get(ident)
        if row is None:
            raise _missing("order row", ident)
        if self.orders[row["order_id"]]["is_completed"]:
            raise Refused(405, "405.10", f"order {row['order_id']} is completed; its rows cannot be changed")
        row.update({k: v for k, v in body.items() if k in ("count", "price", "discount", "tax", "memo")})
        self._total(self.orders[row["order_id"]])

    def create_invoice(self, ident: int, body: Data) -> Data:
        order = self.order(ident)
        invoice_id = self._id()
        number = len(self.invoices) + 1
        self.invoices[invoice_id] = {"id": invoice_id, "invoicenumber": number, "invoicenumber_full": f"F-{number}",
                                     "ordernumber_full": order["ordernumber_full"], "create_date": now(),
                                     "status": "paid" if order["paid"] else "unpaid", "type": "debit",
                                     "total_price_inc_tax": order["total_price"], "currency": order["currency"],
                                     "order": {"id": ident}}  # fmt: skip
        return self.invoices[invoice_id]

    # ---- webhooks ------------------------------------------------------------------------------

    def create_webhook(self, body: Data) -> Data:
        if not body.get("event") or not body.get("address"):
            raise _bad("properties 'event' and 'address' are required")
        if unknown := sorted(set(body) - {"event", "address", "is_active"}):
            raise _bad(f"properties {unknown} cannot be posted")
        if body["event"] not in WEBHOOK_EVENTS:
            raise _bad(f"event {body['event']} is not one of {', '.join(WEBHOOK_EVENTS)}")
        ident = self._id()
        active = body.get("is_active", True) is not False
        self.webhooks[ident] = {"id": ident, "createdate": now(), "event": body["event"], "address": body["address"],
                                "key": self.webhook_key, "is_active": active}  # fmt: skip
        return self.webhooks[ident]

    def patch_webhook(self, ident: int, body: Data) -> None:
        if ident not in self.webhooks:
            raise _missing("webhook", ident)
        if unknown := sorted(set(body) - {"event", "address", "is_active"}):
            raise _bad(f"properties {unknown} cannot be patched")
        self.webhooks[ident].update(body)

    def delete_webhook(self, ident: int) -> None:
        if self.webhooks.pop(ident, None) is None:
            raise _missing("webhook", ident)
