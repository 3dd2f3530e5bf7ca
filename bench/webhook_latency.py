"""A paid Shopify order, from its webhook to the stock it reserves in MplusKASSA, at an everyday pace.

`tillsync webhooks serve` (the receiver with its event worker) takes Shopify's `orders/paid`
webhooks while shoppers pay 100 orders, arriving at random, 2 a second on average
(`bench.paid_orders` says what is measured and how).
"""

from __future__ import annotations

import statistics

from bench import Figures
from bench.paid_orders import pay, percentile

ORDERS = 100
RATE = 2.0  # orders per second, on average


def run(scale: float = 1.0) -> dict[str, Figures]:
    count = max(int(ORDERS * scale), 5)
    paid = pay(count, RATE, seed=5)
    if paid.lost:
        raise RuntimeError(f"{paid.lost} orders never reached the till")
    latencies = paid.latencies()
    return {
        "webhook_latency": {
            "orders": count, "arrival_rate_per_s": RATE,
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(percentile(latencies, 0.95), 3),
            "max_s": round(latencies[-1], 3),
            "note": f"real time over loopback HTTP; {count} paid orders arriving at random, {RATE:g} a second on "
            "average; from Shopify recording the payment to MplusKASSA holding the order and its reserved stock",
        }
    }  # fmt: skip
