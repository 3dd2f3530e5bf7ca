"""Dagster's run-failure sensor `tillsync_alerts`, evaluated as Dagster's daemon evaluates it, over
real runs in a real Dagster instance: a failed run the runner did not alert is alerted once, through
the same code as every face; a run that sent its own alert is not alerted again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from engine.state import StateStore, default_url
from tests.alerts.conftest import TOKEN, Chat
from tests.alerts.conftest import chat as chat  # the chat channel's receiver, shared
from tests.dagster.test_partitions import definitions

pytestmark = pytest.mark.slow
INTEGRATION = "mpluskassa-shopify-pos"
STOCK = dg.AssetKey([INTEGRATION, "shop", "stock"])


class Daemon:
    """What Dagster's daemon does with the sensor: evaluate a tick, keep its cursor for the next."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
        self.sensor = defs.resolve_sensor_def("tillsync_alerts")
        self.instance = instance
        self.cursor: str | None = None

    def tick(self) -> None:
        with dg.build_sensor_context(instance=self.instance, cursor=self.cursor) as context:
            result = self.sensor.evaluate_tick(context)
        self.cursor = result.cursor


@pytest.fixture
def alerting(location: dict[str, object], chat: Chat, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The code location's environment alerting to the chat receiver."""
    root = location["root"]
    assert isinstance(root, Path)
    environment = root / "environments" / "test.yaml"
    environment.write_text(environment.read_text() + "alerts:\n  chat: {url: env:ALERT_CHAT_URL}\n")
    monkeypatch.setenv("ALERT_CHAT_URL", chat.url)
    return location


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as running:
        yield running


def run(
    defs: dg.Definitions, instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None = None
) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(asset_selection=[key], partition_key=partition, raise_on_error=False,
                                  instance=instance)  # fmt: skip


def test_a_failed_run_the_runner_did_not_alert_is_alerted_once_by_the_sensor(
    alerting: dict[str, object], chat: Chat, instance: dg.DagsterInstance
) -> None:
    defs = alerting["defs"]
    assert isinstance(defs, dg.Definitions)
    daemon = Daemon(defs, instance)
    daemon.tick()  # the sensor starts: runs before it are not its business
    root = alerting["root"]
    assert isinstance(root, Path)
    # another process applies the flow: the run fails taking its lock, before the runner could say anything
    with StateStore(default_url(root, "test")) as store, store.locks.hold(INTEGRATION, "stock"):
        assert not run(defs, instance, STOCK).success
    assert chat.posts == [], "the runner did not alert it"
    daemon.tick()
    [text] = chat.texts()
    assert text.startswith(f"[tillsync test] {INTEGRATION}/stock: the run failed: Dagster run ")
    assert "is being applied by" in text, "the step's own words, not only that the run failed"
    assert f"tillsync logs --env test --flow {INTEGRATION}/stock" in text
    daemon.tick()
    assert len(chat.posts) == 1, "a run is alerted once"


def test_a_run_that_sent_its_own_alert_is_not_alerted_again(
    alerting: dict[str, object], chat: Chat, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    defs = alerting["defs"]
    assert isinstance(defs, dg.Definitions)
    daemon = Daemon(defs, instance)
    daemon.tick()
    monkeypatch.setenv("MPLUS_SECRET", "not-the-secret")  # the till refuses the run's credentials
    assert not run(defs, instance, STOCK).success
    daemon.tick()
    [text] = chat.texts()
    assert text.startswith(f"[tillsync test] {INTEGRATION}/pos (mpluskassa) refused Tillsync's credentials")
    assert "not-the-secret" not in text and TOKEN not in text
    daemon.tick()
    assert len(chat.posts) == 1


def test_a_failed_run_of_a_partition_is_alerted_as_the_flow_of_that_shop(
    tmp_path: Path, chat: Chat, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Rackbeat integration's stock is one asset with a partition per shop: a failed run of the
    outlet's partition is the outlet's flow (`outlet-stock`), not the first shop's."""
    defs = definitions(tmp_path, monkeypatch, {"rackbeat-shopify": "rackbeat-shopify.yaml"})
    environment = tmp_path / "environments" / "many.yaml"
    environment.write_text(environment.read_text() + "alerts:\n  chat: {url: env:ALERT_CHAT_URL}\n")
    monkeypatch.setenv("ALERT_CHAT_URL", chat.url)
    daemon = Daemon(defs, instance)
    daemon.tick()
    stock = dg.AssetKey(["rackbeat-shopify", "shopify", "stock"])
    with StateStore(default_url(tmp_path, "many")) as store, store.locks.hold("rackbeat-shopify", "outlet-stock"):
        assert not run(defs, instance, stock, partition="outlet").success
    daemon.tick()
    [text] = chat.texts()
    assert text.startswith("[tillsync many] rackbeat-shopify/outlet-stock: the run failed: Dagster run ")
    assert "tillsync apply --env many --flow rackbeat-shopify/outlet-stock" in text
