"""The `files` connector reading and writing an ERP's own CSV layout: its headers mapped by
`columns`, extra columns, separators, decimal commas, currencies and encodings, with located errors."""

from __future__ import annotations

import codecs
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from connectors import CONNECTORS
from connectors.files import FilesSettings
from connectors.files.client import FilesClient
from connectors.files.text import line_by_line, read_lines
from engine.errors import FatalConnectorError, RecordError
from engine.records import Entity, Money, Product, StockLevel, Variant
from engine.spec.models import Integration
from engine.spec.schema import editor_schema
from engine.validate.semantics import settings_problems

FIXTURES = Path(__file__).parents[1] / "fixtures" / "erp-export"
ERP: dict[str, Any] = {
    "delimiter": ";",
    "decimal": ",",
    "currency": "EUR",
    "columns": {
        "product": {"sku": "artnr", "title": "omschrijving", "variants.sku": "artnr", "variants.price": "prijs"},
        "stock": {"sku": "artnr", "location": "magazijn", "on_hand": "voorraad"},
    },
}


def erp(folder: Path, **settings: Any) -> FilesClient:
    return FilesClient(FilesSettings.model_validate({"path": str(folder), **ERP, **settings}))


def built(files: FilesClient, entity: Entity) -> dict[tuple[str, ...], Any]:
    """Each record of the file by key: the record, or the error building it raised."""
    out: dict[tuple[str, ...], Any] = {}
    for raw in files.read_raw(entity):
        try:
            out[raw.key] = raw.build()
        except RecordError as exc:
            out[raw.key] = str(exc)
    return out


# ---- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "loc", "message"),
    [
        ({"columns": {"product": {"skuu": "artnr"}}}, ("columns", "product", "skuu"), "did you mean 'sku'?"),
        (
            {"columns": {"product": {"variants.pric": "prijs"}}},
            ("columns", "product", "variants.pric"),
            "no product column: unknown field 'pric'; did you mean 'price'?",
        ),
        ({"columns": {"stok": {"sku": "artnr"}}}, ("columns", "stok"), "did you mean 'stock'? known: product, stock"),
        ({"columns": {"product": {"title": ""}}}, ("columns", "product", "title"), "at least 1 character"),
        ({"format": "jsonl", "decimal": ","}, (), "decimal applies to format: csv only"),
        ({"encoding": "latin9"}, ("encoding",), "'utf-8', 'utf-8-sig', 'cp1252'"),
        ({"currency": "euro"}, ("currency",), "pattern"),
        ({"delimiter": ";;"}, ("delimiter",), "at most 1 character"),
    ],
)
def test_settings_problems_are_located_and_say_what_is_valid(
    settings: dict[str, Any], loc: tuple[str, ...], message: str
) -> None:
    [(where, said)] = settings_problems(CONNECTORS["files"], {"path": "erp", **settings}, partial=True)
    assert where == loc and message in said


def test_the_integration_schema_checks_a_files_systems_settings_for_editors() -> None:
    settings = {name: connector.settings for name, connector in CONNECTORS.items()}
    validator = Draft202012Validator(editor_schema(Integration, settings))
    spec = {"version": 1, "name": "x", "flows": {}, "systems": {"erp": {"connector": "files", "settings": ERP}}}
    assert [e.message for e in validator.iter_errors(spec) if "flows" not in e.json_path] == []
    spec["systems"]["erp"]["settings"] = {**ERP, "decimal": ";", "extra_columns": "drop"}
    assert sorted(e.message for e in validator.iter_errors(spec) if "flows" not in e.json_path) == [
        "';' is not one of ['.', ',']",
        "'drop' is not one of ['ignore', 'keep', 'error']",
    ]
    spec["systems"]["erp"]["connector"] = "shopify"  # another connector's settings are not the files ones
    assert any("unexpected" in e.message for e in validator.iter_errors(spec))


# ---- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["cp1252", "utf8-bom"])
def test_the_erp_fixture_reads_with_its_headers_decimal_commas_and_accents(folder: str) -> None:
    settings = {**ERP, "encoding": "cp1252", "files": {"product": "artikelen.csv", "stock": "voorraad.csv"}}
    settings["columns"] = {
        "product": {"sku": "Artikelnummer", "title": "Omschrijving", "variants.sku": "Artikelnummer",
                    "variants.price": "Verkoopprijs", "variants.weight_grams": "Gewicht (g)"},
        "stock": {"sku": "Artikelnummer", "location": "Magazijn", "on_hand": "Voorraad", "reserved": "Gereserveerd"},
    }  # fmt: skip
    files = FilesClient(FilesSettings.model_validate({"path": str(FIXTURES / folder), **settings}))
    products = {p.sku: p for p in files.read(Entity.product)}
    assert products["1001"].title == "Koffiebeker Café grijs"  # type: ignore[attr-defined]
    assert products["1002"].title == "Theeglas Noël 250 ml"  # type: ignore[attr-defined]
    duvet = products["2001"].variants[0]  # type: ignore[attr-defined]
    assert (duvet.price, duvet.weight_grams) == (Money(amount=Decimal("1249.00"), currency="EUR"), Decimal(1850))
    stock = {(s.sku, s.location): s for s in files.read(Entity.stock)}
    assert stock[("2001", "1")].on_hand == Decimal(1204) and stock[("2001", "1")].reserved == Decimal(4)


@pytest.mark.parametrize(("delimiter", "text"), [(",", "sku,location,on_hand\n"), ("\t", "sku\tlocation\ton_hand\n")])
def test_the_delimiter_is_the_systems(tmp_path: Path, delimiter: str, text: str) -> None:
    row = text.replace("sku", "1").replace("location", "2").replace("on_hand", '"3,5"' if delimiter == "," else "3,5")
    (tmp_path / "stock.csv").write_text(text + row)
    files = FilesClient(FilesSettings(path=str(tmp_path), delimiter=delimiter, decimal=","))
    assert files.read(Entity.stock) == [StockLevel(sku="1", location="2", on_hand=Decimal("3.5"))]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("12,3,4", "column 'prijs' (variants.price): '12,3,4' is not an amount; expected e.g. 1.234,50 EUR"),
        ("1.23,50", "'1.23,50' is not an amount"),
        ("12.50", "'12.50' is not an amount"),
    ],
)
def test_a_bad_amount_is_that_records_error_with_line_and_column(tmp_path: Path, cell: str, message: str) -> None:
    (tmp_path / "products.csv").write_text(f"artnr;omschrijving;prijs\n1;Mug;1.234,50\n2;Cup;{cell}\n3;Jug;4,5 USD\n")
    records = built(erp(tmp_path), Entity.product)
    assert records[("1",)].variants[0].price == Money(amount=Decimal("1234.50"), currency="EUR")
    assert records[("3",)].variants[0].price == Money(amount=Decimal("4.5"), currency="USD")
    assert records[("2",)].startswith(f"{tmp_path / 'products.csv'}:3: ") and message in records[("2",)]


def test_an_amount_without_a_currency_needs_the_systems_currency(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text("artnr;omschrijving;prijs\n1;Mug;4,50\n")
    records = built(erp(tmp_path, currency=None), Entity.product)
    assert "'4,50' names no currency; write e.g. 1.234,50 EUR, or set the system's currency" in records[("1",)]


def test_an_undecodable_byte_is_that_rows_error_naming_line_and_encoding(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_bytes("artnr;omschrijving;prijs\n1;Mug;1,00\n2;Café;2,00\n".encode("cp1252"))
    records = built(erp(tmp_path), Entity.product)
    assert records[("1",)].title == "Mug"
    assert records[("2",)] == (
        f"{tmp_path / 'products.csv'}:3: byte 0xE9 at byte 6 of the line is not utf-8 text; "
        "if the file comes from a Windows program, set encoding: cp1252"
    )
    assert built(erp(tmp_path, encoding="cp1252"), Entity.product)[("2",)].title == "Café"


def test_a_byte_order_mark_is_read_as_utf8_whatever_the_encoding(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_bytes("artnr;omschrijving;prijs\r\n1;Zoë;1,00\r\n".encode("utf-8-sig"))
    for encoding in ("utf-8", "cp1252"):
        [mug] = erp(tmp_path, encoding=encoding).read(Entity.product)
        assert mug.title == "Zoë"  # type: ignore[attr-defined]


def test_extra_columns_are_ignored_kept_or_refused(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text("artnr;omschrijving;merk;prijs;;\n1;Mug;Tillwear;1,00;;\n")
    [ignored] = erp(tmp_path).read(Entity.product)
    assert ignored == Product(sku="1", title="Mug", variants=(Variant(sku="1", price=Money.model_validate("1 EUR")),))
    [kept] = erp(tmp_path, extra_columns="keep").read(Entity.product)
    assert kept.extra == {"merk": "Tillwear"} and kept.title == "Mug"  # type: ignore[attr-defined]
    with pytest.raises(FatalConnectorError, match=r"products.csv:1: column 'merk': unknown field 'merk'"):
        erp(tmp_path, extra_columns="error").read(Entity.product)


def test_a_misspelt_canonical_column_is_an_error_even_when_extra_columns_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text("sku,title,variants.pric\n1,Mug,1.00 EUR\n")
    with pytest.raises(
        FatalConnectorError, match=r"column 'variants.pric': unknown field 'pric'; did you mean 'price'"
    ):
        FilesClient(FilesSettings(path=str(tmp_path))).read(Entity.product)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("artnr;omschr;prijs", "products.csv:1: no column 'omschrijving', which columns: product: title names; "
                               "did you mean 'omschr'? the file has: artnr, omschr, prijs"),
        ("artnr;omschrijving;prijs;omschrijving", "columns 'omschrijving' and 'omschrijving' are both title"),
    ],
)  # fmt: skip
def test_a_header_the_map_names_must_be_in_the_file_once(tmp_path: Path, header: str, message: str) -> None:
    (tmp_path / "products.csv").write_text(f"{header}\n1;Mug;1,00;x\n")
    with pytest.raises(FatalConnectorError) as caught:
        erp(tmp_path).read(Entity.product)
    assert message in str(caught.value)


# ---- writing -------------------------------------------------------------------------------


def test_writes_are_in_the_erps_layout_and_read_back(tmp_path: Path) -> None:
    files = erp(tmp_path, encoding="cp1252")
    mug = Product(
        sku="1", title="Théglas", vendor="Tillwear",
        variants=(Variant(sku="1", price=Money.model_validate("1234.5 EUR"), tax_rate=Decimal("9")),),
    )  # fmt: skip
    stock = StockLevel(sku="1", location="2", on_hand=Decimal("2.5"))
    assert [o.error for o in files.write(Entity.product, [mug])] == [None]
    assert [o.error for o in files.write(Entity.stock, [stock])] == [None]
    assert (tmp_path / "products.csv").read_bytes().decode("cp1252").splitlines() == [
        "artnr;omschrijving;vendor;status;prijs;variants.tax_rate",
        "1;Théglas;Tillwear;active;1234,5;9",
    ]
    assert (tmp_path / "stock.csv").read_text() == "artnr;magazijn;voorraad\n1;2;2,5\n"
    assert files.read(Entity.product) == [mug] and files.read(Entity.stock) == [stock]


def test_a_record_the_file_cannot_hold_is_that_records_error(tmp_path: Path) -> None:
    files = erp(tmp_path, encoding="cp1252")
    two_variants = Product(sku="1", title="Set", variants=(Variant(sku="11"), Variant(sku="12")))
    emoji = Product(sku="2", title="Mug ☕", variants=(Variant(sku="2"),))
    fine = Product(sku="3", title="Jug", variants=(Variant(sku="3"),))
    shared, unencodable, written = files.write(Entity.product, [two_variants, emoji, fine])
    assert shared.error == "column 'artnr' is both sku '1' and variants.sku '11'"
    assert unencodable.error == "'☕' cannot be written in cp1252"
    assert written.error is None and [p.sku for p in files.read(Entity.product)] == ["3"]  # type: ignore[attr-defined]


def test_kept_extra_columns_survive_a_write_and_utf8_sig_writes_a_bom(tmp_path: Path) -> None:
    (tmp_path / "stock.csv").write_text("artnr;magazijn;voorraad;omschrijving\n1;2;5;Winkel\n1;3;1;Depot\n")
    files = erp(tmp_path, extra_columns="keep", encoding="utf-8-sig")
    files.write(Entity.stock, [StockLevel(sku="1", location="2", on_hand=Decimal(4))])
    assert (tmp_path / "stock.csv").read_bytes().decode("utf-8") == (
        "\ufeffartnr;magazijn;voorraad;omschrijving\n1;2;4;Winkel\n1;3;1;Depot\n"
    )


def test_kept_extra_columns_are_readable_by_mappings_only_when_kept() -> None:
    files = CONNECTORS["files"]
    assert "extra" in files.read_catalogue(Entity.product, {"extra_columns": "keep"})
    assert "extra" not in files.read_catalogue(Entity.product, {"extra_columns": "ignore"})
    assert "extra" not in files.entities[Entity.product].catalogue, "never written by a mapping"
    assert json.dumps(sorted(files.read_catalogue(Entity.stock, {}))) == json.dumps(
        sorted(files.entities[Entity.stock].catalogue)
    )


@given(st.binary(max_size=200), st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "iso-8859-1", "iso-8859-15"]))
def test_a_file_decoded_whole_gives_the_lines_and_problems_it_gives_decoded_line_by_line(
    data: bytes, encoding: str
) -> None:
    # Line ends of every kind, and bytes no UTF-8 reader takes, drawn more often than chance would.
    for mark in (b"\r\n", b"\r", b"\x85", "\u2028".encode(), b"\x0b", b"\xff"):
        data = data.replace(b"#", mark, 1)
    as_utf8 = encoding == "utf-8-sig" or data.startswith(codecs.BOM_UTF8)
    expected = line_by_line(data.removeprefix(codecs.BOM_UTF8), "utf-8" if as_utf8 else encoding)
    assert read_lines(data, encoding) == expected
