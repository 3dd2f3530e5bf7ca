"""The Visma.net client against its sandbox over loopback: tokens, tenant, ETags, background calls,
rate limits, orders the way merchants rely on, lost answers; and every request it sends and every
answer the sandbox gives validated against Visma's OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connectors.testing.faults import Faults
from connectors.testing.server import serving
from connectors.visma_net import CONNECTOR, openapi
from connectors.visma_net.client import VismaNetClient
from connectors.visma_net.sandbox import VismaNetSandbox, start
from connectors.visma_net.settings import VismaNetSettings
from connectors.visma_net.transport import Transport
from engine.connector import ReadFilter
from engine.errors import FatalConnectorError
from engine.records import Address, Contact, Customer, Entity, Money, Order, OrderLine


class Served:
    def __init__(self, sandbox: VismaNetSandbox, url: str) -> None:
        self.sandbox, self.url = sandbox, url
        self.sleeps: list[float] = []
        self.opened: list[VismaNetClient] = []

    def client(self, **settings: Any) -> VismaNetClient:
        values = VismaNetSettings.model_validate({**self.sandbox.settings(self.url), **settings})
        transport = Transport(values, self.sandbox.client_id, self.sandbox.client_secret, sleep=self.sleeps.append)
        client = VismaNetClient(values, {}, transport)
        self.opened.append(client)
        return client


@pytest.fixture
def served() -> Iterator[Served]:
    sandbox = start(catalogue=True)  # with the order shipped in two parts
    with serving(sandbox) as url:
        running = Served(sandbox, url)
        try:
            yield running
        finally:
            for client in running.opened:
                client.close()
    assert sandbox.problems == [], "a request or answer did not match Visma's OpenAPI description"


def nok(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="NOK")


def order(number: str, *lines: tuple[str, int], **fields: Any) -> Order:
    return Order(number=number, currency="NOK", financial_status="paid",
                 lines=tuple(OrderLine(sku=sku, quantity=Decimal(q), price=nok("10")) for sku, q in lines),
                 **fields)  # fmt: skip


def test_one_token_serves_every_call_until_it_expires(served: Served) -> None:
    client = served.client()
    client.read(Entity.category)
    client.read(Entity.price)
    assert client.transport.log.count("POST token") == 1
    client.transport.auth.expires = 0.0  # past its lifetime
    client.read(Entity.price)
    assert client.transport.log.count("POST token") == 2


def test_a_token_for_the_wrong_tenant_is_a_fatal_error_naming_the_tenant_not_the_secret(served: Served) -> None:
    client = served.client(tenant="customer-contract-tenant")
    with pytest.raises(FatalConnectorError) as error:
        client.read(Entity.price)
    assert "customer-contract-tenant" in str(error.value) and "company's tenant" in str(error.value)
    assert served.sandbox.client_secret not in str(error.value)
    assert served.sandbox.requests == ["GET /v1/customerSalesPrice"]  # refused once, not retried


def test_every_request_and_answer_is_checked_against_the_description(served: Served) -> None:
    client = served.client()
    for entity in (Entity.product, Entity.category, Entity.stock, Entity.price, Entity.customer, Entity.shipment):
        assert client.read(entity), entity
    checked = set(served.sandbox.checked)
    assert {"request GET /v1/inventory", "answer GET /v1/inventory", "answer GET /v1/customerSalesPrice",
            "answer GET /v1/inventorysummary/{inventoryNumber}", "answer GET /v1/shipment"} <= checked  # fmt: skip


def test_shipments_carry_their_carriers_name_and_invoices_are_served_as_described(served: Served) -> None:
    client = served.client()
    assert {(s.key, s.carrier) for s in client.read(Entity.shipment)} == {
        ("SH000001", "PostNord"),
        ("SH000002", "Bring Parcels"),
    }
    [invoice] = client.transport.erp_list("/v1/customerinvoice", {"customerRefNumber": "#900"})
    one = client.transport.erp_ok("GET", f"/v1/customerinvoice/{invoice['referenceNumber']}")
    assert one["invoiceLines"] == invoice["invoiceLines"] and one["status"] == "Open"
    assert {"answer GET /v1/carrier", "answer GET /v1/customerinvoice",
            "answer GET /v1/customerinvoice/{invoiceNumber}"} <= set(served.sandbox.checked)  # fmt: skip


def test_every_operation_the_connector_uses_is_one_of_vismas_and_each_request_was_validated(served: Served) -> None:
    client = served.client(background_lists=True)
    for entity in (Entity.product, Entity.category, Entity.stock, Entity.price, Entity.customer, Entity.shipment,
                   Entity.order):  # fmt: skip
        client.read(entity)
    ines = Customer(email="ines@example.com", first_name="Ines", last_name="Bakker")
    korf = Customer(email="inkoop@dekorf.example", kind="company", company_name="De Korf AS",
                    contact=Contact(first_name="Sanne", last_name="de Vries"))  # fmt: skip
    client.write(Entity.customer, [ines, korf])
    client.write(Entity.customer, [ines.model_copy(update={"last_name": "Visser"}), korf])  # updates, with ETags
    client.write(Entity.order, [order("#3001", ("MUG", 1), customer=ines, type="sales_invoice")])
    assert client.read(Entity.customer, [("inkoop@dekorf.example",)])  # a keyed read, with its contacts
    used = set()
    for line in served.sandbox.requests:
        method, path = line.split(" ", 1)
        description = openapi.SALES_ORDERS if path.startswith("/api/v3/") else openapi.ERP
        operation = description.operation(method, path)
        assert operation is not None, f"{line} is not an operation of Visma's description"
        used.add(f"{method} {operation.path}")
    assert {f"request {u}" for u in used} <= set(served.sandbox.checked)
    assert used >= {
        "GET /v1/inventory", "GET /v1/inventory/{inventoryNumber}", "GET /v1/inventory/itemClass",
        "GET /v1/salescategory", "GET /v1/inventorysummary/{inventoryNumber}", "GET /v1/customerSalesPrice",
        "GET /v1/customer", "POST /v1/customer", "GET /v1/customer/{customerCd}", "PUT /v1/customer/{customerCd}",
        "GET /v1/customer/{customerCd}/contact", "GET /v1/contact", "POST /v1/contact", "GET /v1/contact/{contactId}",
        "PUT /v1/contact/{contactId}", "GET /v1/shipment", "GET /v1/carrier", "GET /v1/salesordertype/{orderType}",
        "GET /v1/background/{requestId}", "GET /v1/background/{requestId}/content", "GET /api/v3/SalesOrders",
        "POST /api/v3/SalesOrders", "GET /api/v3/SalesOrders/{type}/{orderId}",
        "GET /api/v3/SalesOrders/{type}/{orderId}/lines",
    }  # fmt: skip


def test_the_sandbox_refuses_a_body_the_description_refuses(served: Served) -> None:
    client = served.client()
    answer = client.transport.erp("POST", "/v1/customer", json={"name": "not wrapped"})
    assert answer.status == 400 and "name: 'not wrapped' is not of type 'object'" in answer.body["message"]
    served.sandbox.problems.clear()  # refused on purpose


def test_the_sandbox_holds_v3_requests_to_the_sales_order_description(served: Served) -> None:
    v3 = served.client().transport.v3
    read_name = v3("POST", "/SalesOrders", json={"type": "SO", "customer": {"id": "1000"}, "customerOrder": "#1"})
    assert read_name.status == 400 and "'customerOrder' was unexpected" in str(read_name.body["errors"])
    too_long = v3("POST", "/SalesOrders", json={"type": "SO", "customer": {"id": "1000", "order": "#" * 41}})
    assert too_long.status == 400 and "is too long" in str(too_long.body["errors"])
    unknown_section = v3("GET", "/SalesOrders/SO/000001", params={"expand": "Customer,Everything"})
    assert unknown_section.status == 400 and "'Everything' is not one of" in str(unknown_section.body["errors"])
    undeclared = v3("GET", "/SalesOrders", params={"customerOrder": "#900"})
    assert undeclared.status == 400
    served.sandbox.problems.clear()  # refused on purpose


def test_a_v3_order_shows_only_the_sections_asked_for_and_a_change_needs_its_current_version(served: Served) -> None:
    v3 = served.client().transport.v3
    bare = v3("GET", "/SalesOrders/SO/000001")
    assert "customer" not in bare.body and bare.body["orderId"] == "000001"
    expanded = v3("GET", "/SalesOrders/SO/000001", params={"expand": "customer"})
    assert expanded.body["customer"]["order"] == "#900" and expanded.headers["etag"] == bare.headers["etag"]
    assert v3("PATCH", "/SalesOrders/SO/000001", json={"note": "x"}).status == 428
    changed = v3("PATCH", "/SalesOrders/SO/000001", json={"note": "x"}, headers={"If-Match": bare.headers["etag"]})
    assert changed.status == 202 and changed.headers["etag"] != bare.headers["etag"]
    stale = v3("PATCH", "/SalesOrders/SO/000001", json={"note": "y"}, headers={"If-Match": bare.headers["etag"]})
    assert stale.status == 412
    assert {"answer GET /api/v3/SalesOrders/{type}/{orderId}", "request PATCH /api/v3/SalesOrders/{type}/{orderId}"} \
        <= set(served.sandbox.checked)  # fmt: skip


def test_a_stale_etag_is_read_again_and_the_update_sent_once_more(served: Served) -> None:
    client = served.client()
    ines = Customer(email="ines@example.com", first_name="Ines", last_name="Bakker")
    assert not client.write(Entity.customer, [ines])[0].error
    number = client.read(Entity.customer, [("ines@example.com",)])[0].number
    original = client.transport.erp
    changed: list[int] = []

    def someone_else_first(method: str, path: str, **kwargs: Any) -> Any:
        answer = original(method, path, **kwargs)
        if method == "GET" and path == f"/v1/customer/{number}" and not changed:
            changed.append(1)  # someone changes the customer between our read and our write
            served.sandbox.company.touch(path)
        return answer

    client.transport.erp = someone_else_first  # type: ignore[method-assign]
    outcome = client.write(Entity.customer, [ines.model_copy(update={"last_name": "Bakker-Visser"})])[0]
    assert outcome.error is None
    puts = [line for line in client.transport.log if line.startswith("PUT")]
    assert len(puts) == 2  # the stale one (412) and the one sent with the new ETag
    assert served.sandbox.company.customers[str(number)]["name"] == "Ines Bakker-Visser"


def test_lists_read_as_background_calls_are_polled_to_their_content(served: Served) -> None:
    client = served.client(background_lists=True)
    assert len(client.read(Entity.price)) == 3
    assert served.sandbox.background and any(line.startswith("GET /v1/background/") for line in client.transport.log)


def test_a_used_up_rate_limit_window_makes_the_next_call_wait_for_its_reset(served: Served) -> None:
    served.sandbox.rate_limit = 2
    client = served.client()
    client.read(Entity.price)
    client.read(Entity.price)  # the second API call uses the window up: X-RateLimit-Remaining 0
    assert served.sleeps == []
    served.sandbox.rate_limit = 100  # the window has reset by the time the wait is over
    client.read(Entity.price)
    assert len(served.sleeps) == 1 and 60 < served.sleeps[0] <= 120  # Reset says 3600 s; waited at most 120


def test_a_change_read_asks_for_what_changed_since_the_cursor(served: Served) -> None:
    client = served.client()
    assert client.read(Entity.customer, wanted=ReadFilter(since="2000-01-01T00:00:00+00:00"))
    assert client.read(Entity.customer, wanted=ReadFilter(since="2999-01-01T00:00:00+00:00")) == []


@pytest.mark.parametrize(("kind", "code"), [("order", "SO"), ("invoice", "IN"), ("sales_invoice", "CS")])
def test_an_order_is_created_as_the_order_type_chosen_for_its_kind_on_the_branch(
    served: Served, kind: str, code: str
) -> None:
    client = served.client(branch="2")
    outcome = client.write(Entity.order, [order("#2001", ("MUG", 1), customer_number="1000", type=kind)])[0]
    assert outcome.error is None and str(outcome.target_id).startswith(f"{code}/")
    head = served.sandbox.company.order(*str(outcome.target_id).split("/"))
    assert (head["type"], head["branch"]["id"], head["customer"]["order"]) == (code, "2", "#2001")


def test_an_order_that_exists_is_skipped(served: Served) -> None:
    client = served.client()
    outcome = client.write(Entity.order, [order("#900", ("MUG", 1), customer_number="1000")])[0]
    assert outcome.response.get("existed") is True
    assert len(served.sandbox.company.orders) == 1  # the seeded one only


def test_an_order_with_an_unknown_item_creates_nothing(served: Served) -> None:
    client = served.client()
    buyer = Customer(email="new@example.com", first_name="New", last_name="Buyer")
    outcome = client.write(Entity.order, [order("#2002", ("MUG", 1), ("NOPE", 1), customer=buyer)])[0]
    assert outcome.error is not None and "NOPE" in outcome.error and "nothing was created" in outcome.error
    assert len(served.sandbox.company.orders) == 1 and client.read(Entity.customer, [("new@example.com",)]) == []


def test_an_orders_company_customer_is_created_with_its_contact_and_a_person_without(served: Served) -> None:
    client = served.client()
    company = Customer(email="inkoop@dekorf.example", kind="company", company_name="De Korf AS",
                       contact=Contact(first_name="Sanne", last_name="de Vries"),
                       billing_address=Address(street="Torget", house_number="2", country="NO"))  # fmt: skip
    person = Customer(email="kari@example.com", first_name="Kari", last_name="Nordmann")
    outcomes = client.write(Entity.order, [order("#2003", ("MUG", 1), customer=company),
                                           order("#2004", ("MUG", 2), customer=person)])  # fmt: skip
    assert [o.error for o in outcomes] == [None, None]
    found = {c.email: c for c in client.read(Entity.customer)}
    assert found["inkoop@dekorf.example"].kind == "company"
    assert found["inkoop@dekorf.example"].contact == Contact(first_name="Sanne", last_name="de Vries",
                                                             email="inkoop@dekorf.example")  # fmt: skip
    assert (found["kari@example.com"].kind, found["kari@example.com"].last_name) == ("person", "Nordmann")


def test_a_create_whose_answer_was_lost_is_found_not_sent_again(served: Served) -> None:
    client = served.client()
    client.read(Entity.price)  # the token is at hand
    served.sandbox.faults = Faults(script=["ok", "lost"])  # the email lookup answers; the create's answer is lost
    outcome = client.write(Entity.customer, [Customer(email="lost@example.com", first_name="Lost")])[0]
    assert outcome.error is None
    made = [c for c in served.sandbox.company.customers.values() if c["mainContact"]["email"] == "lost@example.com"]
    assert len(made) == 1
    assert outcome.target_id == made[0]["number"]


def test_the_connector_declares_its_sandbox_on_port_8706() -> None:
    assert CONNECTOR.sandbox is not None and CONNECTOR.sandbox.port == 8706
