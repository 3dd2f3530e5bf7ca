"""`tillsync init` without a terminal: answers by flag and `--yes`, for every pair of bundled connectors;
what it refuses, and that it never overwrites a file unasked."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from connectors import CONNECTORS
from engine.cli import main, scaffold
from engine.cli.scaffold import Draft, SystemDraft
from engine.run.mapping_tests import run_suites
from engine.validate.files import load_spec

PAIRS = list(itertools.product(sorted(CONNECTORS), repeat=2))


def offered(first: str, second: str) -> list[str]:
    one, two = scaffold.system_names(first, second)
    draft = Draft("pair", {one: SystemDraft(one, CONNECTORS[first]), two: SystemDraft(two, CONNECTORS[second])})
    return scaffold.offered(draft)


def init(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(["--color", "never", "init", *args])
    except SystemExit as exit:  # a usage error: argparse's way out
        code = int(exit.code or 0)
    said = capsys.readouterr()
    assert "Traceback" not in said.err and "internal error" not in said.err, said.err
    return code, said.out, said.err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_every_pair_gets_a_spec_that_validates_and_tests_that_pass(
    repo: Path, capsys: pytest.CaptureFixture[str], first: str, second: str
) -> None:
    flows = offered(first, second)
    code, out, err = init(capsys, "--from", first, "--to", second, "--flows", ",".join(flows), "--yes")
    assert code == 0, err
    name = f"{first}-{second}".replace("_", "-")
    spec = load_spec(repo / "specs" / f"{name}.yaml", CONNECTORS).integration
    assert sorted(spec.flows) == sorted(flows)
    ran, failures = run_suites([repo / "specs" / "tests" / f"{name}.yaml"], repo, CONNECTORS)
    assert (ran, failures) == (len(flows), [])
    assert main(["validate", "--env", "sandbox"]) == 0, capsys.readouterr().out
    assert f"tillsync plan --env sandbox --flow {name}" in out


def test_the_scripted_example_follows_the_bundled_pattern(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = init(capsys, "--from", "mpluskassa", "--to", "shopify", "--flows", "products,stock,orders", "--yes")
    assert code == 0, err
    flows = load_spec(repo / "specs" / "mpluskassa-shopify.yaml", CONNECTORS).integration.flows
    assert (flows["products"].source, flows["products"].target, flows["products"].master) == ("pos", "shop", "pos")
    assert (flows["orders"].source, flows["orders"].target, flows["orders"].status) == ("shop", "pos", ["paid"])
    assert flows["orders"].settings.default_debtor == "1000" and flows["orders"].settings.employee_number == 999999
    assert flows["stock"].settings.location_map == {"1": "warehouse"}
    assert flows["stock"].settings.stock_formula == "max(on_hand - reserved, 0)"


def test_answers_given_by_flag_are_taken(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = init(
        capsys, "--from", "rackbeat", "--to", "shopify", "--name", "rb", "--flows", "products,customers,orders",
        "--direction", "customers=both", "--master", "customers=shop", "--statuses", "paid,partially_paid",
        "--setting", "rackbeat.stock_location=2", "--credential", "shop.access_token=env:MY_SHOP_TOKEN", "--yes",
    )  # fmt: skip
    assert code == 0, err
    text = (repo / "specs" / "rb.yaml").read_text()
    flows = load_spec(repo / "specs" / "rb.yaml", CONNECTORS).integration
    assert flows.flows["customers"].direction.value == "two-way" and flows.flows["customers"].master == "shop"
    assert flows.flows["orders"].status == ["paid", "partially_paid"]
    assert flows.systems["rackbeat"].settings["stock_location"] == "2"
    assert "env:MY_SHOP_TOKEN" in text and "MY_SHOP_TOKEN" in out


def test_an_existing_file_is_kept_without_force_and_replaced_with_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--from", "mpluskassa", "--to", "shopify", "--yes")
    assert init(capsys, *args)[0] == 0
    spec = repo / "specs" / "mpluskassa-shopify.yaml"
    spec.write_text("# mine\n")
    code, _, err = init(capsys, *args)
    assert code == 1 and "already there; give --force" in err and spec.read_text() == "# mine\n"
    environment = (repo / "environments" / "sandbox.yaml").read_text()
    assert init(capsys, *args, "--force")[0] == 0
    assert spec.read_text() != "# mine\n"
    assert (repo / "environments" / "sandbox.yaml").read_text() == environment, "the entry replaced, ports kept"


def test_an_existing_sandbox_environment_keeps_its_comments_and_gains_the_integration(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "environments").mkdir()
    kept = (
        "# the sandbox\nname: sandbox\nintegrations:\n  other:  # a comment kept\n    spec: specs/other.yaml\n"
        "    systems:\n      shop: {settings: {url: 'http://127.0.0.1:8701'}}\nactivity_retention_days: 7\n"
    )
    (repo / "environments" / "sandbox.yaml").write_text(kept)
    assert init(capsys, "--from", "ccv", "--to", "shopify", "--yes")[0] == 0
    text = (repo / "environments" / "sandbox.yaml").read_text()
    assert text.startswith(kept.split("activity_retention_days")[0]) and text.endswith("activity_retention_days: 7\n")
    assert "  ccv-shopify:\n    spec: specs/ccv-shopify.yaml" in text
    assert "127.0.0.1:8701" not in text.split("ccv-shopify:")[1], "a shop of its own, not the other's port"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--from", "nosuch"), "--from nosuch: unknown connector 'nosuch'; known: ccv, easycashier"),
        (("--flows", "images"), "--flows images: images is not one mpluskassa and shopify can run"),
        (("--credential", "shop.access_token=shpat_0123"), "a credential is never written in a spec"),
        (("--setting", "pos.branch=first"), "--setting pos.branch=first: Input should be a valid integer"),
        (("--setting", "pos.colour=red"), "mpluskassa has no setting 'colour'"),
        (("--statuses", "shipped"), "--statuses shipped: unknown status 'shipped'"),
        (("--direction", "stock=rackbeat"), "--direction stock=rackbeat: 'rackbeat' is not one of pos, shop"),
        (("--direction", "customers=pos"), "a flag names customers, not a flow chosen (products, stock, orders)"),
        (("--flow-setting", "orders.order_type=receipt"), "order or invoice"),
        (("--name", "Has Spaces"), "a name is lower-case letters"),
    ],
)
def test_a_wrong_answer_by_flag_is_a_located_usage_error_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], said: str
) -> None:
    code, _, err = init(capsys, "--from", "mpluskassa", "--to", "shopify", "--yes", *args)
    assert code == 2 and said in err, err
    assert "shpat_0123" not in err, "a secret given by mistake is not repeated"
    assert not (repo / "specs").exists() and not (repo / "environments").exists()


def test_without_a_terminal_it_asks_for_yes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = init(capsys, "--from", "mpluskassa")
    assert code == 2 and "stdin is not one" in err and "--yes" in err
