"""The write convention's encoder and the read decoder, as pure functions, held to Visma's OpenAPI
description: what `wrap` makes validates against the *UpdateDto schemas, what is not wrapped is
refused by them, and the decoders read bodies that validate against the read schemas."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.visma_net import convert, openapi
from connectors.visma_net.settings import VismaNetSettings
from connectors.visma_net.values import unwrap, wrap
from engine.records import Address, Contact, Customer

KORF = Customer(email="inkoop@dekorf.example", kind="company", company_name="De Korf AS", phone="+4791234567",
                contact=Contact(first_name="Sanne", last_name="de Vries", email="sanne@dekorf.example"),
                billing_address=Address(street="Karl Johans gate", house_number="1", postal_code="0154", city="Oslo",
                                        country="NO"))  # fmt: skip


def test_a_customer_is_wrapped_scalar_by_scalar_and_nested_objects_twice() -> None:
    body = wrap(convert.customer_to(KORF))
    assert openapi.ERP.problems(openapi.ERP.schema("CustomerUpdateDto"), body) == []
    assert body["name"] == {"value": "De Korf AS"}
    assert body["mainContact"]["value"]["email"] == {"value": "inkoop@dekorf.example"}
    assert body["mainAddress"]["value"]["countryId"] == {"value": "NO"}  # the write name, not country.id
    assert "vatRegistrationId" not in body  # None is left out: the ERP leaves the field alone


def test_a_contact_validates_as_a_contact_update() -> None:
    body = wrap(convert.contact_to(KORF, "10001"))
    assert openapi.ERP.problems(openapi.ERP.schema("ContactUpdateDto"), body) == []
    assert body["businessAccount"] == {"value": "10001"}


def test_line_arrays_are_not_wrapped_but_their_fields_are_and_operation_stays_plain() -> None:
    body = wrap({"shipVia": "POSTNORD", "shipmentPackageLines": [
        {"operation": "Insert", "boxId": "PARCEL", "trackingNumber": "TRK-1"}]})  # fmt: skip
    assert openapi.ERP.problems(openapi.ERP.schema("ShipmentUpdateDto"), body) == []
    assert body["shipmentPackageLines"] == [
        {"boxId": {"value": "PARCEL"}, "trackingNumber": {"value": "TRK-1"}, "operation": "Insert"}
    ]
    assert unwrap(body) == {"shipVia": "POSTNORD", "shipmentPackageLines": [
        {"boxId": "PARCEL", "trackingNumber": "TRK-1", "operation": "Insert"}]}  # fmt: skip


def test_plain_flags_stay_plain() -> None:
    body = wrap({"name": "A", "overrideWithClassValues": True})
    assert body["overrideWithClassValues"] is True
    assert openapi.ERP.problems(openapi.ERP.schema("CustomerUpdateDto"), body) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"name": "De Korf AS"}, "name: 'De Korf AS' is not of type 'object'"),
        ({"mainContact": {"value": {"email": "a@b.no"}}}, "mainContact.value.email: 'a@b.no' is not of type 'object'"),
        ({"customerClass": {"value": "B2B"}}, "'customerClass' was unexpected"),  # a read name
    ],
)
def test_the_description_refuses_what_is_not_wrapped_or_not_a_write_name(body: dict[str, object], problem: str) -> None:
    assert any(problem in p for p in openapi.ERP.problems(openapi.ERP.schema("CustomerUpdateDto"), body))


def test_action_bodies_are_plain() -> None:
    action = {"orderType": "SO", "shipmentDate": "2026-05-01T00:00:00", "shipmentWarehouse": "MAIN"}
    assert openapi.ERP.problems(openapi.ERP.schema("CreateShipmentActionDto"), action) == []
    assert openapi.ERP.problems(openapi.ERP.schema("CreateShipmentActionDto"), wrap(action)) != []


def test_unwrap_names_a_field_that_is_not_wrapped() -> None:
    with pytest.raises(ValueError, match="name"):
        unwrap({"name": "plain"})


CUSTOMER_READ = {
    "internalId": 7, "number": "10001", "name": "De Korf AS", "status": "Active", "vatRegistrationId": "NO1",
    "mainContact": {"name": "De Korf AS", "email": "inkoop@dekorf.example", "phone1": "+4791234567"},
    "mainAddress": {"addressLine1": "Karl Johans gate 1", "postalCode": "0154", "city": "Oslo",
                    "country": {"id": "NO", "name": "Norway"}},
    "priceClass": {"id": "B2B", "description": "Business"},
    "metadata": {"totalCount": 1, "maxPageSize": 1000},
}  # fmt: skip
CONTACT_READ = {"contactId": 101, "firstName": "Sanne", "lastName": "de Vries", "email": "sanne@dekorf.example",
                "businessAccount": "10001", "active": True}  # fmt: skip


def test_a_customer_read_with_a_contact_is_a_company() -> None:
    assert openapi.ERP.problems(openapi.ERP.list_of("CustomerDto"), [CUSTOMER_READ]) == []
    assert openapi.ERP.problems(openapi.ERP.list_of("ContactDto"), [CONTACT_READ]) == []
    customer = convert.customer_from(CUSTOMER_READ, [CONTACT_READ])
    assert customer is not None
    assert (customer.kind, customer.company_name, customer.number) == ("company", "De Korf AS", "10001")
    assert customer.contact == Contact(first_name="Sanne", last_name="de Vries", email="sanne@dekorf.example")
    assert customer.billing_address == Address(street="Karl Johans gate", house_number="1", postal_code="0154",
                                               city="Oslo", country="NO")  # fmt: skip
    person = convert.customer_from({**CUSTOMER_READ, "name": "Ines Bakker"})
    assert person is not None and (person.kind, person.first_name, person.last_name) == ("person", "Ines", "Bakker")


SUMMARY_READ = {"inventory": {"number": "MUG", "description": "Mug"}, "warehouse": {"id": "MAIN"},
                "onHand": 40.0, "soBooked": 4.0, "soAllocated": 1.0, "available": 39.0}  # fmt: skip


def test_stock_is_on_hand_less_what_sales_orders_booked_and_allocated() -> None:
    assert openapi.ERP.problems(openapi.ERP.list_of("InventorySummaryDto"), [SUMMARY_READ]) == []
    level = convert.stock_from(SUMMARY_READ, "warehouse")
    assert (level.on_hand, level.reserved, level.available) == (Decimal(40), Decimal(5), Decimal(35))


def test_items_grouped_by_the_variant_attribute_are_one_product_with_options_and_features() -> None:
    items = [
        {"inventoryNumber": f"SHIRT-{size}", "description": f"Shirt - {size}", "status": "Active",
         "defaultPrice": 299.0, "itemClass": {"id": "shirts"}, "salesCategories": [{"categoryId": 11}],
         "attributes": [{"id": "PARENT", "value": "SHIRT"}, {"id": "SIZE", "value": size},
                        {"id": "ORIGIN", "value": "PT"}],
         "attachments": [{"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "name": "shirt.png", "revision": 2}]}
        for size in ("M", "S")
    ]  # fmt: skip
    assert openapi.ERP.problems(openapi.ERP.list_of("InventoryDto"), items) == []
    settings = VismaNetSettings(tenant="t", variant_attribute="PARENT", options={"SIZE": "size"},
                                features={"ORIGIN": "country_of_origin"}, currency="NOK")  # fmt: skip
    [product] = convert.products_from(items, settings)
    assert (product.sku, product.title, product.options) == ("SHIRT", "Shirt", ("size",))
    assert [v.sku for v in product.variants] == ["SHIRT-M", "SHIRT-S"]
    assert product.features == {"country_of_origin": "PT"}
    assert product.categories == ("class-shirts", "sales-11")
    assert product.images[0].endswith("/v1/attachment/3fa85f64-5717-4562-b3fc-2c963f66afa6?revision=2")


def test_a_split_shipment_is_one_record_per_order_with_exactly_its_lines_and_its_carriers_name() -> None:
    shipment = {
        "shipmentNumber": "SH1", "status": "Confirmed", "shipVia": {"id": "POSTNORD"},
        "shipmentDetailLines": [
            {"lineNumber": 1, "orderType": "SO", "orderNbr": "000001", "inventoryNumber": "MUG", "shippedQty": 1.0},
            {"lineNumber": 2, "orderType": "SO", "orderNbr": "000002", "inventoryNumber": "MUG", "shippedQty": 2.0},
        ],
        "shipmentPackageLines": [{"lineNumber": 1, "trackingNumber": "TRK-1"}],
    }  # fmt: skip
    assert openapi.ERP.problems(openapi.ERP.list_of("ShipmentDto"), [shipment]) == []
    carriers = {"POSTNORD": "PostNord"}
    assert (
        openapi.ERP.problems(
            openapi.ERP.list_of("CarrierDto"), [{"carrierId": "POSTNORD", "carrierDescription": "PostNord"}]
        )
        == []
    )
    records = convert.shipments_from(shipment, {("SO", "000001"): "#1001", ("SO", "000002"): "#1002"}, carriers)
    assert [(s.key, s.order_number, s.tracking_number, s.carrier) for s in records] == [
        ("SH1-000001", "#1001", "TRK-1", "PostNord"),
        ("SH1-000002", "#1002", "TRK-1", "PostNord"),
    ]
    unknown = convert.shipments_from({**shipment, "shipVia": {"id": "DHLEXP"}}, {}, carriers)
    assert unknown[0].carrier == "DHLEXP"  # a ship via the carrier list lacks keeps its id
    assert [[(line.sku, line.quantity) for line in s.lines] for s in records] == [[("MUG", 1)], [("MUG", 2)]]


def test_a_released_invoice_of_a_shipped_order_reads_as_a_customer_invoice() -> None:
    from connectors.visma_net.sandbox import start

    company = start(catalogue=True).company
    [invoice] = company.invoices.values()
    assert openapi.ERP.problems(openapi.ERP.list_of("CustomerInvoiceDto"), [invoice]) == []
    assert (invoice["customerRefNumber"], invoice["documentType"], invoice["amount"]) == ("#900", "Invoice", 72.4)
    assert sorted(line["soShipmentNbr"] for line in invoice["invoiceLines"]) == ["SH000001", "SH000001", "SH000002"]
