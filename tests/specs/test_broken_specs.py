"""The table of broken specs: each file must give a located message, through every validator
that is responsible for it.

Structural problems go through both structural validators (JSON Schema and the pydantic models),
which must agree on line and wording; semantic problems through the semantic checks; malformed
YAML through the loader. Every case also goes through the whole `validate_files` pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from connectors import CONNECTORS
from engine.errors import Diagnostic
from engine.spec.models import Integration
from engine.spec.yamlsource import load_yaml
from engine.validate.files import validate_files
from engine.validate.semantics import check_integration
from engine.validate.structure import model_diagnostics, schema_diagnostics

BROKEN = Path(__file__).parent / "broken"


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    fragment: str
    layer: str  # yaml | structure | semantic


CASES = [
    Case("yaml_tab.yaml", 4, "tab character", "yaml"),
    Case("yaml_duplicate_key.yaml", 6, "duplicate key 'erp' (first defined on line 4)", "yaml"),
    Case("yaml_unclosed_flow.yaml", 5, "invalid YAML", "yaml"),
    Case("yaml_bad_indent.yaml", 6, "invalid YAML", "yaml"),
    Case("yaml_empty.yaml", 1, "the file is empty", "yaml"),
    Case("yaml_list_at_top.yaml", 1, "not a map of keys", "yaml"),
    Case("yaml_duplicate_block.yaml", 13, "duplicate key 'mapping' (first defined on line 9)", "yaml"),
    Case("yaml_colon_in_value.yaml", 11, "quote a value that holds ': '", "yaml"),
    Case("yaml_dedented_key.yaml", 13, "does not line up with the lines above it", "yaml"),
    Case("unknown_top_key.yaml", 6, "unknown key 'flow'; did you mean 'flows'?", "structure"),
    Case("missing_systems.yaml", 1, "missing required key 'systems'", "structure"),
    Case("wrong_version.yaml", 1, "must be one of: 1; got the number 2", "structure"),
    Case("bad_name.yaml", 2, "invalid name 'Shop Sync'", "structure"),
    Case("unknown_entity.yaml", 8, "did you mean 'product'?", "structure"),
    Case("unknown_flow_key.yaml", 11, "unknown key 'create_once'; did you mean 'create_only'?", "structure"),
    Case("missing_to.yaml", 7, "missing required key 'to'", "structure"),
    Case("literal_secret.yaml", 9, "a literal secret is not allowed here; write env:NAME", "structure"),
    Case("malformed_env_ref.yaml", 9, "malformed reference", "structure"),
    Case("mapping_not_a_map.yaml", 11, "expected a map of keys, got a list", "structure"),
    Case("wrong_type_enabled.yaml", 11, "expected true or false, got the text 'sometimes'", "structure"),
    Case("bad_delete_policy.yaml", 11, "did you mean 'archive'?", "structure"),
    Case("negative_employee.yaml", 12, "out of range", "structure"),
    Case("bad_currency.yaml", 12, "does not have the expected form", "structure"),
    Case(
        "unknown_connector.yaml",
        4,
        "unknown connector 'file'; did you mean 'files'? known: ccv, easycashier, files, mpluskassa",
        "semantic",
    ),
    Case("unknown_system.yaml", 10, "unknown system 'webshop'; did you mean 'shop'?", "semantic"),
    Case(
        "unknown_mapped_field.yaml",
        13,
        "unknown field 'sku_code' on files product; did you mean 'sku'?",
        "semantic",
    ),
    Case(
        "unknown_source_field.yaml",
        12,
        "reads unknown field 'titel' of files product; did you mean 'title'?",
        "semantic",
    ),
    Case("bad_jmespath.yaml", 12, "invalid JMESPath", "semantic"),
    Case("jmespath_single_equals.yaml", 11, "unknown token '='; compare with ==", "semantic"),
    Case("jmespath_unclosed_quote.yaml", 12, "a raw string opened with ' is never closed", "semantic"),
    Case("unknown_transform.yaml", 12, "unknown function titlecase()", "semantic"),
    Case("undeclared_value_map.yaml", 12, "value map 'payment_method' is not declared", "semantic"),
    Case("two_way_without_master.yaml", 11, "a two-way flow needs a master", "semantic"),
    Case("one_way_master_is_target.yaml", 11, "a one-way flow's master is its source 'erp'", "semantic"),
    Case("master_not_in_flow.yaml", 13, "master must be 'erp' or 'shop'", "semantic"),
    Case("unknown_status.yaml", 11, "unknown files order status 'payed'; did you mean 'paid'?", "semantic"),
    Case("bad_cron.yaml", 12, "out of range 0-23", "semantic"),
    Case("bad_stock_formula.yaml", 12, "unknown field 'reservd'", "semantic"),
    Case("setting_on_wrong_entity.yaml", 12, "employee_number applies to order flows only", "semantic"),
    Case("unknown_connector_setting.yaml", 8, "unknown setting for files; did you mean 'format'?", "semantic"),
    Case("secret_in_settings.yaml", 8, "'api_key' looks like a secret; put it under credentials", "semantic"),
    Case("create_only_unknown.yaml", 11, "unknown field 'long_description' on files product", "semantic"),
    Case("create_only_match_key.yaml", 11, "'sku' is the match key; it cannot be create-only", "semantic"),
    Case(
        "unknown_match_field.yaml",
        11,
        "unknown field 'e_mail' on files customer; did you mean 'email'?",
        "semantic",
    ),
    Case("self_flow.yaml", 9, "cannot copy a system onto itself", "semantic"),
    Case("when_filter_unknown_field.yaml", 11, "reads unknown field 'financial_state'", "semantic"),
    Case("archive_without_status.yaml", 11, "files stock records have no status to archive", "semantic"),
    Case("empty_mapping_expression.yaml", 12, "empty JMESPath expression", "semantic"),
    Case(
        "unknown_column_map_field.yaml", 10, "no product column: unknown field 'skuu'; did you mean 'sku'?", "semantic"
    ),
    Case("unknown_column_map_entity.yaml", 9, "did you mean 'product'? known: product, stock", "semantic"),
    Case(
        "erp_header_in_mapping.yaml",
        12,
        "if 'artnr' is a column of the file, name it in systems.erp.settings.columns.product",
        "semantic",
    ),
    Case("extra_column_not_kept.yaml", 14, "reads unknown field 'extra' of files product", "semantic"),
    Case(
        "items_master_into_variants.yaml",
        19,
        "rackbeat keeps items, not variants, and cannot make variants in shop: flows.items takes shop's variants",
        "semantic",
    ),
]


def _found(diagnostics: list[Diagnostic], case: Case) -> bool:
    return any(d.line == case.line and case.fragment in d.message for d in diagnostics)


def _show(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(map(str, diagnostics)) or "(no diagnostics)"


def test_every_file_in_the_folder_is_in_the_table() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(c.file for c in CASES)
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_broken_spec_is_reported_where_it_breaks(case: Case) -> None:
    path = BROKEN / case.file
    report = validate_files([path], root=BROKEN, connectors=CONNECTORS, environ={})
    assert not report.ok
    assert _found(report.diagnostics, case), _show(report.diagnostics)
    assert all(d.file.endswith(case.file) and d.line >= 1 and d.column >= 1 for d in report.diagnostics)

    if case.layer == "yaml":
        return
    document = load_yaml(path, case.file)
    schema = schema_diagnostics(document.data, Integration, document.source)
    try:
        integration = Integration.model_validate(document.data)
        models: list[Diagnostic] = []
    except ValidationError as exc:
        integration, models = None, model_diagnostics(exc, Integration, document.source)
    if case.layer == "structure":
        assert _found(schema, case), "JSON Schema layer:\n" + _show(schema)
        assert _found(models, case), "pydantic layer:\n" + _show(models)
    else:
        assert schema == [] and models == [], _show(schema + models)
        assert integration is not None
        semantic = check_integration(integration, document.source, CONNECTORS)
        assert _found(semantic, case), _show(semantic)


def test_a_literal_secret_is_never_echoed() -> None:
    report = validate_files([BROKEN / "literal_secret.yaml"], root=BROKEN, connectors=CONNECTORS, environ={})
    assert "shpat_0123456789abcdef" not in _show(report.diagnostics)
