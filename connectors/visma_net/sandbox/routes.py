"""What each operation of the Visma.net sandbox does, by its path template in Visma's OpenAPI
description (`openapi.ERP`, `openapi.SALES_ORDERS`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.visma_net.sandbox.store import Refused

if TYPE_CHECKING:
    from connectors.visma_net.sandbox.app import Call, Handler, VismaNetSandbox


def erp(sandbox: VismaNetSandbox) -> dict[tuple[str, str], Handler]:
    from connectors.visma_net.sandbox.app import Answer

    company = sandbox.company

    def single(path: str, body: Any) -> Answer:
        answer = Answer(200, body, {"ETag": company.etag(path)})
        if path.lower() in sandbox.changed_after_read:  # someone else changes it between our read and write
            sandbox.changed_after_read.discard(path.lower())
            company.touch(path)
        return answer

    def put(path: str, call: Call, save: Any) -> Answer:
        match = call.headers.get("if-match")
        if match is not None and match != company.etag(path):
            raise Refused(412, "The record was changed by someone else since it was read (If-Match does not match).")
        save()
        return Answer(204, None, {"ETag": company.etag(path)})

    def created(path: str) -> Answer:
        return Answer(201, None, {"Location": f"{path}"})

    def customer_post(call: Call) -> Answer:
        return created(f"/v1/customer/{company.save_customer(call.body)}")

    def contact_post(call: Call) -> Answer:
        return created(f"/v1/contact/{company.save_contact(call.body)}")

    def attachment_post(call: Call) -> Answer:
        if len(call.files) != 1:
            raise Refused(400, "Send one file as multipart/form-data.")
        name, content = call.files[0]
        attachment = company.attach(call.params["inventoryNumber"], name, content)
        return created(f"/v1/attachment/{attachment.id}")

    def attachment_get(call: Call) -> Answer:
        found = company.attachments.get(call.params["attachmentId"])
        if found is None:
            raise Refused(404, "Attachment not found.")
        return Answer(200, raw=found.content)

    def lister(records: Any) -> Handler:
        return lambda call: company.page(list(records()), call.query)

    def unpaged(records: Any) -> Handler:
        return lambda call: list(records())

    return {
        ("GET", "/v1/customer"): lambda call: company.list_customers(call.query),
        ("POST", "/v1/customer"): customer_post,
        ("GET", "/v1/customer/{customerCd}"): lambda call: single(
            call.path, company.customer(call.params["customerCd"])),
        ("PUT", "/v1/customer/{customerCd}"): lambda call: put(
            call.path, call, lambda: company.save_customer(call.body, call.params["customerCd"])),
        ("GET", "/v1/customer/{customerCd}/contact"): lambda call: company.list_contacts(
            {**call.query, "businessAccount": company.customer(call.params["customerCd"])["number"]}),
        ("GET", "/v1/contact"): lambda call: company.list_contacts(call.query),
        ("POST", "/v1/contact"): contact_post,
        ("GET", "/v1/contact/{contactId}"): lambda call: single(
            call.path, _found(company.contacts.get(int(call.params["contactId"])), "Contact")),
        ("PUT", "/v1/contact/{contactId}"): lambda call: put(
            call.path, call, lambda: company.save_contact(call.body, int(call.params["contactId"]))),
        ("GET", "/v1/inventory"): lambda call: company.list_items(call.query),
        ("GET", "/v1/inventory/{inventoryNumber}"): lambda call: single(
            call.path, company.item(call.params["inventoryNumber"], call.query)),
        ("POST", "/v1/inventory/{inventoryNumber}/attachment"): attachment_post,
        ("GET", "/v1/attachment/{attachmentId}"): attachment_get,
        ("GET", "/v1/inventory/itemClass"): unpaged(company.item_classes.values),
        ("GET", "/v1/salescategory"): unpaged(lambda: company.sales_categories),
        ("GET", "/v1/inventorysummary/{inventoryNumber}"): lambda call: company.summary(
            call.params["inventoryNumber"], call.query),
        ("GET", "/v1/warehouse"): unpaged(company.warehouses.values),
        ("GET", "/v1/branch"): unpaged(company.branches.values),
        ("GET", "/v1/salesordertype"): lister(company.order_types.values),
        ("GET", "/v1/salesordertype/{orderType}"): lambda call: _found(
            company.order_types.get(call.params["orderType"]), "Order type"),
        ("GET", "/v1/customerSalesPrice"): lambda call: company.list_prices(call.query),
        ("GET", "/v1/shipment"): lambda call: company.list_shipments(call.query),
        ("GET", "/v1/shipment/{shipmentNbr}"): lambda call: single(
            call.path, _found(company.shipments.get(call.params["shipmentNbr"]), "Shipment")),
        ("GET", "/v1/carrier"): unpaged(company.carriers.values),
        ("GET", "/v1/carrier/{carrierName}"): lambda call: company.carrier(call.params["carrierName"]),
        ("GET", "/v1/customerinvoice"): lambda call: company.list_invoices(call.query),
        ("GET", "/v1/customerinvoice/{invoiceNumber}"): lambda call: single(
            call.path, company.customer_invoice(call.params["invoiceNumber"])),
        ("GET", "/v1/background/{requestId}"): lambda call: sandbox.background_state(call.params["requestId"]),
        ("GET", "/v1/background/{requestId}/content"): lambda call: sandbox.background_content(
            call.params["requestId"]),
    }  # fmt: skip


def v3(sandbox: VismaNetSandbox) -> dict[tuple[str, str], Handler]:
    from connectors.visma_net.sandbox.app import Answer

    company = sandbox.company

    def page(items: list[dict[str, Any]], call: Call, default_size: int) -> Answer:
        index, size = int(call.query.get("pageIndex") or 0), int(call.query.get("pageSize") or default_size)
        if index < 0 or not 1 <= size <= 1000:
            raise Refused(400, "pageIndex must be 0 or more and pageSize 1 to 1000")
        chosen = items[index * size : (index + 1) * size]
        more = (index + 1) * size < len(items)
        next_page = f"{call.path}?pageIndex={index + 1}&pageSize={size}" if more else None
        return Answer(200, {"value": chosen, "totalCount": len(items), "nextPage": next_page})

    def orders(call: Call) -> Answer:
        found = company.order_list()
        if "customerId" in call.query:
            found = [o for o in found if o["customerId"] == call.query["customerId"]]
        if "modifiedSince" in call.query:
            found = [o for o in found if o["lastModified"] >= call.query["modifiedSince"].replace(" ", "T")[:23]]
        return page(found, call, 100)

    def order(call: Call) -> Answer:
        kind, order_id = call.params["type"], call.params["orderId"]
        head = company.order_view(kind, order_id, call.query.get("expand", "").split(","))
        return Answer(200, head, {"ETag": company.order_etag(kind, order_id)})

    def create(call: Call) -> Answer:
        kind, order_id = company.create_order(call.body)
        return Answer(201, None, {"Location": f"/api/v3/SalesOrders/{kind}/{order_id}"})

    def lines(call: Call) -> Answer:
        return page(company.order(call.params["type"], call.params["orderId"])["lines"], call, 1000)

    def patch(call: Call) -> Answer:
        kind, order_id = call.params["type"], call.params["orderId"]
        match = call.headers.get("if-match")
        if match is None:
            raise Refused(428, "If-Match is required")
        if match != company.order_etag(kind, order_id):
            raise Refused(412, "The order was changed since it was read")
        company.patch_order(kind, order_id, call.body or {})
        return Answer(202, None, {"ETag": company.order_etag(kind, order_id)})

    return {
        ("GET", "/api/v3/SalesOrders"): orders,
        ("POST", "/api/v3/SalesOrders"): create,
        ("GET", "/api/v3/SalesOrders/{type}/{orderId}"): order,
        ("PATCH", "/api/v3/SalesOrders/{type}/{orderId}"): patch,
        ("GET", "/api/v3/SalesOrders/{type}/{orderId}/lines"): lines,
    }


def _found(record: Any, what: str) -> Any:
    if record is None:
        raise Refused(404, f"{what} not found.")
    return record
