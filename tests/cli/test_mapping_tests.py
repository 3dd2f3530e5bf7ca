"""`tillsync test`: the bundled mapping tests pass, and a wrong expectation fails where it is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors import CONNECTORS
from engine.cli import main
from engine.run.mapping_tests import run_suites

REPO = Path(__file__).parents[2]


def test_the_bundled_mapping_tests_pass(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    assert main(["test"]) == 0
    assert capsys.readouterr().out.endswith("36 of 36 mapping cases passed\n")


def test_a_wrong_expectation_fails_with_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    suite = tmp_path / "specs" / "tests" / "mpluskassa-shopify-pos.yaml"
    suite.write_text(
        suite.read_text().replace("payment_method: IDEAL, payment_terms", "payment_method: PIN, payment_terms")
    )
    monkeypatch.chdir(tmp_path)
    assert main(["test"]) == 1
    out = capsys.readouterr().out
    assert "FAIL specs/tests/mpluskassa-shopify-pos.yaml:4:5: payment_method: expected 'PIN', mapped 'IDEAL'" in out
    assert out.endswith("35 of 36 mapping cases passed\n")


def test_validate_leaves_mapping_tests_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert main(["validate", "specs"]) == 0


# A two-way spec (the ERP master of products, the shop master of customers) and a one-way flow that
# adopts names changed in the shop, on `files` folders; the cases give the last-applied side.
SPEC = """\
version: 1
name: shop-sync
systems:
  erp: {connector: files, settings: {path: erp, format: csv}}
  shop: {connector: files, settings: {path: shop, format: jsonl}}
flows:
  products: {entity: product, from: erp, to: shop, direction: two-way, master: erp}
  customers: {entity: customer, from: erp, to: shop, direction: two-way, master: shop}
  categories: {entity: category, from: erp, to: shop, drift: {name: adopt}}
"""

CASES = """\
integration: shop-sync
cases:
  - name: both changed a title; the ERP is master, so its title is written
    flow: products
    source: [{sku: "1", title: Shirt XL}]
    target: [{sku: "1", title: Shirt (sale)}]
    applied: [{sku: "1", title: Shirt}]
    plan: {conflict: ["1"]}

  - name: a title changed in the ERP only is written, one changed in the shop only is kept
    flow: products
    source: [{sku: "1", title: Shirt XL}, {sku: "2", title: Mug}]
    target: [{sku: "1", title: Shirt}, {sku: "2", title: Mug (sale)}]
    applied: [{sku: "1", title: Shirt}, {sku: "2", title: Mug}]
    plan: {update: ["1"], unchanged: ["2"]}

  - name: both changed a name, or it was never applied; the shop is master, so its name is kept
    flow: customers
    source: [{email: an@example.com, first_name: Anna}, {email: bo@example.com, first_name: Bo}]
    target: [{email: an@example.com, first_name: Ann}, {email: bo@example.com, first_name: Bob}]
    applied: [{email: an@example.com, first_name: An}]
    plan: {adopt: [an@example.com, bo@example.com]}

  - name: a name changed in the shop is adopted, a description changed there is overwritten
    flow: categories
    source: [{key: "10", name: Shirts, description: Cotton}, {key: "20", name: Hats, description: Wool}]
    target: [{key: "10", name: Shirts & tops, description: Cotton}, {key: "20", name: Hats, description: Felt}]
    applied: [{key: "10", name: Shirts}, {key: "20", name: Hats, description: Wool}]
    plan: {adopt: ["10"], update: ["20"]}
"""
SUITE = "specs/tests/shop-sync.yaml"


@pytest.fixture
def drift_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "specs" / "tests").mkdir(parents=True)
    (tmp_path / "specs" / "shop-sync.yaml").write_text(SPEC)
    (tmp_path / SUITE).write_text(CASES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(root: Path, cases: str = CASES) -> tuple[int, list[str]]:
    (root / SUITE).write_text(cases)
    count, failures = run_suites([root / SUITE], root, CONNECTORS)
    return count, [str(failure) for failure in failures]


def test_cases_with_a_last_applied_side_reach_conflict_and_drift(drift_repo: Path) -> None:
    assert run(drift_repo) == (4, [])


def test_the_cli_runs_them(drift_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test"]) == 0
    assert capsys.readouterr().out == "4 of 4 mapping cases passed\n"
    assert main(["test", SUITE]) == 0


@pytest.mark.parametrize(
    ("expected", "wrong", "message"),
    [
        (
            'plan: {conflict: ["1"]}',
            'plan: {update: ["1"]}',
            "3:5: expected plan {'update': ['1']}, got {'conflict': ['1']} "
            "(1: conflict: conflict on title: master erp wins)",
        ),
        (
            'plan: {update: ["1"], unchanged: ["2"]}',
            'plan: {update: ["1", "2"]}',
            "10:5: expected plan {'update': ['1', '2']}, got {'update': ['1'], 'unchanged': ['2']} "
            "(2: unchanged: unchanged)",
        ),
        (
            "plan: {adopt: [an@example.com, bo@example.com]}",
            "plan: {update: [an@example.com, bo@example.com]}",
            "17:5: expected plan {'update': ['an@example.com', 'bo@example.com']}, got {'adopt': ['an@example.com', "
            "'bo@example.com']} (an@example.com: adopt: keeps shop's first_name (both changed; master shop wins); "
            "bo@example.com: adopt: keeps shop's first_name (never applied; master shop's value is kept))",
        ),
        (
            'plan: {adopt: ["10"], update: ["20"]}',
            'plan: {update: ["10", "20"]}',
            "24:5: expected plan {'update': ['10', '20']}, got {'update': ['20'], 'adopt': ['10']} "
            "(10: adopt: keeps shop's name (changed in shop; the flow adopts it))",
        ),
    ],
    ids=["conflict", "update", "adopt-for-the-master", "adopt-by-drift-policy"],
)
def test_a_wrong_plan_fails_where_its_case_is_with_the_reason(
    drift_repo: Path, capsys: pytest.CaptureFixture[str], expected: str, wrong: str, message: str
) -> None:
    assert CASES.count(expected) == 1
    (drift_repo / SUITE).write_text(CASES.replace(expected, wrong))
    assert main(["test"]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {SUITE}:{message}  [" in out
    assert out.endswith("3 of 4 mapping cases passed\n")


def test_without_the_last_applied_side_the_same_records_plan_otherwise(drift_repo: Path) -> None:
    forgotten = CASES.replace('    applied: [{sku: "1", title: Shirt}]\n', "")
    assert run(drift_repo, forgotten)[1] == [
        f"{SUITE}:3:5: expected plan {{'conflict': ['1']}}, got {{'update': ['1']}} "
        "(1: update: erp changed title)  [both changed a title; the ERP is master, so its title is written]"
    ]


def test_records_that_are_not_canonical_are_named_where_they_are(drift_repo: Path) -> None:
    broken = CASES.replace(
        '    applied: [{sku: "1", title: Shirt}, {sku: "2", title: Mug}]\n',
        '    applied:\n      - {sku: "1", title: Shirt}\n      - {sku: "2", titel: Mug}\n',
    ).replace('target: [{sku: "1", title: Shirt (sale)}]', 'target: [{sku: "1", title: Shirt, status: gone}]')
    count, failures = run(drift_repo, broken)
    assert count == 4
    assert failures == [
        f"{SUITE}:6:14: target[0]: not a valid product: status: Input should be 'active', 'draft' or 'archived'  "
        "[both changed a title; the ERP is master, so its title is written]",
        f"{SUITE}:16:9: applied[1]: not a valid product: title: Field required  "
        "[a title changed in the ERP only is written, one changed in the shop only is kept]",
        f"{SUITE}:16:9: applied[1]: not a valid product: titel: Extra inputs are not permitted  "
        "[a title changed in the ERP only is written, one changed in the shop only is kept]",
    ]


def test_a_broken_suite_is_named_where_it_is(drift_repo: Path) -> None:
    broken = CASES.replace("    flow: customers\n", "").replace('    plan: {adopt: ["10"]', '    plans: {adopt: ["10"]')
    assert run(drift_repo, broken) == (
        0,
        [
            f"{SUITE}:17:5: cases[2].flow: Field required  [suite]",
            f"{SUITE}:28:5: cases[3].plans: Extra inputs are not permitted  [suite]",
        ],
    )


def test_an_unknown_flow_or_action_is_named_where_it_is(drift_repo: Path) -> None:
    broken = CASES.replace("flow: customers", "flow: customer").replace(
        'plan: {update: ["1"], ', 'plan: {updates: ["1"], '
    )
    count, failures = run(drift_repo, broken)
    assert count == 4
    assert [failure.split("  [")[0] for failure in failures] == [
        f"{SUITE}:15:5: plan: unknown action 'updates'; did you mean 'update'? known: create, update, conflict, "
        "archive, delete, adopt, record, unchanged, skip, blocked, held, error",
        f"{SUITE}:18:5: no flow 'customer' in shop-sync",
    ]


def test_an_expected_record_that_is_no_valid_record_is_named_where_it_is(drift_repo: Path) -> None:
    broken = CASES.replace(
        '    plan: {conflict: ["1"]}',
        '    expect: [{sku: "1", variants: [{title: S}]}]\n    plan: {conflict: ["1"]}',
    )
    count, failures = run(drift_repo, broken)
    assert count == 4
    assert [failure.split("  [")[0] for failure in failures] == [
        f"{SUITE}:8:14: expect[0]: not a valid product: variants.0.sku: Field required"
    ]
