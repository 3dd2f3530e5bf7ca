"""Paid Shopify orders under load: 20 a second for 60 seconds, from their webhook to the till.

`tillsync webhooks serve` (the receiver with its event worker) takes Shopify's `orders/paid`
webhooks while 1,200 orders arrive at random, 20 a second on average, in real time
(`bench.paid_orders` says what is measured and how). Every order must reach the till once: `lost`
counts those the till never held, `doubled` those it holds more than once. `receiver_p99_s` is the
receiver's answer time to a delivery as the sender saw it, which Shopify cuts off at 5 s.
"""

from __future__ import annotations

import statistics

from bench import Figures
from bench.paid_orders import pay, percentile

RATE = 20.0  # orders per second, on average
SECONDS = 60.0
# 72,000 orders an hour is a Shopify Plus store. Each paid order is read back from Shopify (about 15
# cost points): a Standard plan's 100 points a second carries about 7 orders a second, not 20.
PLAN = "plus"


def run(scale: float = 1.0) -> dict[str, Figures]:
    count = max(int(RATE * SECONDS * scale), 20)
    paid = pay(count, RATE, seed=20, plan=PLAN)
    latencies = paid.latencies() or [float("nan")]
    answers = paid.answers_s or [float("nan")]
    return {
        "webhook_load": {
            "orders": count, "arrival_rate_per_s": RATE, "plan": PLAN,
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(percentile(latencies, 0.95), 3),
            "max_s": round(latencies[-1], 3),
            "lost": paid.lost, "doubled": paid.doubled,
            "receiver_p50_s": round(statistics.median(answers), 4),
            "receiver_p99_s": round(percentile(answers, 0.99), 4),
            "receiver_max_s": round(answers[-1], 4),
            "deliveries": len(paid.answers_s), "unanswered": paid.unanswered,
            "note": f"real time over loopback HTTP, the shop on Shopify's {PLAN} plan; {count} paid orders arriving "
            f"at random, {RATE:g} a second on average; latency from Shopify recording the payment to MplusKASSA "
            "holding the order; the receiver's answer time per delivery as the sandbox shop saw it (it sends its "
            "deliveries one after another)",
        }
    }  # fmt: skip
