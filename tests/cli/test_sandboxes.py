"""The sandboxes an environment runs on: one per connector and port, so two Shopify systems on two
ports are two shops of their own, and systems on one URL share one; a port another program holds,
or one expected by two connectors, is one sentence."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from connectors import CONNECTORS
from connectors.shopify.schema import API_VERSION
from engine.cli import main, sandboxes
from engine.errors import TillsyncError
from engine.run.workspace import load_workspace
from tests.cli.test_ui import free_port, listening, repository

SHOP_QUERY = {"query": "{ shop { name myshopifyDomain } products(first: 10) { nodes { title } } }"}


def _plan(root: Path) -> list[sandboxes.Used]:
    return sandboxes.plan(load_workspace(root, "sandbox", connectors=CONNECTORS, environ=dict(os.environ)), CONNECTORS)


def _shops(used: list[sandboxes.Used]) -> dict[int, sandboxes.Used]:
    return {u.port: u for u in used if u.name == "shopify"}


def _point(root: Path, old: int, new: int) -> None:
    environment = root / "environments" / "sandbox.yaml"
    environment.write_text(environment.read_text().replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}"))


def test_each_port_is_a_sandbox_of_its_own_named_after_its_system(tmp_path: Path) -> None:
    root = repository(tmp_path, shop := free_port(), free_port())
    used = _plan(root)
    shops = _shops(used)
    systems = sorted(system for u in shops.values() for system in u.systems)
    assert len(shops) == len(systems) == 6, "a shop for each, rackbeat-shopify's shop and outlet two"
    assert shops[shop].systems == (("mpluskassa-shopify-pos", "shop"),)
    assert shops[shop].seed(True).name == "mpluskassa-shopify-pos-shop"
    outlet = next(u for u in shops.values() if ("rackbeat-shopify", "outlet") in u.systems)
    assert outlet.systems == (("rackbeat-shopify", "outlet"),) and outlet.synced_with == ("rackbeat",)
    assert [u.name for u in used if u.name != "shopify"] == [
        "ccv",
        "easycashier",
        "mpluskassa",
        "rackbeat",
        "visma_net",
    ]
    assert all(u.started for u in used), "every port is free"


def test_systems_on_one_url_share_its_sandbox(tmp_path: Path) -> None:
    root = repository(tmp_path, shop := free_port(), free_port())
    outlet = next(port for port, u in _shops(_plan(root)).items() if ("rackbeat-shopify", "outlet") in u.systems)
    _point(root, outlet, shop)
    shops = _shops(_plan(root))
    assert len(shops) == 5
    assert shops[shop].systems == (("mpluskassa-shopify-pos", "shop"), ("rackbeat-shopify", "outlet"))
    assert shops[shop].synced_with == ("mpluskassa", "rackbeat")


def test_a_port_two_connectors_expect_is_one_sentence(tmp_path: Path) -> None:
    root = repository(tmp_path, shop := free_port(), till := free_port())
    _point(root, till, shop)
    with pytest.raises(TillsyncError) as caught:
        _plan(root)
    assert str(caught.value) == (
        f"mpluskassa-shopify-pos's system shop expects the shopify sandbox on port {shop}, where "
        "mpluskassa-shopify-pos's system pos expects the mpluskassa sandbox; give each a port of its own"
    )


def test_sandbox_up_on_a_port_another_program_holds_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repository(tmp_path, free_port(), till := free_port()))
    outlet = next(port for port, u in _shops(_plan(tmp_path)).items() if ("rackbeat-shopify", "outlet") in u.systems)
    with listening(outlet):
        assert main(["sandbox", "up", "--", "true"]) == 1
    said = capsys.readouterr()
    assert said.err.strip() == (
        f"tillsync: port {outlet}, where rackbeat-shopify's system outlet expects the shopify sandbox, is taken by "
        "another program (not a Tillsync sandbox); stop it, or point that system's url at a free port"
    )
    assert said.out == ""
    with listening(till):
        pass  # the till's sandbox was not started


def test_sandbox_up_serves_a_shop_per_port_each_seeded_for_its_integration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repository(tmp_path, free_port(), free_port())
    monkeypatch.chdir(root)
    shops = _shops(_plan(root))
    script = tmp_path / "ask.py"
    script.write_text(
        "import json, sys, httpx\n"
        f"query = {SHOP_QUERY!r}\n"
        "answers = {port: httpx.post(f'http://127.0.0.1:{port}/admin/api/" + API_VERSION + "/graphql.json', "
        "json=query, headers={'X-Shopify-Access-Token': 'shpat_sandbox_token'}).json()['data'] "
        "for port in map(int, sys.argv[2:])}\n"
        "open(sys.argv[1], 'w').write(json.dumps(answers))\n"
    )
    answers = tmp_path / "answers.json"
    command = ["sandbox", "up", "--seed", "--", sys.executable, str(script), str(answers), *map(str, shops)]
    assert main(command) == 0
    said = {int(port): data for port, data in json.loads(answers.read_text()).items()}
    for port, shop in shops.items():
        name = "-".join(shop.systems[0])
        assert said[port]["shop"] == {"name": name, "myshopifyDomain": f"{name}.myshopify.com"}
    sold = {
        "-".join(shops[port].systems[0]): [p["title"] for p in data["products"]["nodes"]] for port, data in said.items()
    }
    assert sold == {
        "ccv-salespos-shopify-shop": [],
        "easycashier-shopify-shop": ["Linen tea towel", "Ceramic mug", "Cookbook: Fika"],
        "mpluskassa-shopify-pos-shop": ["Stoneware mug"],
        "rackbeat-shopify-outlet": ["Linen towel"],
        "rackbeat-shopify-shop": ["Linen towel"],
        "visma-net-shopify-pos-shop": ["Stoneware mug"],
    }
    assert not any(_answers(port) for port in shops), "stopped with the command"


def _answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/_sandbox/faults", timeout=1)
    except httpx.HTTPError:
        return False
    return True
