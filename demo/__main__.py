"""Run the demo: the bundled integrations on the sandbox environment, end to end.

The MplusKASSA and Shopify sandboxes are served on 127.0.0.1 while the demo runs, the till seeded
with a small catalogue, stock and customers. The demo validates the specs, plans and applies the
catalogue to Shopify, lets two shoppers buy (online and at the Shopify POS), books their orders in
the till, and shows that running again changes nothing. Each run starts afresh from `demo/data/`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from connectors import CONNECTORS
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import running_sandboxes
from engine.cli import main as tillsync
from engine.run.sandbox_env import write_sandbox_env

DATA = Path(__file__).parent / "data"
SANDBOX = Path(".tillsync") / "sandbox"
ENV = ("--env", "sandbox")


def step(title: str, *argv: str) -> int:
    print(f"\n$ tillsync {' '.join(argv)}    # {title}", flush=True)
    return tillsync(list(argv))


def reset_sandbox() -> None:
    shutil.rmtree(SANDBOX, ignore_errors=True)
    SANDBOX.mkdir(parents=True)
    for system in ("erp", "shop"):
        shutil.copytree(DATA / system, SANDBOX / system)


def shoppers_buy(shop: ShopifySandbox) -> None:
    """A company orders online and a walk-in customer pays cash at the Shopify POS."""
    company = {"firstName": "Sanne", "lastName": "de Vries", "company": "Bakkerij De Korf",
               "address1": "Prinsengracht 263", "zip": "1016 GV", "city": "Amsterdam", "countryCode": "NL"}  # fmt: skip
    web = shop.shop.place_order([("1001", 2), ("2000", 4)], email="inkoop@bakkerijdekorf.nl",
                                billing_address=company, gateway="ideal")  # fmt: skip
    pos = shop.shop.place_order([("2000", 1)], source="pos", location="store-amsterdam", gateway="cash")
    names = [shop.shop.orders[order]["name"] for order in (web, pos)]
    print(f"\nShoppers bought: web order {names[0]} (paid by iDEAL) and POS sale {names[1]} (cash).")


def run() -> int:
    reset_sandbox()
    with running_sandboxes(CONNECTORS) as started:
        for sandbox in started.values():
            print(f"Serving the {sandbox.name} sandbox at {sandbox.url}")
        credentials = {name: sandbox.credentials for name, sandbox in started.items()}
        write_sandbox_env(Path.cwd(), "sandbox", CONNECTORS, credentials)
        shop = started["shopify"].sandbox
        till = started["mpluskassa"].sandbox
        checks = [
            step("every spec and environment is valid", "validate") == 0,
            step("what a sync would change (exit 2: there are changes)", "plan", *ENV) == 2,
            step("make exactly those changes", "apply", *ENV, "--yes") == 0,
        ]
        shoppers_buy(shop)
        checks += [
            step("the paid orders, once each, to the till", "plan", *ENV, "--flow", "orders") == 2,
            step("book them", "apply", *ENV, "--flow", "orders", "--yes") == 0,
            step("a second run changes nothing (exit 0)", "plan", *ENV) == 0,
            step("what was sent for one record", "logs", *ENV, "--flow", "erp-webshop/orders", "--key", "W1001") == 0,
        ]
        print("\nThe till now holds:")
        for order in till.till.orders.values():
            relation = till.till.relations[int(order["relationNumber"])]
            who = relation.get("companyName") or relation.get("name")
            origin = f"Shopify order {order['extOrderId']}" if order.get("extOrderId") else "a sale at the till"
            print(f"  order {order['orderId']} ({origin}): {who}, branch {order['branchNumber']}, "
                  f"employee {order['employeeNumber']}, paid by {order['paymentList'][0]['method']}")  # fmt: skip
        print("Shopify now holds the orders " + ", ".join(sorted(o["name"] for o in shop.shop.orders.values())))
    if all(checks):
        print("\nDemo finished: every step ended as expected.")
        return 0
    print("\nDemo failed: a step did not end as expected (see above).", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(run())
