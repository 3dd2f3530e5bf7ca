"""The sandbox kit the contract runs on: faults injected in each system's own shape, on the requests
the sandbox names, scripted or at seeded rates, set and counted over HTTP at `/_sandbox/faults`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connectors.mpluskassa import soap
from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.app import GRAPHQL_PATH
from connectors.testing.faults import CUT_CONNECTION, FaultControl, Faults
from connectors.testing.server import serving


@pytest.fixture
def shop() -> Iterator[str]:
    with serving(ShopifySandbox()) as url:
        yield url


@pytest.fixture
def till() -> Iterator[str]:
    with serving(MplusSandbox()) as url:
        yield url


def test_shopify_faults_are_shopifys(shop: str) -> None:
    FaultControl(shop).set(script=["429", "500", "drop"])

    def ask() -> httpx.Response:
        query = {"query": "{ shop { name } }"}
        return httpx.post(shop + GRAPHQL_PATH, json=query, headers={"X-Shopify-Access-Token": "shpat_wrong"})

    limited, failed = ask(), ask()
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1.0")
    assert "Too many requests" in limited.json()["errors"]
    assert failed.status_code in (500, 503) and failed.json() == {"errors": "Internal Server Error"}
    with pytest.raises(CUT_CONNECTION):
        ask()
    assert ask().status_code == 401, "after the script, the sandbox answers as itself"


def test_a_429_asks_for_the_wait_a_test_sets_and_otherwise_for_the_systems_own(till: str) -> None:
    control = FaultControl(till)
    control.set(script=["429", "429"], retry_after=0.01)
    assert control.status()["retry_after"] == 0.01
    first = httpx.post(till + "/", content=soap.request_envelope("getBranches", {}))
    assert (first.status_code, first.headers["Retry-After"]) == (429, "0.01")
    control.set(script=["429"])
    second = httpx.post(till + "/", content=soap.request_envelope("getBranches", {}))
    assert (second.status_code, second.headers["Retry-After"]) == (429, "1")


def test_mpluskassa_server_faults_are_soap_faults_and_the_wsdl_is_never_faulted(till: str) -> None:
    control = FaultControl(till)
    control.set(rates={"500": 1.0})
    assert httpx.get(till + "/?wsdl").status_code == 200
    answer = httpx.post(till + "/", content=soap.request_envelope("getBranches", {}))
    assert answer.status_code == 500 and answer.headers["content-type"].startswith("text/xml")
    with pytest.raises(soap.SoapFault) as fault:
        soap.read_answer("getBranches", answer.content)
    assert fault.value.code == "Server"
    assert control.status()["requests"] == 1 and control.status()["injected"] == {"500": 1}


def test_the_control_endpoint_refuses_an_unknown_fault_and_keeps_the_old_ones(till: str) -> None:
    control = FaultControl(till)
    control.set(script=["429"])
    refused = httpx.post(control.url, json={"rates": {"503": 0.5}})
    assert refused.status_code == 400 and "unknown fault '503'" in refused.json()["error"]
    assert control.status()["script"] == ["429"]


def test_seeded_rates_give_the_same_faults_every_run() -> None:
    def drawn(seed: int) -> list[str | None]:
        faults = Faults(rates={"429": 0.2, "500": 0.2, "drop": 0.1}, seed=seed)
        return [faults.pick() for _ in range(50)]

    assert drawn(7) == drawn(7) and drawn(7) != drawn(8)
    assert {"429", "500", "drop", None} == set(drawn(7))


def test_a_script_comes_before_the_rates_and_in_order() -> None:
    faults = Faults(rates={"500": 1.0}, script=["drop", "429"])
    assert [faults.pick() for _ in range(3)] == ["drop", "429", "500"]
