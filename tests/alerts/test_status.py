"""`tillsync status` as the on-call engineer and a monitoring system read it: per flow its last run,
dead letters with reasons, open alerts and the next command; JSON for dashboards; exit 0/1/2/3."""

from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.records import Entity
from engine.webhooks.worker import EventWorker
from tests.alerts.conftest import Chat, Mailbox
from tests.alerts.test_alerts import BAD, GOOD, HEADER
from tests.engine.conftest import SPEC, Repo
from tests.engine.test_apply import CATALOGUE


def test_dead_letters_are_a_warning_with_their_reasons_and_the_commands_to_run(
    alerted: Repo, chat: Chat, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    (alerted.root / "erp" / "products.csv").write_text(HEADER + GOOD + BAD)
    main(["apply", "--env", "test", "--yes"])
    capsys.readouterr()
    assert main(["status", "--env", "test"]) == 1
    out = capsys.readouterr().out
    assert "WARNING shop-sync/products: 1 dead letter open" in out
    assert "last run: apply failed at " in out and "plan now: in step" in out
    assert "    3: cannot be read: erp/products.csv:4: column 'variants.price': 'NaN EUR' is not an amount" in out
    assert "(sent): shop-sync/products: 1 record went to dead letters" in out
    assert "next: tillsync logs --env test --flow shop-sync/products --key 3" in out
    assert "next: tillsync retry --env test --flow shop-sync/products" in out
    assert out.endswith("test: 1 warning\n")

    assert main(["status", "--env", "test", "--format", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    [flow] = body["flows"]
    assert body["status"] == "warning" and flow["status"] == "warning" and flow["dead_letters"] == 1
    assert flow["first_dead_letters"][0]["key"] == "3" and "NaN EUR" in flow["first_dead_letters"][0]["reason"]
    assert flow["last_run"]["kind"] == "apply" and flow["last_run"]["status"] == "failed"
    assert [a["kind"] for a in flow["alerts"]] == ["dead_letters"]
    assert flow["next"][-1] == "tillsync retry --env test --flow shop-sync/products"


def test_a_flow_held_at_the_gate_is_critical_and_one_in_step_ok(
    alerted: Repo, chat: Chat, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    alerted.write_spec(SPEC + "    gate: {max_change_share: 0.5, min_changes: 1}\n    trigger: {webhook: true}\n")
    alerted.seed(Entity.product, CATALOGUE)
    with alerted.store() as store:
        store.events.record("shop-sync", "erp", "w-1", "products/update", "product", ["products"], [], {})
        EventWorker(alerted.workspace(), store).drain()
    assert main(["status", "--env", "test"]) == 2
    out = capsys.readouterr().out
    assert "CRITICAL shop-sync/products: shop-sync/products: held at the gate (blast radius), nothing written" in out
    assert "last run: event stopped at " in out and "5 of 5 records would change" in out
    assert "next: tillsync plan --env test --flow shop-sync/products" in out

    assert main(["apply", "--env", "test", "--yes"]) == 0
    capsys.readouterr()
    assert main(["status", "--env", "test"]) == 0
    assert "OK shop-sync/products: in sync" in capsys.readouterr().out
