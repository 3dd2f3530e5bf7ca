"""The scale scenario at a tiny size: two shops of ten SKUs, on one Celery worker and then two,
with Dagster and Tillsync's state in PostgreSQL and the broker on RabbitMQ. It keeps the scenario
working and its checks honest; no figure here is held to a speed."""

from __future__ import annotations

import os
import socket

import pytest

from bench import scale

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def services(postgres_url: str) -> None:
    """PostgreSQL (through the `postgres_url` fixture's check) and RabbitMQ, or a skip (a failure
    where services are required)."""
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as exc:
        if os.environ.get("TILLSYNC_REQUIRE_SERVICES"):
            pytest.fail(f"RabbitMQ at 127.0.0.1:5672 is required here but unreachable: {exc}")
        pytest.skip(f"RabbitMQ at 127.0.0.1:5672 is not reachable: {exc}")


@pytest.mark.usefixtures("services")
def test_every_shop_ends_in_step_on_one_worker_and_on_two_with_each_level_written_once() -> None:
    figures = scale.run(0.01)["scale"]  # 2 shops × 10 SKUs
    assert (figures["shops"], figures["skus_per_shop"]) == (2, 10)
    assert figures["in_step"] is True and figures["levels_written_once"] is True
    assert figures["throttled"] == 0
    assert figures["shop_points"] > 0 and figures["max_wall_vs_floor"] > 0
    assert figures["wall_1_worker_s"] > 0 and figures["wall_2_workers_s"] > 0
