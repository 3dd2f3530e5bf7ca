"""Run the demo: validate the bundled specs, plan, apply, and plan again (nothing left to do).

The sandbox environment reads and writes folders under `.tillsync/sandbox/` and talks to the
Shopify sandbox, which the demo serves on 127.0.0.1 while it runs. Each run starts afresh from
`demo/data/`, so the demo shows the same story every time.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from engine import sandboxes
from engine.cli import main as tillsync

DATA = Path(__file__).parent / "data"
SANDBOX = Path(".tillsync") / "sandbox"


def step(title: str, *argv: str) -> int:
    print(f"\n$ tillsync {' '.join(argv)}    # {title}", flush=True)
    return tillsync(list(argv))


def reset_sandbox() -> None:
    shutil.rmtree(SANDBOX, ignore_errors=True)
    SANDBOX.mkdir(parents=True)
    for system in ("erp", "shop"):
        shutil.copytree(DATA / system, SANDBOX / system)


def run() -> int:
    reset_sandbox()
    with sandboxes.running() as started:
        for sandbox in started:
            print(f"Serving the {sandbox.name} sandbox at {sandbox.url}")
            os.environ.update(sandbox.credentials)
        return steps()


def steps() -> int:
    print(f"Demo: erp-webshop ({SANDBOX}/erp → {SANDBOX}/shop) and erp-shopify (ERP files → Shopify sandbox).")
    checks = [
        step("every spec and environment is valid", "validate") == 0,
        step("what a sync would change (exit 2: there are changes)", "plan", "--env", "sandbox") == 2,
        step("make exactly those changes", "apply", "--env", "sandbox") == 0,
        step("nothing left to change (exit 0)", "plan", "--env", "sandbox") == 0,
        step("what was sent for one record", "logs", "--env", "sandbox", "--flow", "orders", "--key", "W1001") == 0,
    ]
    if all(checks):
        print(f"\nDemo finished. The webshop folder holds the synced files ({SANDBOX}/shop); the Shopify")
        print("sandbox held the synced catalogue and stock until the demo stopped it.")
        return 0
    print("\nDemo failed: a step did not end as expected (see above).", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(run())
