"""The `files` connector: round trips in every format, the CSV layout, and located errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.files import FilesSettings
from connectors.files.client import FilesClient
from engine.errors import FatalConnectorError
from engine.records import (
    Address,
    Customer,
    Entity,
    Money,
    Order,
    OrderLine,
    Product,
    Record,
    StockLevel,
    Variant,
)

SHIRT = Product(
    sku="100",
    title="Shirt",
    description="Organic cotton",
    tags=("summer", "sale"),
    options=("size",),
    features={"country_of_origin": "PT"},
    variants=(
        Variant(sku="101", options={"size": "M"}, price=Money.model_validate("19.99 EUR"), barcode="8712345678906"),
        Variant(sku="102", options={"size": "L"}, price=Money.model_validate("21.50 EUR")),
    ),
)
MUG = Product(sku="200", title="Mug", variants=(Variant(sku="200"),))
ORDER = Order(
    number="W1001",
    currency="EUR",
    financial_status="paid",
    customer=Customer(
        email="Anna@Example.com",
        kind="company",
        company_name="Anna BV",
        billing_address=Address(street="Keizersgracht", house_number="123", city="Amsterdam", country="NL"),
    ),
    lines=(
        OrderLine(sku="101", quantity=Decimal("2"), price=Money.model_validate("19.99 EUR")),
        OrderLine(sku="200", quantity=Decimal("1.5"), price=Money.model_validate("4.00 EUR")),
    ),
    payment_method="ideal",
)
STOCK = [
    StockLevel(sku="101", location="1", on_hand=Decimal(5), reserved=Decimal(1)),
    StockLevel(sku="101", location="2", on_hand=Decimal("0.250")),
]
RECORDS: list[tuple[Entity, list[Record]]] = [
    (Entity.product, [SHIRT, MUG]),
    (Entity.order, [ORDER]),
    (Entity.stock, list(STOCK)),
]


def client(folder: Path, fmt: str = "csv") -> FilesClient:
    folder.mkdir(exist_ok=True)
    return FilesClient(FilesSettings(path=str(folder), format=fmt))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
@pytest.mark.parametrize(("entity", "records"), RECORDS, ids=[e.value for e, _ in RECORDS])
def test_records_survive_a_round_trip(tmp_path: Path, fmt: str, entity: Entity, records: list[Record]) -> None:
    files = client(tmp_path, fmt)
    outcomes = files.write(entity, records)
    assert [o.error for o in outcomes] == [None] * len(records)
    assert sorted(files.read(entity), key=repr) == sorted(records, key=repr)
    assert not list(tmp_path.glob(".*.tmp")), "temporary files are cleaned up"


def test_csv_spreads_variants_over_rows_with_dotted_columns(tmp_path: Path) -> None:
    files = client(tmp_path)
    files.write(Entity.product, [SHIRT])
    lines = (tmp_path / "products.csv").read_text().splitlines()
    assert lines[0].split(",") == [
        "sku", "title", "description", "status", "tags", "options", "features.country_of_origin",
        "variants.sku", "variants.barcode", "variants.options.size", "variants.price",
    ]  # fmt: skip
    assert lines[1] == "100,Shirt,Organic cotton,active,summer|sale,size,PT,101,8712345678906,M,19.99 EUR"
    assert lines[2] == "100,,,,,,,102,,L,21.50 EUR"


def test_an_exported_csv_is_read_as_the_erp_wrote_it(tmp_path: Path) -> None:
    (tmp_path / "stock.csv").write_text("sku;location;on_hand;reserved\n101;1;5;2\n102;1;0;\n")
    files = FilesClient(FilesSettings(path=str(tmp_path), delimiter=";"))
    assert files.read(Entity.stock) == [
        StockLevel(sku="101", location="1", on_hand=Decimal(5), reserved=Decimal(2)),
        StockLevel(sku="102", location="1", on_hand=Decimal(0)),
    ]


def test_read_by_keys_returns_only_those(tmp_path: Path) -> None:
    files = client(tmp_path)
    files.write(Entity.stock, STOCK)
    assert files.read(Entity.stock, [("101", "2"), ("999", "1")]) == [STOCK[1]]


def test_writes_update_in_place_sorted_by_key_and_deletes_remove(tmp_path: Path) -> None:
    files = client(tmp_path, "jsonl")
    files.write(Entity.product, [MUG, SHIRT])
    renamed = SHIRT.model_copy(update={"title": "T-shirt"})
    files.write(Entity.product, [renamed])
    assert files.read(Entity.product) == [renamed, MUG]
    outcomes = files.delete(Entity.product, [("200",), ("404",)])
    assert outcomes[0].error is None and outcomes[1].error == "no product 404 to delete"
    assert files.read(Entity.product) == [renamed]
    assert files.calls == 8  # each operation reads once, each change writes once


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("products.csv", "sku,title,variants\n1,A,x\n", "'variants' is an object; name its fields"),
        (
            "products.csv",
            "sku,title,variants.sku,variants.price\n1,A,1,cheap\n",
            "products.csv:2: column 'variants.price': 'cheap' is not an amount; expected e.g. 1234.50 EUR",
        ),
        ("products.csv", "sku,title\n1,A\n1,B\n", "products.csv:3: title is 'B' here but 'A' on line 2"),
        (  # a record's rows one after another, the first of two lines: each row's own line is said
            "products.csv",
            'sku,title,variants.sku,variants.price\n1,"Mug,\nlarge",11,1.00 EUR\n1,,12,2.00 EUR\n1,,13,cheap\n',
            "products.csv:5: column 'variants.price': 'cheap' is not an amount",
        ),
        (
            "products.csv",
            'sku,title,variants.sku,variants.price\n1,Mug,11,1.00 EUR\n1,"Mug\n2",12,2.00 EUR\n',
            "products.csv:4: title is 'Mug\\n2' here but 'Mug' on line 2",
        ),
        ("stock.csv", "sku,location\n1,1\n2,1\n1,1\n", "stock.csv:4: duplicate stock 1/1 (first on line 2)"),
        (
            "orders.csv",
            "number,currency,lines.sku,lines.quantity,lines.price\nW1,EUR,1,1,1.00 EUR\nW1,USD,2,1,1.00 EUR\n",
            "orders.csv:3: currency is 'USD' here but 'EUR' on line 2",
        ),
        ("stock.csv", "sku,location,on_hand\n1,1,many\n", "stock.csv:2: column 'on_hand': 'many' is not a number"),
        ("stock.csv", "sku,location\n1,1,5\n", "stock.csv:2: 3 cells, but the header names 2 columns"),
        ("products.jsonl", '{"sku": "1", "title": "A"}\n{"sku": "1", "title": "B"}\n', "product 1 appears twice"),
        ("products.jsonl", '{"sku": "1", "title": "A"}\n{"sku": "2", \n', "products.jsonl:2: invalid JSON"),
        ("products.jsonl", '{"sku": "1"}\n', "products.jsonl:1: title: Field required"),
        ("products.json", '{"sku": "1"}', "expected a JSON array of product records"),
    ],
)
def test_a_bad_file_is_an_error_that_says_where(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    files = client(tmp_path, name.rsplit(".", 1)[1])
    entity = {"products": Entity.product, "orders": Entity.order, "stock": Entity.stock}[name.split(".")[0]]
    with pytest.raises(FatalConnectorError) as caught:
        files.read(entity)
    assert message in str(caught.value)


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_raw_reads_give_keys_and_fingerprints_that_change_with_the_record_alone(tmp_path: Path, fmt: str) -> None:
    files = client(tmp_path, fmt)
    files.write(Entity.product, [SHIRT, MUG])
    before = {raw.key: raw for raw in files.read_raw(Entity.product)}
    assert sorted(before) == [("100",), ("200",)] and before[("100",)].build() == SHIRT
    files.write(Entity.product, [MUG.model_copy(update={"title": "Big mug"})])
    after = {raw.key: raw.fingerprint for raw in files.read_raw(Entity.product)}
    assert after[("100",)] == before[("100",)].fingerprint and after[("200",)] != before[("200",)].fingerprint
    # a file is read whole: asked for some keys, it hands out every record (the engine keeps those it asked for)
    assert sorted(raw.key for raw in files.read_raw(Entity.product, [("200",), ("404",)])) == [("100",), ("200",)]


def test_csv_rows_of_one_record_need_not_be_adjacent(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text(
        'sku,title,variants.sku,variants.price\n1,Shirt,11,1.00 EUR\n2,Mug,2,2.00 EUR\n1,,12,"1.50 EUR"\n'
    )
    [shirt, mug] = client(tmp_path).read(Entity.product)
    assert [v.sku for v in shirt.variants] == ["11", "12"] and mug.title == "Mug"  # type: ignore[attr-defined]


def test_json_lines_keep_line_separators_inside_text(tmp_path: Path) -> None:
    files = client(tmp_path, "jsonl")
    odd = MUG.model_copy(update={"description": "one\u2028two\u0085three"})
    files.write(Entity.product, [odd])
    assert files.read(Entity.product) == [odd]


def test_a_missing_folder_is_an_error_and_a_missing_file_is_empty(tmp_path: Path) -> None:
    with pytest.raises(FatalConnectorError, match="does not exist"):
        FilesClient(FilesSettings(path=str(tmp_path / "nope"))).read(Entity.product)
    assert client(tmp_path).read(Entity.customer) == []


def test_a_list_value_containing_the_separator_is_that_records_error_not_split(tmp_path: Path) -> None:
    bad, good = MUG.model_copy(update={"tags": ("a|b",)}), MUG.model_copy(update={"sku": "2001"})
    refused, written = client(tmp_path).write(Entity.product, [bad, good])
    assert refused.error is not None and "which CSV lists use" in refused.error and written.error is None
    assert [p.sku for p in client(tmp_path).read(Entity.product)] == ["2001"], "the others are written"


def test_the_connector_supports_every_entity_both_ways_with_a_catalogue() -> None:
    files = CONNECTORS["files"]
    for entity in Entity:
        assert files.supports(entity, read=True, write=True)
        assert files.entities[entity].catalogue
    assert "paid" in files.entities[Entity.order].statuses
