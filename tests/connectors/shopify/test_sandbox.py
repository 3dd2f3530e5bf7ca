"""The Shopify sandbox answers as Shopify does: invalid documents, costs, throttling, cancellations."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors import CONNECTORS
from connectors.shopify.cost import Plan
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.seed import seed
from connectors.shopify.schema import API_VERSION
from tests.cli.test_ui import free_port, repository
from tests.connectors.shopify.conftest import Running

PATH = f"/admin/api/{API_VERSION}/graphql.json"


@contextmanager
def started(command: list[str], **options: Any) -> Iterator[subprocess.Popen[str]]:
    """`command` running for the block, its output a text pipe; killed when the block ends with it
    still running (a failed assertion would otherwise wait for it forever). It takes SIGINT as from a
    terminal's Ctrl-C, whatever the suite's own disposition: a shell ignores SIGINT for the jobs it
    starts in the background, and a child inherits that."""
    restore = partial(signal.signal, signal.SIGINT, signal.SIG_DFL)
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, preexec_fn=restore, **options) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def post(shopify: Running, query: str, variables: dict[str, object] | None = None) -> httpx.Response:
    headers = {"X-Shopify-Access-Token": shopify.sandbox.token}
    return httpx.post(shopify.url + PATH, json={"query": query, "variables": variables or {}}, headers=headers)


def test_an_invalid_document_is_http_200_with_located_errors(shopify: Running) -> None:
    answer = post(shopify, "{ shop { nme } }")
    assert answer.status_code == 200
    [error] = answer.json()["errors"]
    assert error["message"] == "Cannot query field 'nme' on type 'Shop'. Did you mean 'name'?"
    assert error["locations"] == [{"line": 1, "column": 10}]


def test_a_query_over_the_single_query_limit_is_refused_before_it_runs(shopify: Running) -> None:
    answer = post(shopify, "{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }").json()
    assert answer["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert answer["extensions"]["cost"]["requestedQueryCost"] > 1000


def test_an_empty_bucket_throttles_and_refills_at_the_restore_rate() -> None:
    from connectors.testing.server import serving

    now = [0.0]
    sandbox = ShopifySandbox(plan=Plan("tiny", 25, 10), clock=lambda: now[0])
    mutation = (
        'mutation { inventoryItemUpdate(id: "gid://shopify/InventoryItem/1", input: {tracked: true}) '
        "{ userErrors { message } } }"
    )
    with serving(sandbox) as url:
        running = Running(sandbox, url)
        answers = [post(running, mutation).json() for _ in range(3)]
        assert [a["extensions"]["cost"]["requestedQueryCost"] for a in answers] == [10, 10, 10]
        assert "errors" not in answers[1] and answers[2]["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert answers[2]["extensions"]["cost"]["throttleStatus"] == {
            "maximumAvailable": 25.0, "currentlyAvailable": 5.0, "restoreRate": 10.0}  # fmt: skip
        now[0] += 0.5  # 5 + 5 points = 10
        assert "errors" not in post(running, mutation).json()


def test_a_cancelled_order_returns_its_stock_and_says_so(shopify: Running) -> None:
    shop = shopify.sandbox.shop
    seed(shop)
    mug = next(v for v in shop.variants.values() if v["sku"] == "5000")
    store = shop.location_named("store-amsterdam")
    level = shop.levels[(mug["inventoryItemId"], store)]
    order = shop.place_order([("5000", 3)], source="pos", location="store-amsterdam")
    assert level["available"] == 8 - 2 - 3  # the seeded POS sale took two
    shop.cancel_order(order)
    assert level["available"] == 6 and shop.orders[order]["cancelledAt"]
    assert [topic for topic, _ in shop.events][-2:] == ["inventory_levels/update", "orders/cancelled"]


def test_sandbox_up_serves_every_sandbox_and_writes_the_environments_credentials(tmp_path: Path) -> None:
    """`sandbox up` serves each sandbox the environment expects and fills the sandbox environment's
    env_file from the credential references in its specs."""
    repo = Path(__file__).parents[3]
    repository(tmp_path, free_port(), free_port())
    command = [sys.executable, "-m", "engine.cli", "sandbox", "up", "--seed"]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    with started(command, cwd=tmp_path, env=env) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while lines[-1] and not lines[-1].startswith("Sandboxes are running"):  # "" at the end of the output
            lines.append(process.stdout.readline())
        served = [line.strip().split(": ", 1) for line in lines if line.startswith(tuple(CONNECTORS)) and ": " in line]
        shop = next(url for name, url in served if name == "shopify")
        query = {"query": "{ locations(first: 5) { nodes { name } } }"}
        answer = httpx.post(shop + PATH, json=query, headers={"X-Shopify-Access-Token": "shpat_sandbox_token"}).json()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    assert sorted({name for name, _ in served}) == sorted(c.name for c in CONNECTORS.values() if c.sandbox)
    assert len(served) == 11, "a shop for each integration, two for rackbeat-shopify"
    assert all(u.startswith("http://127.0.0.1:") for _, u in served)
    assert lines[len(served)].startswith("wrote the sandboxes' credentials to .tillsync/sandbox/sandbox.env")
    assert lines[-1].startswith("Sandboxes are running")
    assert lines[-2] == "the sandboxes start empty\n", "nothing was applied to them before"
    exports = lines[len(served) + 1 : -2]  # for tools other than tillsync, as lines a shell takes as they are
    variables = set(re.findall(r"env:(SANDBOX_\w+)", (repo / "environments" / "sandbox.yaml").read_text()))
    assert "export SANDBOX_SHOPIFY_TOKEN=shpat_sandbox_token\n" in exports and len(exports) == len(variables), exports
    shell = subprocess.run(["bash", "-c", "".join(exports) + 'echo "$SANDBOX_MPLUS_SECRET"'], capture_output=True,
                           text=True, check=True)  # fmt: skip
    assert shell.stdout == "sandbox-secret\n"
    written = (tmp_path / ".tillsync" / "sandbox" / "sandbox.env").read_text().splitlines()
    assert "SANDBOX_SHOPIFY_TOKEN=shpat_sandbox_token" in written
    assert "SANDBOX_MPLUS_IDENT=sandbox" in written and "SANDBOX_MPLUS_SECRET=sandbox-secret" in written
    assert "SANDBOX_EASYCASHIER_USERNAME=sandbox@example.se" in written
    assert [n["name"] for n in answer["data"]["locations"]["nodes"]] == ["warehouse", "store-amsterdam"]


CREATE = """mutation($product: ProductCreateInput!) {
  productCreate(product: $product) { product { id variants(first: 5) { nodes { title } } } userErrors { message } }
}"""
ADD = """mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!, $strategy: ProductVariantsBulkCreateStrategy) {
  productVariantsBulkCreate(productId: $id, variants: $variants, strategy: $strategy) {
    productVariants { sku title price } userErrors { field message code }
  }
}"""
SIZES = {"name": "size", "values": [{"name": "S"}, {"name": "M"}]}


def sized(sku: str, size: str) -> dict[str, object]:
    return {"optionValues": [{"optionName": "size", "name": size}], "price": "9.50",
            "inventoryItem": {"sku": sku, "tracked": True}}  # fmt: skip


def test_product_create_makes_the_standalone_variant_and_bulk_create_can_replace_it(shopify: Running) -> None:
    created = post(shopify, CREATE, {"product": {"title": "Sock", "productOptions": [SIZES]}}).json()
    product = created["data"]["productCreate"]["product"]
    assert [v["title"] for v in product["variants"]["nodes"]] == ["S"], "one variant, of each option's first value"
    variables = {"id": product["id"], "variants": [sized("7001", "S"), sized("7002", "M")],
                 "strategy": "REMOVE_STANDALONE_VARIANT"}  # fmt: skip
    added = post(shopify, ADD, variables).json()["data"]["productVariantsBulkCreate"]
    assert added["userErrors"] == []
    assert [(v["sku"], v["title"], v["price"]) for v in added["productVariants"]] == [
        ("7001", "S", "9.50"), ("7002", "M", "9.50")]  # fmt: skip
    shop = shopify.sandbox.shop
    assert [shop.variants[v]["sku"] for v in shop.products[product["id"]]["variants"]] == ["7001", "7002"]


def test_bulk_create_keeps_a_custom_standalone_variant_by_default_and_refuses_its_options_twice(
    shopify: Running,
) -> None:
    created = post(shopify, CREATE, {"product": {"title": "Cap", "productOptions": [SIZES]}}).json()
    product_id = created["data"]["productCreate"]["product"]["id"]
    clash = post(shopify, ADD, {"id": product_id, "variants": [sized("7101", "S")]}).json()
    [error] = clash["data"]["productVariantsBulkCreate"]["userErrors"]
    assert error["code"] == "VARIANT_ALREADY_EXISTS" and error["field"] == ["variants", "0"]
    added = post(shopify, ADD, {"id": product_id, "variants": [sized("7102", "M")]}).json()
    assert [v["sku"] for v in added["data"]["productVariantsBulkCreate"]["productVariants"]] == ["7102"]
    assert len(shopify.sandbox.shop.products[product_id]["variants"]) == 2
    missing = post(shopify, ADD, {"id": "gid://shopify/Product/1", "variants": [sized("7103", "M")]}).json()
    assert missing["data"]["productVariantsBulkCreate"]["userErrors"][0]["code"] == "PRODUCT_DOES_NOT_EXIST"


@pytest.mark.slow
def test_the_sandbox_environment_plans_in_another_terminal_with_nothing_exported(tmp_path: Path) -> None:
    """`tillsync sandbox up` in one terminal, `tillsync plan --env sandbox` in another: the second finds
    the credentials in the environment file the first wrote; nobody exports anything."""
    repo = Path(__file__).parents[3]
    for folder in ("specs", "environments"):
        shutil.copytree(repo / folder, tmp_path / folder)
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("SANDBOX_", "TILLSYNC"))}
    env = {**clean, "PYTHONPATH": str(repo)}
    up = [sys.executable, "-m", "engine.cli", "sandbox", "up"]  # on the ports environments/sandbox.yaml names
    with started(up, cwd=tmp_path, env=env) as server:
        assert server.stdout is not None
        lines = [server.stdout.readline()]
        while lines[-1] and not lines[-1].startswith("Sandboxes are running"):  # "" at the end of the output
            lines.append(server.stdout.readline())
        assert lines[-1].startswith("Sandboxes are running"), lines
        plan = [sys.executable, "-m", "engine.cli", "plan", "--env", "sandbox", "--flow", "products"]
        done = subprocess.run(plan, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
    assert done.returncode == 2, done.stdout + done.stderr  # changes: the till's catalogue is not in Shopify yet
    assert "+ create" in done.stdout and "not set" not in done.stderr
