"""The sandbox kit's lost answers: the request runs and changes the sandbox, then its answer is cut
off (`lost`) or held past the client's timeout (`lost_timeout`); scripted or at seeded rates, set
and counted over `/_sandbox/faults` like every other fault. `losing` loses the answer of one chosen
call, for the connectors' tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from connectors.mpluskassa import soap
from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.app import GRAPHQL_PATH
from connectors.testing.faults import CUT_CONNECTION, FaultControl, Faults
from connectors.testing.server import serving


@dataclass
class LoseAnswers:
    """An ASGI app in front of a sandbox: a request whose body holds `marker` (an operation's name)
    gets the fault `kind` from the sandbox's own fault kit, `times` times; the others pass as usual.
    It reads each body before the sandbox does, so a `timeout` here still runs the request once
    the client stopped waiting (the sandbox alone would find the client gone and not run it)."""

    sandbox: Any  # a FaultySandbox
    marker: bytes
    times: int = 1
    kind: str = "lost"
    lost: list[bytes] = field(default_factory=list)  # the bodies whose answers were lost

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.sandbox(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
        if self.marker in body and len(self.lost) < self.times:
            self.lost.append(body)
            self.sandbox.faults = Faults(script=[self.kind], slow_seconds=self.sandbox.faults.slow_seconds)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.sandbox(scope, replay, send)


@contextmanager
def losing(sandbox: Any, marker: str, times: int = 1, kind: str = "lost") -> Iterator[tuple[str, LoseAnswers]]:
    """Serve `sandbox`, losing the answer to the first `times` requests that name `marker`."""
    front = LoseAnswers(sandbox, marker.encode(), times, kind)
    with serving(front) as url:
        yield url, front


RELATION = {"relation": {"name": "Lotte Visser", "email": "lotte@example.com"}}


@pytest.fixture
def till() -> Iterator[tuple[MplusSandbox, str]]:
    sandbox = MplusSandbox()
    with serving(sandbox) as url:
        yield sandbox, url


def create_relation(sandbox: MplusSandbox, url: str, timeout: float = 5.0) -> httpx.Response:
    query = {"ident": sandbox.ident, "secret": sandbox.secret}
    body = soap.request_envelope("createRelation", RELATION)
    return httpx.post(url + "/", params=query, content=body, timeout=timeout)


def emails(sandbox: MplusSandbox) -> list[str | None]:
    return [r.get("email") for r in sandbox.till.relations.values()]


def test_a_lost_answer_is_cut_off_after_the_request_ran(till: tuple[MplusSandbox, str]) -> None:
    sandbox, url = till
    FaultControl(url).set(script=["lost"])
    with pytest.raises(httpx.RemoteProtocolError):
        create_relation(sandbox, url)
    assert emails(sandbox) == ["lotte@example.com"], "the relation was made though no answer came"
    assert FaultControl(url).status()["injected"] == {"lost": 1}


def test_a_lost_answer_can_also_come_after_the_client_stopped_waiting(till: tuple[MplusSandbox, str]) -> None:
    sandbox, url = till
    FaultControl(url).set(script=["lost_timeout"], slow_seconds=0.5)
    with pytest.raises(httpx.ReadTimeout):
        create_relation(sandbox, url, timeout=0.2)
    assert emails(sandbox) == ["lotte@example.com"]


def test_the_faults_before_a_request_runs_leave_the_sandbox_as_it_was(till: tuple[MplusSandbox, str]) -> None:
    sandbox, url = till
    FaultControl(url).set(script=["drop", "timeout"], slow_seconds=0.5)
    with pytest.raises(CUT_CONNECTION):
        create_relation(sandbox, url)
    with pytest.raises(httpx.ReadTimeout):
        create_relation(sandbox, url, timeout=0.2)
    assert emails(sandbox) == [], "a dropped or timed-out request never ran"


def test_shopify_runs_a_mutation_whose_answer_is_lost() -> None:
    sandbox = ShopifySandbox()
    sandbox.faults = Faults(script=["lost"])
    mutation = 'mutation { customerSet(identifier: {email: "a@example.com"}, input: {email: "a@example.com"}) ' \
               "{ customer { id } userErrors { message } } }"  # fmt: skip
    with serving(sandbox) as url, pytest.raises(httpx.RemoteProtocolError):
        httpx.post(url + GRAPHQL_PATH, json={"query": mutation}, headers={"X-Shopify-Access-Token": sandbox.token})
    assert [c["email"] for c in sandbox.shop.customers.values()] == ["a@example.com"]


def test_lost_answers_come_at_seeded_rates_and_after_a_script() -> None:
    def drawn(seed: int) -> list[str | None]:
        faults = Faults(rates={"lost": 0.3, "lost_timeout": 0.1}, seed=seed)
        return [faults.pick() for _ in range(60)]

    assert drawn(3) == drawn(3) and {"lost", "lost_timeout", None} == set(drawn(3))
    scripted = Faults(rates={"lost": 1.0}, script=["500"])
    assert [scripted.pick(), scripted.pick()] == ["500", "lost"]
    with pytest.raises(ValueError, match="unknown fault 'lose'"):
        Faults(script=["lose"])


def test_a_script_can_pass_requests_through_before_its_fault(till: tuple[MplusSandbox, str]) -> None:
    sandbox, url = till
    FaultControl(url).set(script=["ok", "lost"])
    assert create_relation(sandbox, url).status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        create_relation(sandbox, url)
    assert len(emails(sandbox)) == 2 and FaultControl(url).status()["injected"] == {"lost": 1}
    with pytest.raises(ValueError, match="unknown fault 'ok'"):
        Faults(rates={"ok": 0.5})


def test_a_slow_answer_comes_whole_within_the_clients_timeout(till: tuple[MplusSandbox, str]) -> None:
    sandbox, url = till
    FaultControl(url).set(script=["slow"], slow_seconds=0.5)
    started = time.monotonic()
    create_relation(sandbox, url, timeout=5)
    assert time.monotonic() - started >= 0.5, "the answer was held"
    assert emails(sandbox) == ["lotte@example.com"]
    assert FaultControl(url).status()["injected"] == {"slow": 1}
