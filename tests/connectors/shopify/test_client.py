"""The Shopify connector against the sandbox over loopback HTTP."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

from connectors.shopify.cost import Plan
from connectors.shopify.sandbox import Faults, ShopifySandbox
from engine.connector import WriteInterrupted
from engine.errors import FatalConnectorError, RetriableConnectorError
from engine.records import Entity, Money, Product, StockLevel, Variant
from tests.connectors.shopify.conftest import LOCATIONS, Running

EUR = "EUR"


def shirt(title: str = "Organic shirt", price: str = "29.95") -> Product:
    return Product(
        sku="1000",
        title=title,
        description="Soft cotton",
        vendor="Tillwear",
        tags=("organic", "summer"),
        options=("size", "colour"),
        features={"country_of_origin": "PT"},
        variants=(
            Variant(sku="1001", barcode="8712345000011", options={"size": "S", "colour": "white"},
                    price=Money(amount=Decimal(price), currency=EUR)),
            Variant(sku="1002", options={"size": "M", "colour": "white"},
                    price=Money(amount=Decimal(price), currency=EUR),
                    compare_at_price=Money(amount=Decimal("39.95"), currency=EUR)),
        ),
    )  # fmt: skip


MUG = Product(sku="2000", title="Mug", variants=(Variant(sku="2000", price=Money.model_validate("12.50 EUR")),))


def test_products_are_created_then_updated_by_product_number(shopify: Running) -> None:
    client = shopify.client()
    outcomes = client.write(Entity.product, [shirt(), MUG])
    assert [o.error for o in outcomes] == [None, None]
    assert all(o.target_id and o.target_id.startswith("gid://shopify/Product/") for o in outcomes)
    [read_shirt, read_mug] = client.read(Entity.product, [("1000",), ("2000",), ("404",)])
    assert read_shirt.model_copy(update={"variants": ()}) == shirt().model_copy(update={"variants": ()})
    assert [(v.sku, v.options, v.price, v.tracked) for v in read_shirt.variants] == [
        ("1001", {"size": "S", "colour": "white"}, Money.model_validate("29.95 EUR"), True),
        ("1002", {"size": "M", "colour": "white"}, Money.model_validate("29.95 EUR"), True),
    ]
    assert read_mug.options == () and read_mug.variants[0].options == {}

    client.write(Entity.product, [shirt("Organic shirt II", "31.00")])
    assert len(shopify.sandbox.shop.products) == 2, "updated in place, not duplicated"
    [again] = client.read(Entity.product, [("1000",)])
    assert again.title == "Organic shirt II" and again.variants[0].price == Money.model_validate("31.00 EUR")
    calls = client.calls
    everything = client.read(Entity.product)  # a bulk export
    assert sorted(p.sku for p in everything) == ["1000", "2000"]
    assert next(p for p in everything if p.sku == "1000") == again
    assert client.calls - calls == 2, "one mutation to start the export, one poll"


def test_a_product_shopify_refuses_is_a_record_error_and_the_batch_goes_on(shopify: Running) -> None:
    client = shopify.client()
    four_options = MUG.model_copy(update={"sku": "3000", "options": ("a", "b", "c", "d")})
    duplicate = Product(sku="4000", title="Twins", options=("size",), variants=(
        Variant(sku="4001", options={"size": "S"}), Variant(sku="4002", options={"size": "S"})))  # fmt: skip
    outcomes = client.write(Entity.product, [four_options, MUG, duplicate])
    assert outcomes[0].error == "Shopify allows 3 options per product, 3000 has 4"
    assert outcomes[1].error is None
    assert outcomes[2].error is not None and "DUPLICATED_OPTION_VALUE" in outcomes[2].error
    assert outcomes[2].error.startswith("input.variants.1")


def test_stock_is_set_per_location_in_one_call(shopify: Running) -> None:
    client = shopify.client()
    client.write(Entity.product, [shirt(), MUG])
    calls = client.calls
    pairs = [(sku, location) for sku in ("1001", "1002", "2000") for location in LOCATIONS]
    levels = [StockLevel(sku=sku, location=location, available=Decimal(n)) for n, (sku, location) in enumerate(pairs)]
    outcomes = client.write(Entity.stock, levels)
    assert [o.error for o in outcomes] == [None] * 6
    assert client.calls - calls == 3, "one read of the inventory, one of the locations, one write"
    read = {(r.sku, r.location): r.available for r in client.read(Entity.stock) if isinstance(r, StockLevel)}
    assert read == {(lvl.sku, lvl.location): lvl.available for lvl in levels}


def test_stock_says_what_it_really_sent_the_available_quantity_alone(shopify: Running) -> None:
    """The activity log shows this as sent: on hand and reserved are never sent to Shopify, so a
    record's on_hand (the shop's own, merged into the record) is not shown as if it were."""
    client = shopify.client()
    client.write(Entity.product, [MUG])
    level = StockLevel(sku="2000", location="warehouse", on_hand=Decimal(0), reserved=Decimal(0), available=Decimal(12))
    refused = StockLevel(sku="2000", location="store-amsterdam", available=Decimal(3_000_000_000))
    [sent, not_sent] = client.write(Entity.stock, [level, refused])
    assert sent.sent is not None and sent.sent["name"] == "available" and sent.sent["quantity"] == 12
    assert "on_hand" not in sent.sent and sent.sent["inventoryItemId"] == sent.target_id
    assert not_sent.error is not None and not_sent.sent is None, "refused before any call: nothing was sent"
    [off] = client.write(Entity.stock, [level.model_copy(update={"tracked": False})])
    assert off.sent == {"inventoryItemId": sent.target_id, "tracked": False}


def test_stock_errors_name_the_record_and_the_rest_is_written(shopify: Running) -> None:
    client = shopify.client()
    client.write(Entity.product, [MUG])
    outcomes = client.write(Entity.stock, [
        StockLevel(sku="2000", location="warehouse", available=Decimal(4)),
        StockLevel(sku="2000", location="moon-base", available=Decimal(1)),
        StockLevel(sku="9999", location="warehouse", available=Decimal(1)),
        StockLevel(sku="2000", location="store-amsterdam", available=Decimal("1.5")),
    ])  # fmt: skip
    assert outcomes[0].error is None
    assert outcomes[1].error == "Shopify has no active location named 'moon-base'; known: store-amsterdam, warehouse"
    assert outcomes[2].error == "Shopify has no variant with SKU 9999 stocked at warehouse"
    assert outcomes[3].error == "Shopify keeps whole units; 2000 at store-amsterdam has 1.5"
    too_many = StockLevel(sku="2000", location="warehouse", available=Decimal(3_000_000_000))
    [huge] = client.write(Entity.stock, [too_many])
    assert huge.error == "Shopify counts stock in 32-bit whole numbers; 2000 at warehouse has 3000000000"
    assert client.read(Entity.stock, [("2000", "warehouse")])[0].available == 4


def test_compare_quantities_refuses_to_overwrite_a_sale_made_since_the_read(shopify: Running) -> None:
    client = shopify.client(compare_quantities=True)
    client.write(Entity.product, [MUG])
    client.write(Entity.stock, [StockLevel(sku="2000", location="warehouse", available=Decimal(10))])
    [level] = client.read(Entity.stock, [("2000", "warehouse")])
    other = shopify.client()  # a sale in the shop lowers stock to 9 meanwhile
    other.write(Entity.stock, [StockLevel(sku="2000", location="warehouse", available=Decimal(9))])
    [outcome] = client.write(Entity.stock, [level.model_copy(update={"available": Decimal(12)})])
    assert outcome.error is not None and "CHANGE_FROM_QUANTITY_STALE" in outcome.error
    assert other.read(Entity.stock, [("2000", "warehouse")])[0].available == 9


def test_untracked_stock_is_switched_off_not_counted(shopify: Running) -> None:
    client = shopify.client()
    client.write(Entity.product, [MUG])
    [outcome] = client.write(
        Entity.stock, [StockLevel(sku="2000", location="warehouse", available=Decimal(3), tracked=False)]
    )
    assert outcome.error is None
    assert all(r.tracked is False for r in client.read(Entity.stock, [("2000", "warehouse")]))


def test_a_wrong_token_is_fatal(shopify: Running) -> None:
    client = shopify.client()
    client.transport.http.headers["X-Shopify-Access-Token"] = "shpat_revoked"
    with pytest.raises(FatalConnectorError, match="refused the access token"):
        client.read(Entity.product, [("1",)])


def test_a_missing_scope_is_fatal_and_named(shopify: Running) -> None:
    shopify.sandbox.scopes = frozenset({"read_products"})
    with pytest.raises(FatalConnectorError, match="Required access: `write_products` access scope"):
        shopify.client().write(Entity.product, [MUG])


def test_faults_are_retried_until_the_request_goes_through(shopify: Running) -> None:
    shopify.sandbox.faults = Faults(rates={"429": 0.1, "500": 0.1, "drop": 0.1}, seed=7)
    client = shopify.client()
    client.transport.sleep = lambda seconds: None
    for _ in range(5):
        assert [o.error for o in client.write(Entity.product, [MUG])] == [None]
    assert client.transport.usage.retries > 0
    assert len(shopify.sandbox.shop.products) == 1


def test_a_slow_answer_is_a_timeout_then_retried(shopify: Running) -> None:
    shopify.sandbox.faults = Faults(rates={"timeout": 1.0}, slow_seconds=0.5)
    client = shopify.client(timeout=0.2)
    client.transport.sleep = lambda seconds: None
    client.transport.max_attempts = 2
    with pytest.raises(Exception, match=r"gave up after 2 attempts \(no answer within 0.2 s\)"):
        client.read(Entity.product, [("1",)])


def test_pacing_never_overdraws_a_small_bucket_and_waits_no_longer_than_needed() -> None:
    from connectors.testing.server import serving

    clock = FakeClock()
    sandbox = ShopifySandbox(plan=Plan("small", 1000, 50), clock=clock.now)
    sandbox.shop.add_location("warehouse")
    arrivals: list[tuple[float, float, float]] = []  # (time, points in the bucket, cost) per request
    take = sandbox.bucket.take

    def recording_take(cost: float) -> bool:
        arrivals.append((clock.t, sandbox.bucket.available(), cost))
        return take(cost)

    sandbox.bucket.take = recording_take  # type: ignore[method-assign]
    with serving(sandbox) as url:
        running = Running(sandbox, url)
        client = running.client()
        client.transport.clock, client.transport.sleep = clock.now, clock.sleep
        products = [MUG.model_copy(update={"sku": str(n), "variants": (Variant(sku=str(n)),)}) for n in range(100, 160)]
        assert all(o.error is None for o in client.write(Entity.product, products))
        assert len(client.read(Entity.product, [(p.sku,) for p in products])) == 60
        running.close()
    usage = client.transport.usage
    assert usage.throttled == 0 and all(level >= cost for _, level, cost in arrivals), "never overdrawn"
    after_a_wait = [level - cost for (t0, _, _), (t, level, cost) in itertools.pairwise(arrivals) if t > t0]
    assert after_a_wait and max(after_a_wait) < 2.01, "after a wait, a request found just what it needed"
    assert usage.waited_s > 0


class FakeClock:
    """A clock shared by client and sandbox that moves only when the client waits."""

    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_customers_are_matched_by_email_and_a_company_keeps_its_name(shopify: Running) -> None:
    from engine.records import Address, Contact, Customer

    company = Customer(
        email="Inkoop@BakkerijDeKorf.nl",
        kind="company",
        number="20001",
        company_name="Bakkerij De Korf",
        contact=Contact(first_name="Sanne", last_name="de Vries"),
        phone="+31201234567",
        billing_address=Address(street="Prinsengracht", house_number="263", postal_code="1016 GV", city="Amsterdam",
                                country="NL"),
    )  # fmt: skip
    person = Customer(email="j.jansen@example.com", first_name="Jan", last_name="Jansen")
    bad = Customer(email="not-an-email", first_name="X")
    client = shopify.client()
    outcomes = client.write(Entity.customer, [company, person, bad])
    assert [o.error for o in outcomes[:2]] == [None, None]
    assert outcomes[2].error == "input.email: Email is invalid (INVALID)"
    read = {
        c.email: c for c in client.read(Entity.customer, [("inkoop@bakkerijdekorf.nl",), ("j.jansen@example.com",)])
    }
    back = read["inkoop@bakkerijdekorf.nl"]
    assert (back.kind, back.company_name, back.number, back.contact) == (
        "company",
        "Bakkerij De Korf",
        "20001",
        Contact(first_name="Sanne", last_name="de Vries", email=back.email, phone="+31201234567"),
    )
    assert back.billing_address is not None and (back.billing_address.street, back.billing_address.house_number) == (
        "Prinsengracht",
        "263",
    )
    assert read["j.jansen@example.com"].kind == "person" and read["j.jansen@example.com"].first_name == "Jan"
    client.write(Entity.customer, [person.model_copy(update={"last_name": "Jansen-Smit"})])
    assert len(shopify.sandbox.shop.customers) == 2, "matched by email, not created again"


def test_orders_are_read_with_lines_customer_and_source(shopify: Running) -> None:
    from engine.records import Order

    client = shopify.client()
    client.write(Entity.product, [shirt(), MUG])
    client.write(Entity.stock, [StockLevel(sku="2000", location="store-amsterdam", available=Decimal(5))])
    shop = shopify.sandbox.shop
    web = shop.place_order([("1001", 2), ("2000", 1)], email="j.jansen@example.com",
                           billing_address={"firstName": "Jan", "lastName": "Jansen", "address1": "Keizersgracht 123-A",
                                            "zip": "1015 CJ", "city": "Amsterdam", "countryCode": "NL"})  # fmt: skip
    shop.place_order([("2000", 1)], financial_status="PENDING")
    pos = shop.place_order([("2000", 2)], source="pos", location="store-amsterdam", gateway="cash")
    everything = client.read(Entity.order)
    assert len(everything) == 3 and all(isinstance(o, Order) for o in everything)
    web_name, pos_name = shop.orders[web]["name"], shop.orders[pos]["name"]
    [first] = client.read(Entity.order, [(web_name,)])
    assert isinstance(first, Order)
    assert (first.source, first.financial_status, first.currency) == ("web", "paid", "EUR")
    assert [(line.sku, line.quantity, line.price, line.tax_rate) for line in first.lines] == [
        ("1001", 2, Money.model_validate("29.95 EUR"), 21),
        ("2000", 1, Money.model_validate("12.50 EUR"), 21),
    ]
    assert first.total == Money.model_validate("72.40 EUR")
    assert first.customer is not None and first.customer.email == "j.jansen@example.com"
    assert (first.customer.first_name, first.customer.last_name) == ("Jan", "Jansen"), "named by the billing address"
    assert first.billing_address is not None and (
        first.billing_address.house_number,
        first.billing_address.house_number_suffix,
    ) == ("123", "A")
    [till] = client.read(Entity.order, [(pos_name,)])
    assert isinstance(till, Order) and (till.source, till.branch, till.payment_method) == (
        "pos",
        "store-amsterdam",
        "cash",
    )
    [level] = client.read(Entity.stock, [("2000", "store-amsterdam")])
    assert level.available == 3, "the POS sale took stock from its location"


def test_categories_become_collections_that_products_join(shopify: Running) -> None:
    from engine.records import Category

    client = shopify.client()
    home = Category(key="home", name="Home", description="Kitchen and living")
    mugs = Category(key="home-mugs", name="Mugs", parent="home")
    assert [o.error for o in client.write(Entity.category, [home, mugs])] == [None, None]
    assert sorted(client.read(Entity.category), key=lambda c: c.key) == [home, mugs]  # type: ignore[attr-defined]
    client.write(Entity.category, [mugs.model_copy(update={"name": "Mugs & cups"})])
    assert len(shopify.sandbox.shop.collections) == 2, "updated by handle, not created again"
    in_mugs = MUG.model_copy(update={"categories": ("home", "home-mugs")})
    [outcome] = client.write(Entity.product, [in_mugs])
    assert outcome.error is None
    assert client.read(Entity.product, [("2000",)])[0].categories == ("home", "home-mugs")
    [missing] = client.write(Entity.product, [MUG.model_copy(update={"categories": ("garden",)})])
    assert missing.error == "Shopify has no collection garden; sync the categories first"


def test_prices_per_group_go_to_the_price_list_of_that_name(shopify: Running) -> None:
    from engine.records import Price

    shopify.sandbox.shop.add_price_list("b2b", "EUR")
    client = shopify.client()
    client.write(Entity.product, [shirt(), MUG])
    wholesale = [
        Price(sku="1001", price_group="b2b", price=Money.model_validate("18.50 EUR")),
        Price(sku="2000", price_group="b2b", price=Money.model_validate("7.25 EUR"),
              compare_at_price=Money.model_validate("8.00 EUR")),
    ]  # fmt: skip
    outcomes = client.write(Entity.price, [
        *wholesale,
        Price(sku="2000", price_group="export", price=Money.model_validate("9.00 EUR")),
        Price(sku="9999", price_group="b2b", price=Money.model_validate("1.00 EUR")),
        Price(sku="1002", price_group="b2b", price=Money.model_validate("20.00 USD")),
    ])  # fmt: skip
    assert [o.error for o in outcomes] == [
        None, None,
        "Shopify has no price list named 'export'; known: b2b",
        "Shopify has no variant with SKU 9999",
        "price list b2b is in EUR; the price of 1002 is in USD",
    ]  # fmt: skip
    assert sorted(client.read(Entity.price), key=repr) == sorted(wholesale, key=repr)
    assert client.read(Entity.price, [("2000", "b2b")]) == [wholesale[1]]


def test_images_are_uploaded_from_their_urls_once_and_read_back(shopify: Running) -> None:
    urls = ("https://cdn.example.com/mug-front.jpg", "https://cdn.example.com/mug-side.jpg")
    client = shopify.client()
    client.write(Entity.product, [MUG.model_copy(update={"images": urls})])
    [product] = shopify.sandbox.shop.products.values()
    first_media = [m["id"] for m in product["media"]]
    assert [m["originalSource"] for m in product["media"]] == list(urls)
    assert client.read(Entity.product, [("2000",)])[0].images == urls
    client.write(Entity.product, [MUG.model_copy(update={"images": urls, "title": "Big mug"})])
    assert [m["id"] for m in product["media"]] == first_media, "unchanged images are not uploaded again"
    client.write(Entity.product, [MUG.model_copy(update={"images": urls[:1]})])
    assert [m["originalSource"] for m in product["media"]] == [urls[0]]
    [bad] = client.write(Entity.product, [MUG.model_copy(update={"images": ("file:///etc/passwd",)})])
    assert bad.error == "image 'file:///etc/passwd' of 2000 is not an http(s) URL"


def test_shipments_fulfil_order_lines_with_track_and_trace(shopify: Running) -> None:
    from engine.records import Shipment, ShipmentLine

    client = shopify.client()
    client.write(Entity.product, [shirt(), MUG])
    order = shopify.sandbox.shop.place_order([("1001", 2), ("2000", 1)], email="j.jansen@example.com")
    name = shopify.sandbox.shop.orders[order]["name"]
    first = Shipment(key=f"{name}/3SABC1", order_number=name, tracking_number="3SABC1", carrier="PostNL",
                     tracking_url="https://postnl.nl/tracktrace/3SABC1",
                     lines=(ShipmentLine(sku="1001", quantity=Decimal(1)),))  # fmt: skip
    rest = Shipment(key=f"{name}/3SABC2", order_number=name, tracking_number="3SABC2", carrier="PostNL")
    too_many = Shipment(key=f"{name}/X", order_number=name, lines=(ShipmentLine(sku="2000", quantity=Decimal(5)),))
    nowhere = Shipment(key="#9/Y", order_number="#9", tracking_number="Y")
    outcomes = client.write(Entity.shipment, [first, too_many, rest, nowhere])
    assert outcomes[0].error is None and outcomes[2].error is None
    assert outcomes[1].error == f"order {name} has no 5 of 2000 left to fulfil"
    assert outcomes[3].error == "Shopify has no order #9"
    read = client.read(Entity.shipment, [(first.key,), (rest.key,)])
    assert [(s.key, s.carrier, s.tracking_url, [(line.sku, line.quantity) for line in s.lines]) for s in read] == [
        (first.key, "PostNL", "https://postnl.nl/tracktrace/3SABC1", [("1001", 1)]),
        (rest.key, "PostNL", None, [("1001", 1), ("2000", 1)]),
    ]
    [again] = client.write(
        Entity.shipment, [rest.model_copy(update={"key": f"{name}/3SABC3", "tracking_number": "3SABC3"})]
    )
    assert again.error == f"order {name} has nothing left to fulfil"


def test_a_product_made_by_hand_with_the_same_sku_is_adopted_not_duplicated(shopify: Running) -> None:
    shop = shopify.sandbox.shop
    shop.product_set(None, {"title": "Mug (by hand)", "variants": [
        {"sku": "2000", "optionValues": [{"optionName": "Title", "name": "Default Title"}]}]})  # fmt: skip
    client = shopify.client()
    [outcome] = client.write(Entity.product, [MUG])
    assert outcome.error is None and len(shop.products) == 1
    assert client.read(Entity.product, [("2000",)])[0].title == "Mug"
    [clash] = client.write(Entity.product, [MUG.model_copy(update={"sku": "7000"})])
    assert clash.error == "SKU of 7000 already belongs to Shopify product 2000"


def test_a_system_order_query_keeps_to_pos_sales(shopify: Running) -> None:
    from engine.connector import ReadFilter

    client = shopify.client(order_query="source_name:pos")
    client.write(Entity.product, [MUG])
    shop = shopify.sandbox.shop
    shop.place_order([("2000", 1)])
    till = shop.place_order([("2000", 1)], source="pos", location="warehouse")
    shop.place_order([("2000", 1)], source="pos", location="warehouse", financial_status="PENDING")
    read = client.read(Entity.order, None, ReadFilter(statuses=("paid",)))
    assert [o.number for o in read] == [shop.orders[till]["name"]]  # type: ignore[attr-defined]
    assert shopify.sandbox.log[-1][1]["query"] == "(source_name:pos) AND (financial_status:paid)"


def test_an_order_tillsync_cannot_take_is_that_orders_error_and_the_others_read(shopify: Running) -> None:
    """An order of 26 lines (Tillsync reads 25 per order) and one whose line price is no number are
    errors of those orders when they are built; the read itself goes on and the others build."""
    from engine.connector import read_raw
    from engine.errors import RecordError

    shop = shopify.sandbox.shop
    for sku in [str(6000 + n) for n in range(26)]:
        shop.product_set(
            None,
            {
                "title": f"Item {sku}",
                "variants": [
                    {"sku": sku, "price": "1.00", "optionValues": [{"optionName": "Title", "name": "Default Title"}]}
                ],
            },
        )
    big = shop.orders[shop.place_order([(str(6000 + n), 1) for n in range(26)], email="a@example.com")]["name"]
    odd_id = shop.place_order([("6000", 1)], email="b@example.com")
    shop.orders[odd_id]["lineItems"][0]["price"] = "NaN"  # as a broken answer would carry it
    fine = shop.orders[shop.place_order([("6001", 2)], email="c@example.com")]["name"]
    raws = list(read_raw(shopify.client(), Entity.order))
    assert sorted(raw.key[0] for raw in raws) == sorted([big, shop.orders[odd_id]["name"], fine])
    built, refused = {}, {}
    for raw in raws:
        try:
            built[raw.key[0]] = raw.build()
        except (RecordError, ValueError) as exc:
            refused[raw.key[0]] = str(exc)
    assert list(built) == [fine]
    assert "more than 25 lines" in refused[big]
    assert "finite number" in refused[shop.orders[odd_id]["name"]], refused


def test_a_batch_stopped_after_its_first_request_hands_back_what_was_written(shopify: Running) -> None:
    """Fifteen products go in two `productSet` requests; when the second fails for good, the ten the
    first wrote come back as written (`WriteInterrupted`), not failed with the second one's error."""
    client = shopify.client()
    session = client.session
    sent = session.request_batch

    def second_fails(operation: str, *args: Any) -> dict[str, Any]:
        if operation == "ProductSet" and shopify.sandbox.shop.products:
            raise RetriableConnectorError("the connection was cut")
        return sent(operation, *args)

    session.request_batch = second_fails  # type: ignore[method-assign]
    products = [MUG.model_copy(update={"sku": f"{n}", "variants": (MUG.variants[0].model_copy(
        update={"sku": f"{n}"}),)}) for n in range(5000, 5015)]  # fmt: skip
    with pytest.raises(WriteInterrupted) as stopped:
        client.write(Entity.product, products)
    assert isinstance(stopped.value.cause, RetriableConnectorError)
    assert sorted(o.key[0] for o in stopped.value.outcomes) == [f"{n}" for n in range(5000, 5010)]
    assert all(o.error is None and o.target_id for o in stopped.value.outcomes)
    assert len(shopify.sandbox.shop.products) == 10
