"""Run the demo: the bundled integrations on the sandbox environment, end to end.

The MplusKASSA and Shopify sandboxes are served on 127.0.0.1 while the demo runs, the till seeded
with a small catalogue, stock and customers. The demo validates the specs, plans and applies the
catalogue to Shopify, lets two shoppers buy (online and at the Shopify POS), books their orders in
the till, and shows that running again changes nothing. Each run starts afresh from `demo/data/`.

Each step prints a heading, the command and what matters of its output (a plan's count per flow,
what apply did); `--verbose` prints every step's whole output. A step that does not end as
expected stops the demo with its whole output, its name, and the exit code expected and got.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from connectors import CONNECTORS
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import running_sandboxes
from engine.cli import main as tillsync
from engine.errors import TillsyncError
from engine.run.sandbox_env import write_sandbox_env

DATA = Path(__file__).parent / "data"
SANDBOX = Path(".tillsync") / "sandbox"
ENV = ("--env", "sandbox")
INDENT = "   "


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...]
    expected: int  # the exit code it ends with when all is well
    essentials: Callable[[str], list[str]]  # what of its output the story needs


class StepFailed(Exception):
    pass


def everything(output: str) -> list[str]:
    return output.splitlines()


HEADER = re.compile(r"^(\S+): \S+ → \S+ \(")


def plan_counts(output: str) -> list[str]:
    """A plan as one line per flow (its counts) and its total."""
    lines, label = [], None
    for line in output.splitlines():
        if (header := HEADER.match(line)) is not None:
            label = header.group(1)
        elif label is not None and re.match(r"  \d", line):  # a flow's counts, after its changes
            lines.append(f"{label}: {line.strip()}")
            label = None
        elif line and not line.startswith(" "):  # a flow with nothing to do, the total
            lines.append(line)
    return lines


def applied(output: str) -> list[str]:
    """What apply did, flow by flow, and its total: what follows the plan it showed."""
    lines = output.splitlines()
    totals = [index for index, line in enumerate(lines) if line.startswith(("Plan: ", "No changes. "))]
    return [line for line in lines[totals[0] + 1 if totals else 0 :] if line]


def run_step(number: int, step: Step, verbose: bool, run: Callable[[list[str]], int] = tillsync) -> None:
    """Run one step, print its heading and what matters of its output; `StepFailed` when its exit
    code is not the one expected, after printing its whole output."""
    command = f"tillsync {' '.join(step.argv)}"
    print(f"\n{number}. {step.title}\n{INDENT}$ {command}", flush=True)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        try:
            code = run(list(step.argv))
        except SystemExit as exit:  # a usage error ends the command line as it would a shell
            code = exit.code if isinstance(exit.code, int) else 1
    output = captured.getvalue()
    shown = output.splitlines() if verbose or code != step.expected else step.essentials(output)
    print("\n".join(INDENT + line for line in shown))
    if code != step.expected:
        raise StepFailed(f"step {number} ({step.title}) failed: `{command}` exited {code}, expected {step.expected}")


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
    print(f"\nShoppers buy in Shopify: web order {names[0]} (paid by iDEAL) and POS sale {names[1]} (cash).")


# the story's integrations and their sandboxes: the sandbox environment holds more, each on shops of
# their own, which this story leaves out
STORY = ("--flow", "mpluskassa-shopify-pos", "--flow", "erp-webshop")
STORY_ORDERS = ("--flow", "mpluskassa-shopify-pos/orders", "--flow", "erp-webshop/orders")
SANDBOXES = ("shopify", "mpluskassa")
CATALOGUE = [
    Step("Every spec and environment is valid", ("validate",), 0, everything),
    Step("What a sync would change (exit 2: there are changes)", ("plan", *ENV, *STORY), 2, plan_counts),
    Step("Make exactly those changes", ("apply", *ENV, *STORY, "--yes"), 0, applied),
]
ORDERS = [
    Step("The paid orders, once each, to the till", ("plan", *ENV, *STORY_ORDERS), 2, plan_counts),
    Step("Book them", ("apply", *ENV, *STORY_ORDERS, "--yes"), 0, applied),
    Step("A second run changes nothing (exit 0)", ("plan", *ENV, *STORY), 0, plan_counts),
    Step("What was sent for one record", ("logs", *ENV, "--flow", "erp-webshop/orders", "--key", "W1001"), 0,
         everything),
]  # fmt: skip


def run(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every step's whole output")
    verbose = parser.parse_args(argv).verbose
    reset_sandbox()
    try:
        return _tell(verbose)
    except TillsyncError as exc:  # a sandbox's port taken, say
        print(f"Demo could not run: {exc}", file=sys.stderr)
        return 1


def _tell(verbose: bool) -> int:
    with running_sandboxes({name: CONNECTORS[name] for name in SANDBOXES}) as started:
        print("Tillsync demo: " + ", ".join(f"the {s.name} sandbox at {s.url}" for s in started.values()))
        credentials = {name: sandbox.credentials for name, sandbox in started.items()}
        write_sandbox_env(Path.cwd(), "sandbox", CONNECTORS, credentials)
        shop = started["shopify"].sandbox
        till = started["mpluskassa"].sandbox
        try:
            for number, step in enumerate(CATALOGUE, 1):
                run_step(number, step, verbose)
            shoppers_buy(shop)
            for number, step in enumerate(ORDERS, len(CATALOGUE) + 1):
                run_step(number, step, verbose)
        except StepFailed as failed:
            print(f"\nDemo failed at {failed}.", file=sys.stderr)
            return 1
        print("\nThe till now holds:")
        for order in till.till.orders.values():
            relation = till.till.relations[int(order["relationNumber"])]
            who = relation.get("companyName") or relation.get("name")
            origin = f"Shopify order {order['extOrderId']}" if order.get("extOrderId") else "a sale at the till"
            print(f"{INDENT}order {order['orderId']} ({origin}): {who}, branch {order['financialBranchNumber']}, "
                  f"employee {order['employeeNumber']}, paid by {order['paymentList'][0]['method']}")  # fmt: skip
        print("Shopify now holds the orders " + ", ".join(sorted(o["name"] for o in shop.shop.orders.values())))
    print("\nDemo finished: every step ended as expected.")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
