"""Benchmarks: what a sync costs against Shopify's rate budget, and what planning costs in CPU.

Run on demand with `make bench` (or `python -m bench [--only NAME] [--scale F]`); not part of
`make test`. Each scenario is a module with `run(scale) -> {result key: figures}`; `__main__`
prints the figures as a table, checks them against the targets and writes `bench/results.json`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Figures = dict[str, Any]
NAMES = (
    "stock_sync",
    "plan_100k",
    "stock_growth",
    "webhook_latency",
    "webhook_load",
    "easycashier_latency",
    "product_sync",
    "cli",
    "scale",
)
# Run only when asked (`--only scale`, `make bench-scale`): it needs PostgreSQL and RabbitMQ running.
ON_REQUEST = ("scale",)


def scenario(name: str) -> Callable[[float], dict[str, Figures]]:
    module = importlib.import_module(f"bench.{name}")
    return module.run  # type: ignore[no-any-return]
