"""The Visma.net ⇄ Shopify POS integration end to end, both sandboxes over loopback HTTP: the
catalogue (variants, options, features, categories, images), stock per warehouse, prices per price
group and customers to Shopify; paid orders to Visma.net once each, on the branch; a split
shipment as two fulfillments with their own tracking; every request and answer of the Visma.net
sandbox held to Visma's OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors import CONNECTORS
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.faults import Faults
from connectors.testing.server import running_sandboxes
from connectors.visma_net.sandbox import VismaNetSandbox
from engine.plan.model import Action, FlowPlan
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import load_workspace
from tests.e2e import runs

REPO = Path(__file__).parents[2]
SPEC = "visma-net-shopify-pos.yaml"
pytestmark = pytest.mark.slow


@dataclass
class Integration:
    shop: ShopifySandbox
    erp: VismaNetSandbox
    environ: dict[str, str]

    def plan(self, flow: str | None = None) -> dict[str, FlowPlan]:
        return runs.plan(self.environ, flow)

    def apply(self, flow: str | None = None) -> dict[str, ApplyResult]:
        return runs.apply(self.environ, flow)


@pytest.fixture
def integration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Integration]:
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    spec = (REPO / "specs" / SPEC).read_text()  # and a price class whose group Shopify has no price list of
    (tmp_path / "specs" / SPEC).write_text(
        spec.replace("price_classes: {B2B: b2b}", "price_classes: {B2B: b2b, RETAIL: Retail}")
    )
    (tmp_path / "environments" / "test.yaml").write_text(
        f"name: test\nintegrations:\n  visma-net-shopify-pos:\n    spec: specs/{SPEC}\n"
    )
    monkeypatch.chdir(tmp_path)
    with running_sandboxes(CONNECTORS, {"shopify": 0, "mpluskassa": 0, "visma_net": 0}) as started:
        shop, erp = started["shopify"], started["visma_net"]
        shop.sandbox.shop.add_location("store-bergen")
        environ = {
            "VISMA_CLIENT_ID": erp.sandbox.client_id, "VISMA_CLIENT_SECRET": erp.sandbox.client_secret,
            "SHOPIFY_ACCESS_TOKEN": shop.sandbox.token,
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__TENANT": erp.sandbox.tenant,
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__CURRENCY": "EUR", "TILLSYNC__SYSTEMS__SHOP__SETTINGS__CURRENCY": "EUR",
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__URL": erp.url,
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__SALESORDER_URL": erp.url,
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__CONNECT_URL": f"{erp.url}/connect/token",
            "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }  # fmt: skip
        yield Integration(shop.sandbox, erp.sandbox, environ)
        assert erp.sandbox.problems == [], "a request or answer did not match Visma's OpenAPI description"


def catalogue(integration: Integration) -> None:
    for flow in ("categories", "products"):
        result = integration.apply(flow)[flow]
        assert result.ok, result.failures


def test_the_catalogue_stock_prices_and_customers_reach_shopify_and_a_second_run_changes_nothing(
    integration: Integration,
) -> None:
    results = integration.apply("categories") | integration.apply("products") | integration.apply("stock")
    results |= integration.apply("customers")
    assert all(r.ok for r in results.values()), {f: r.failures for f, r in results.items()}
    shop = integration.shop.shop
    shirt = next(p for p in shop.products.values() if p["title"] == "Organic shirt")
    assert [o["name"] for o in shirt["options"]] == ["size", "colour"]
    assert sorted(shop.variants[v]["sku"] for v in shirt["variants"]) == ["SHIRT-L", "SHIRT-M", "SHIRT-S"]
    assert shirt["metafields"][("features", "country_of_origin")] == "PT"
    assert sorted(shop.collections[c]["title"] for c in shirt["collections"]) == ["Shirts", "Shirts"]
    uploads = len(shirt.get("media") or [])
    assert uploads == 1, "the shirt's one attachment is its image"
    levels = {(shop.items[i]["sku"], shop.locations[loc]["name"]): q["available"]
              for (i, loc), q in shop.levels.items()}  # fmt: skip
    assert levels[("SHIRT-M", "warehouse")] == 3  # 8 on hand, 3 booked and 2 allocated
    assert levels[("MUG", "store-bergen")] == 5
    assert "webshop@example.com" in {c["email"] for c in shop.customers.values()}
    again = integration.plan()
    assert {f: p.has_changes for f, p in again.items() if f not in ("orders", "shipments", "prices")} == {
        "categories": False,
        "products": False,
        "stock": False,
        "customers": False,
    }
    assert len(shirt.get("media") or []) == uploads, "an unchanged image is not uploaded again"


def test_prices_are_written_only_for_a_group_and_product_shopify_has(integration: Integration) -> None:
    catalogue(integration)
    prices = integration.erp.company.prices
    prices.append({**prices[1], "recordId": 20, "inventoryId": "SHIRT-XL"})  # an item Shopify does not have
    result = integration.apply("prices")["prices"]
    failures = {key: reason for key, reason in result.failures}
    assert "price list named 'Retail'" in failures[("SHIRT-M", "Retail")], failures
    assert "no variant with SKU SHIRT-XL" in failures[("SHIRT-XL", "b2b")], failures
    assert result.counts["create"] == 2  # SHIRT-M and MUG in b2b
    lists = integration.shop.shop.price_lists
    assert sorted(lists) and len(failures) == 2


def test_paid_orders_reach_visma_once_on_the_branch_and_a_split_shipment_is_two_fulfillments(
    integration: Integration,
) -> None:
    catalogue(integration)
    shop = integration.shop.shop
    order_id = shop.place_order([("SHIRT-M", 2), ("MUG", 1)], email="kari@example.com", gateway="vipps")
    name = shop.orders[order_id]["name"]
    first = integration.apply("orders")["orders"]
    assert first.ok and first.counts["create"] >= 1
    assert integration.apply("orders")["orders"].counts["create"] == 0, "an order that exists is skipped"
    company = integration.erp.company
    [(key, head)] = [(k, h) for k, h in company.orders.items() if h["customer"]["order"] == name]
    assert head["branch"]["id"] == "1" and head["paymentSettings"]["paymentMethod"]["id"] == "VIPPS"
    company.ship("SH900001", *key, {"SHIRT-M": 1, "MUG": 1}, "TRK-A", "POSTNORD", "MAIN")
    company.ship("SH900002", *key, {"SHIRT-M": 1}, "TRK-B", "BRING", "MAIN")
    integration.apply("shipments")
    fulfillments = shop.orders[order_id]["fulfillments"]
    assert sorted((f["trackingInfo"][0]["number"], f["trackingInfo"][0]["company"], sorted(f["lines"]))
                  for f in fulfillments) == [("TRK-A", "PostNord", [("MUG", 1), ("SHIRT-M", 1)]),
                                             ("TRK-B", "Bring", [("SHIRT-M", 1)])]  # fmt: skip
    integration.apply("shipments")
    assert len(shop.orders[order_id]["fulfillments"]) == 2, "never a line fulfilled twice"
    plan = integration.plan("shipments")["shipments"]
    assert not [c for c in plan.changes if c.action is Action.create and c.key[0].startswith(name)]


def dead_letters(integration: Integration) -> list[tuple[tuple[str, ...], str]]:
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=integration.environ)
    with runner.state_store(workspace) as store:
        return [(d.key, d.reason) for d in store.dead_letters.open()]


def visma_orders(integration: Integration, name: str) -> list[dict[str, Any]]:
    return [h for h in integration.erp.company.orders.values() if h["customer"]["order"] == name]


@pytest.mark.parametrize("web_kind", ["order", "invoice"])
def test_each_kind_of_order_is_sent_as_its_order_type(integration: Integration, tmp_path: Path, web_kind: str) -> None:
    spec = tmp_path / "specs" / SPEC
    spec.write_text(spec.read_text().replace("    web: order\n", f"    web: {web_kind}\n"))
    catalogue(integration)
    shop = integration.shop.shop
    web = shop.orders[shop.place_order([("MUG", 1)], email="kari@example.com")]["name"]
    till = shop.orders[shop.place_order([("MUG", 2)], source="pos", location="store-bergen")]["name"]
    assert integration.apply("orders")["orders"].ok
    [web_order], [pos_sale] = visma_orders(integration, web), visma_orders(integration, till)
    assert web_order["type"] == {"order": "SO", "invoice": "IN"}[web_kind]
    assert pos_sale["type"] == "CS" and pos_sale["customer"]["id"] == "1000"  # a walk-in on the default debtor
    assert (web_order["branch"]["id"], pos_sale["branch"]["id"]) == ("1", "2")  # the till's shop is branch 2


def test_an_order_visma_already_has_is_recorded_not_sent_again(integration: Integration) -> None:
    catalogue(integration)
    shop = integration.shop.shop
    name = shop.orders[shop.place_order([("MUG", 1)], email="kari@example.com")]["name"]
    integration.erp.company.create_order({"type": "SO", "customer": {"id": "1000", "order": name},
                                          "orderLines": [{"inventoryId": "MUG", "quantity": 1}]})  # fmt: skip
    result = integration.apply("orders")["orders"]
    assert result.ok and result.counts.get("create", 0) == 0
    assert len(visma_orders(integration, name)) == 1


def test_a_company_customer_is_made_with_its_contact_and_a_person_without(integration: Integration) -> None:
    catalogue(integration)
    shop = integration.shop.shop
    korf = {"company": "De Korf AS", "firstName": "Sanne", "lastName": "de Vries", "address1": "Torget 2",
            "city": "Bergen", "zip": "5014", "countryCode": "NO"}  # fmt: skip
    shop.place_order([("MUG", 1)], email="inkoop@dekorf.example", billing_address=korf)
    shop.place_order([("MUG", 1)], email="kari@example.com")
    assert integration.apply("orders")["orders"].ok
    company = integration.erp.company
    by_email = {c["mainContact"]["email"]: c for c in company.customers.values()}
    contacts = [c for c in company.contacts.values() if c.get("businessAccount") == by_email["inkoop@dekorf.example"]
                ["number"]]  # fmt: skip
    assert by_email["inkoop@dekorf.example"]["name"] == "De Korf AS"
    assert [c["email"] for c in contacts] == ["inkoop@dekorf.example"]  # its contact person
    assert not [c for c in company.contacts.values() if c.get("businessAccount") == by_email["kari@example.com"]
                ["number"]]  # fmt: skip


def test_an_order_with_an_item_visma_does_not_know_waits_with_nothing_half_made(integration: Integration) -> None:
    catalogue(integration)
    shop = integration.shop.shop
    simple = [{"optionName": "Title", "name": "Default Title"}]
    shop.product_set(None, {"title": "Gift card", "variants": [{"sku": "GIFT", "price": "25.00",
                                                                "optionValues": simple}]})  # fmt: skip
    name = shop.orders[shop.place_order([("GIFT", 1), ("MUG", 1)], email="new@example.com")]["name"]
    customers = len(integration.erp.company.customers)
    result = integration.apply("orders")["orders"]
    assert not result.ok and visma_orders(integration, name) == []
    assert len(integration.erp.company.customers) == customers, "no customer made for an order that failed"
    [(key, reason)] = dead_letters(integration)
    assert key == (name,) and "does not know: GIFT" in reason


def test_an_update_that_meets_a_stale_etag_is_read_again_and_sent_once_more(integration: Integration) -> None:
    catalogue(integration)
    company = integration.erp.company
    company.save_customer({"name": "Kari Nordmann", "mainContact": {"name": "Kari", "email": "kari@example.com"}})
    number = next(n for n, c in company.customers.items() if c["mainContact"]["email"] == "kari@example.com")
    integration.erp.changed_after_read.add(f"/v1/customer/{number}")
    integration.shop.shop.place_order([("MUG", 1)], email="kari@example.com", gateway="vipps")
    before = len(integration.erp.requests)
    assert integration.apply("orders")["orders"].ok
    puts = [r for r in integration.erp.requests[before:] if r == f"PUT /v1/customer/{number}"]
    assert len(puts) == 2, "the stale write (412) and the one sent with the new ETag"
    assert not integration.erp.changed_after_read and len(company.customers) == 2


def test_lists_read_in_the_background_are_polled_until_they_finish(integration: Integration) -> None:
    integration.environ["TILLSYNC__SYSTEMS__ERP__SETTINGS__BACKGROUND_LISTS"] = "true"
    integration.erp.background_polls = 2
    results = integration.apply("categories") | integration.apply("products") | integration.apply("stock")
    assert all(r.ok for r in results.values()), {f: r.failures for f, r in results.items()}
    assert integration.erp.background and all(job.polls == 3 for job in integration.erp.background.values())
    shirt = next(p for p in integration.shop.shop.products.values() if p["title"] == "Organic shirt")
    assert len(shirt["variants"]) == 3


def test_faults_injected_converge_with_nothing_doubled(integration: Integration) -> None:
    catalogue(integration)
    shop = integration.shop.shop
    names = [shop.orders[shop.place_order([("MUG", 1)], email=f"buyer{n}@example.com")]["name"] for n in range(3)]
    integration.erp.faults = Faults(
        rates={"429": 0.1, "500": 0.1, "drop": 0.05, "lost": 0.1}, seed=5, retry_after=runs.QUICK
    )
    for _ in range(3):
        try:
            integration.apply("orders")
        except Exception:  # a run may give up on a flow; the next one takes it up again
            continue
    integration.erp.faults = Faults()
    assert integration.apply("orders")["orders"].ok
    assert [len(visma_orders(integration, name)) for name in names] == [1, 1, 1]
    emails = [c["mainContact"]["email"] for c in integration.erp.company.customers.values()]
    assert len(emails) == len(set(emails)) and {f"buyer{n}@example.com" for n in range(3)} <= set(emails)
    assert integration.plan("orders")["orders"].has_changes is False
