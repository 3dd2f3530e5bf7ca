"""An ERP's own headers in a spec: `sku: artnr` is said with the files system's column map, and a
mapping reads the columns it keeps beside the canonical fields as `extra.HEADER`."""

from __future__ import annotations

from pathlib import Path

from connectors import CONNECTORS
from engine.validate.files import validate_files

SPEC = """\
version: 1
name: erp
systems:
  erp:
    connector: files
    settings:
      path: erp
      delimiter: ";"
      decimal: ","
      extra_columns: keep
      columns:
        product: {sku: artnr, title: omschrijving, variants.sku: artnr, variants.price: prijs}
  shop: {connector: files, settings: {path: shop}}
flows:
  products:
    entity: product
    from: erp
    to: shop
    when: extra.status == 'actief'
    mapping:
      vendor: extra.merk || 'Huismerk'
      features.brand: extra."merk naam"
"""


def test_a_column_map_and_kept_extra_columns_validate(tmp_path: Path) -> None:
    (tmp_path / "erp.yaml").write_text(SPEC)
    report = validate_files([tmp_path / "erp.yaml"], root=tmp_path, connectors=CONNECTORS, environ={})
    assert report.diagnostics == []


def test_extra_fields_are_readable_only_when_the_source_keeps_them(tmp_path: Path) -> None:
    (tmp_path / "erp.yaml").write_text(SPEC.replace("extra_columns: keep", "extra_columns: ignore"))
    report = validate_files([tmp_path / "erp.yaml"], root=tmp_path, connectors=CONNECTORS, environ={})
    assert [(d.line, d.message.split(";")[0]) for d in report.diagnostics] == [
        (19, "reads unknown field 'extra' of files product"),
        (21, "reads unknown field 'extra' of files product"),
        (22, "reads unknown field 'extra' of files product"),
    ]
