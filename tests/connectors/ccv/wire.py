"""The CCV wire format as JSON Schema: the subset of CCV's published schemas the connector and
the sandbox use, written here from the field lists and types of CCV's resources
(`vnd.verto.webshop.resource.<name>.v1.json` for answers, the `internal.resource.<name>.<method>`
input schemas for requests), as the MIT client generated from them (`jacobdekeizer/ccvshop-client`,
`src/Models/{Vnd/Verto/Webshop/Resource,Internal/Resource,Internal/Entity}`) states them.
Requests may carry only the properties CCV's input schema names; answers must carry what the
resource schema requires and may carry more."""

from __future__ import annotations

from typing import Any

S = {"type": "string"}
S_ = {"type": ["string", "null"]}
I = {"type": "integer"}  # noqa: E741
I_ = {"type": ["integer", "null"]}
N = {"type": "number"}
N_ = {"type": ["number", "null"]}
B_ = {"type": ["boolean", "null"]}


def closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def open_(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


BILLING = closed({name: S_ for name in ("gender", "initials", "first_name", "last_name", "full_name", "company",
                                         "address_line1", "address_line2", "street", "housenumber_suffix", "zipcode",
                                         "city", "province", "country", "country_code", "telephone", "fax", "mobile",
                                         "comment")} | {"housenumber": I_})  # fmt: skip
DELIVERY = closed({k: v for k, v in BILLING["properties"].items() if k not in ("first_name", "last_name", "fax")})
PERSONAL_INFO = closed({"billingaddress": {"anyOf": [BILLING, {"type": "null"}]},
                        "deliveryaddress": {"anyOf": [DELIVERY, {"type": "null"}]},
                        **{name: S_ for name in ("email", "customertype", "bic", "reference", "reservationnumber",
                                                 "branche", "branch", "website", "btw", "kvk")}})  # fmt: skip
PRODUCT_INPUT = {"productnumber": S_, "active": B_, "eannumber": S_, "mpnnumber": S_, "name": S,
                 "shortdescription": S_, "description": S_, "vatrate": N_, "taxtariff": S_, "price": N, "discount": N,
                 "purchaseprice": N_, "unit": S_, "stockenabled": B_, "stocktype": S_, "stock": N_, "stocklocation": S_,
                 "weight": N_, "brand": S_, "package_id": I, "memo": S_}  # fmt: skip
ORDER_ROW_INPUT = closed({"product_type": S_, "auto_create_deposit_rows": B_, "product_id": I_, "product_name": S_,
                          "product_number": S_, "count": N, "price": N_, "product_purchase_price": N_, "discount": N_,
                          "tax": N_, "unit": S_, "weight": N_, "memo": S_, "package_id": I_,
                          "attribute_combination_id": N_}, ("count",))  # fmt: skip

REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "products"): closed(PRODUCT_INPUT, ("name", "price", "package_id")),
    ("PATCH", "products"): closed({**PRODUCT_INPUT, "name": S_, "price": N_, "discount": N_}),
    ("POST", "attributes"): closed({"name": S, "type": S}, ("name", "type")),
    ("POST", "attributevalues"): closed({"name": S, "default_price": N}, ("name", "default_price")),
    ("POST", "productattributevalues"): closed(
        {"optionvalue": I, "price": N, "position": I_, "stock": N_, "enable": B_}, ("optionvalue", "price")
    ),
    ("PATCH", "attributecombinations"): closed(
        {
            "note": S_,
            "stock": N_,
            "product_number": S_,
            "ean_number": S_,
            "sku_number": S_,
            "delivery_time": I_,
            "delivery_time_type": S_,
            "delivery_default_text": S_,
            "active": B_,
        }
    ),
    ("POST", "producttocategories"): closed(
        {"position": I_, "product_id": I, "category_id": I}, ("product_id", "category_id")
    ),
    ("POST", "users"): closed(
        {"username": S, "password": S, "group_id": I_, "status": B_, "userinfo": PERSONAL_INFO},
        ("username", "password"),
    ),
    ("PATCH", "users"): closed(
        {"username": S_, "password": S_, "group_id": I_, "status": B_, "userinfo": PERSONAL_INFO}
    ),
    ("POST", "orders"): closed(
        {
            "invoicenumber": I_,
            "is_completed": B_,
            "paid": B_,
            "safety_deposit_returned": B_,
            "total_shipping": N_,
            "paymethod_costs": N_,
            "extra_costs": N_,
            "taxes_included": B_,
            "order_row_taxes_included": B_,
            "shipping_taxes_included": B_,
            "is_intra_community_order": B_,
            "currency": S_,
            "is_platform_sale": B_,
            "orderedinlng": S_,
            "status": {"type": ["integer", "null"], "minimum": 1, "maximum": 14},
            "track_and_trace_code": S_,
            "track_and_trace_carrier": S_,
            "deliver_date": S_,
            "deliver_method": S_,
            "reservationnumber": S_,
            "customer": PERSONAL_INFO,
            "user_id": I_,
            "orderrows": {"type": "array", "items": ORDER_ROW_INPUT},
        }
    ),
}

COLLECTION = open_({"href": S, "start": I, "size": I, "first": S_, "previous": S_, "next": S_,
                    "items": {"type": "array"}}, ("items",))  # fmt: skip
NAMED = open_({"id": I, "name": S})
RESOURCES: dict[str, dict[str, Any]] = {
    "products": open_(
        {
            "id": I,
            "productnumber": S,
            "name": S,
            "description": S,
            "price": N,
            "discount": N,
            "vatrate": N,
            "stockenabled": B_,
            "stocktype": S_,
            "stock": N_,
            "createdate": S,
            "modifydate": S,
        },
        ("id", "name", "price", "discount"),
    ),
    "attributecombinations": open_(
        {
            "id": I,
            "product_id": I,
            "stock": N,
            "netto_extra_price": N,
            "product_number": S,
            "ean_number": S,
            "sku_number": S,
            "active": {"type": "boolean"},
            "combination": {
                "type": "array",
                "items": open_(
                    {"attribute": NAMED, "attribute_value": NAMED, "extra_price": N}, ("attribute", "attribute_value")
                ),
            },
        },
        ("id", "product_id", "combination"),
    ),
    "categories": open_({"id": I_, "name": S_, "description": S_, "parentcategory": {"type": ["object", "null"]}}),
    "producttocategories": open_({"id": I_, "product_id": I_, "category_id": I_, "position": I_}),
    "users": open_(
        {"id": I, "username": S, "group_id": I_, "status": {"type": "boolean"}, "userinfo": {"type": "object"}},
        ("id", "username"),
    ),
    "orders": open_(
        {
            "id": I,
            "ordernumber": I_,
            "ordernumber_full": S_,
            "create_date": S,
            "status": {"type": ["integer", "null"], "minimum": 1, "maximum": 14},
            "is_completed": B_,
            "paid": {"type": "boolean"},
            "currency": S,
            "total_price": N,
            "reservationnumber": S_,
            "order_row_taxes_included": {"type": "boolean"},
            "customer": {"type": ["object", "null"]},
        },
        ("id", "create_date", "paid"),
    ),
    "orderrows": open_(
        {
            "id": I_,
            "order_id": I_,
            "product_id": I_,
            "product_name": S_,
            "product_number": S_,
            "sub_sku_number": S_,
            "sub_ean_number": S_,
            "count": N_,
            "price": N_,
            "discount": N_,
            "tax": N_,
            "total_price": N_,
        }
    ),
    "attributes": open_({"id": I, "name": S, "type": S}, ("id", "name")),
    "attributevalues": open_({"id": I, "name": S, "default_price": N}, ("id", "name")),
    "productattributevalues": {"type": "object"},
}
