"""5,000 products of 3 variants each into an empty Shopify sandbox, two ways, on the same plan's budget.

- Tillsync: `apply` of a products flow from an ERP's CSV export; it writes with `productSet`, ten
  products to a request.
- Separately, the way product syncs are usually written: the same plan (the same reads), then per
  product one `productCreate` with its options and one `productVariantsBulkCreate` with its
  variants, from the very input Tillsync sends, so both shops end up holding the same catalogue
  (checked).

Variants have a size and a colour, a SKU, a barcode and a price, and their stock is tracked. Neither
way sets quantities: that is the stock flow's work, the same either way. Both run on a virtual clock
(`bench.clock`), each in its own sandbox from a full bucket.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse, print_ast

from bench import Figures, shopify
from bench.catalogue import SIZES, Article, write_products
from bench.clock import VirtualClock
from connectors.shopify import products
from connectors.shopify.client import ShopifyClient
from connectors.shopify.cost import PLANS
from connectors.shopify.documents import Document
from connectors.shopify.products import PRODUCTS_PER_READ, SKUS_PER_READ
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.shop import Shop
from connectors.testing.server import serving
from engine.plan.model import Action
from engine.records import Product
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.runner import Selected, state_store, sync_flow
from engine.run.systems import Systems
from engine.run.workspace import Workspace

PRODUCTS = 5_000
PLAN = PLANS["standard"]
SEPARATE = {
    operation.name.value: Document(operation.name.value, print_ast(operation))
    for operation in parse((Path(__file__).parent / "graphql" / "separate_mutations.graphql").read_text()).definitions
    if isinstance(operation, OperationDefinitionNode) and operation.name
}
PRODUCT_FIELDS = ("title", "descriptionHtml", "vendor", "productType", "status", "tags", "metafields", "productOptions")

FLOWS = """\
  products:
    entity: product
    from: erp
    to: shop
"""


@dataclass(frozen=True)
class Outcome:
    """One way's run: what it spent (cost points as Shopify reported them), and the shop it left."""

    calls: int
    requested_points: int
    points: int  # the actual cost charged
    write_calls: int
    write_points: int
    wall_s: float  # on the virtual clock
    shop: Shop


def run(scale: float = 1.0) -> dict[str, Figures]:
    count = max(int(PRODUCTS * scale), 5)
    tillsync, separate = compare(count)
    if catalogue(tillsync.shop) != catalogue(separate.shop) or len(catalogue(tillsync.shop)) != count:
        raise RuntimeError("the two ways did not make the same catalogue")
    reads = (
        f"calls and points include the reads: both look each product up by its number ({PRODUCTS_PER_READ} to a "
        f"call), Tillsync also asks which products hold its SKUs ({SKUS_PER_READ} to a call) before it writes"
    )
    return {
        "product_sync": {
            "products": count, "variants": count * len(SIZES),
            "plan": PLAN.name, "bucket_points": PLAN.bucket, "restore_points_per_s": PLAN.restore_rate,
            "productset_calls": tillsync.calls, "productset_write_calls": tillsync.write_calls,
            "productset_requested_points": tillsync.requested_points, "productset_cost_points": tillsync.points,
            "productset_write_points": tillsync.write_points, "productset_wall_s": tillsync.wall_s,
            "separate_calls": separate.calls, "separate_write_calls": separate.write_calls,
            "separate_requested_points": separate.requested_points, "separate_cost_points": separate.points,
            "separate_write_points": separate.write_points, "separate_wall_s": separate.wall_s,
            "calls_ratio": round(separate.calls / tillsync.calls, 2),
            "cost_ratio": round(separate.points / tillsync.points, 2),
            "write_calls_ratio": round(separate.write_calls / tillsync.write_calls, 2),
            "write_points_ratio": round(separate.write_points / tillsync.write_points, 2),
            "note": f"{shopify.note(PLAN)}; wall time is this machine's working time plus the waits skipped; {reads}",
        }
    }  # fmt: skip


def compare(count: int) -> tuple[Outcome, Outcome]:
    """`count` products exported by the ERP, synced into one empty sandbox with `productSet` (Tillsync's
    way) and into another with `productCreate` + `productVariantsBulkCreate`."""
    articles = [Article(500_000 + n, f"Article {n}", 995 + 100 * (n % 40)) for n in range(count)]
    with tempfile.TemporaryDirectory(prefix="tillsync-bench-") as folder:
        root = Path(folder)
        (root / "erp").mkdir()
        write_products(root / "erp" / "products.csv", articles, colours=True, tracked=True)
        return _sync(root / "productset", root / "erp", separate=False), _sync(root / "separate", root / "erp", True)


def catalogue(shop: Shop) -> dict[str, Any]:
    """Product number → what a merchant sees of the product and its variants."""
    found = {}
    for product in shop.products.values():
        variants = [shop.variants[v] for v in product["variants"]]
        number = product["metafields"].get(("tillsync", "product_number"))
        found[number] = (
            product["title"], product["descriptionHtml"], product["vendor"], product["productType"],
            product["status"], tuple(product["tags"]), tuple(sorted(product["metafields"].items())),
            tuple((o["name"], tuple(o["values"])) for o in product["options"]),
            tuple((v["sku"], v["barcode"], v["price"], v["title"], shop.items[v["inventoryItemId"]]["tracked"])
                  for v in variants),
        )  # fmt: skip
    return found


def _sync(root: Path, export: Path, separate: bool) -> Outcome:
    """One way into a fresh sandbox with a full bucket, on a clock of its own."""
    root.mkdir()
    clock = VirtualClock()
    sandbox = ShopifySandbox(plan=PLAN, clock=clock)
    with serving(sandbox) as url:
        workspace = shopify.workspace(root, FLOWS, export, url, sandbox.token)
        client, transport = shopify.client(sandbox, url, clock)
        started = clock()
        if separate:
            _create_separately(workspace, client)
        else:
            _apply(workspace, client)
        wall_s = clock() - started
        client.close()
    usage = transport.usage
    return Outcome(
        calls=usage.calls, requested_points=usage.requested_points, points=usage.actual_points,
        write_calls=transport.writes.calls, write_points=transport.writes.points, wall_s=round(wall_s, 1),
        shop=sandbox.shop,
    )  # fmt: skip


def _apply(workspace: Workspace, client: ShopifyClient) -> None:
    deployment = workspace.deployments["bench"]
    with state_store(workspace) as store:
        systems = Systems(workspace, deployment, {"shop": client})
        result = sync_flow(workspace, store, Selected(deployment, "products"), systems=systems).result
    if result is None or not result.ok:
        raise RuntimeError(f"the benchmark's product sync failed: {result and result.failures[:3]}")


def _create_separately(workspace: Workspace, client: ShopifyClient) -> None:
    deployment = workspace.deployments["bench"]
    with state_store(workspace) as store:
        systems = Systems(workspace, deployment, {"shop": client})
        plan = plan_flow(workspace, FlowSetup.of(deployment, "products"), systems, store)
    create, add = SEPARATE["ProductCreate"], SEPARATE["ProductVariantsBulkCreate"]
    for change in plan.changes:
        if change.action is not Action.create or change.record is None:
            continue
        data = products.product_set_input(client.settings, Product.model_validate(change.record), {})
        made = client.transport.request(create, {"product": {k: data[k] for k in PRODUCT_FIELDS if k in data}})
        _no_errors(made["productCreate"])
        variants = [_bulk_input(variant) for variant in data["variants"]]
        product_id = made["productCreate"]["product"]["id"]
        _no_errors(
            client.transport.request(add, {"productId": product_id, "variants": variants})["productVariantsBulkCreate"]
        )


def _bulk_input(variant: dict[str, Any]) -> dict[str, Any]:
    """A ProductVariantSetInput as the ProductVariantsBulkInput it is in the two-step way."""
    item = {"sku": variant["sku"], **(variant.get("inventoryItem") or {})}
    return {**{k: v for k, v in variant.items() if k not in ("sku", "inventoryItem")}, "inventoryItem": item}


def _no_errors(payload: dict[str, Any]) -> None:
    if payload["userErrors"]:
        raise RuntimeError(f"Shopify refused the write: {payload['userErrors']}")
