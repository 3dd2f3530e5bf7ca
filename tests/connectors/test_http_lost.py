"""The HTTP layer and writes that are not safe to send twice: once such a request may have been
carried out, it is never sent again; rate limits are waited out and use up no attempts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors import http
from connectors.http import Action, Resolution
from engine.errors import AnswerLostError, RetriableConnectorError
from tests.connectors.test_http import SECRET, Outcome, ok, run, status

# Outcomes after which the request may have run: the server had it, and no answer says what became of it.
REACHED: list[Outcome] = [
    httpx.ReadTimeout("slow"),
    httpx.WriteTimeout("slow"),
    httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    httpx.ReadError("reset"),
    status(500),
    status(502),
    status(503),
    status(504),
]
# Outcomes before it reached the server, or answers that say it was not carried out.
NOT_REACHED: list[Outcome] = [
    httpx.ConnectError("refused"),
    httpx.ConnectTimeout("slow"),
    httpx.PoolTimeout("busy"),
    status(408),
    status(429, **{"Retry-After": "1"}),
]


def label(outcome: Outcome) -> str:
    return type(outcome).__name__ if isinstance(outcome, Exception) else f"HTTP {outcome.status_code}"


@pytest.mark.parametrize("outcome", REACHED, ids=label)
def test_a_request_that_may_have_run_is_not_sent_again_without_resend(outcome: Outcome) -> None:
    with pytest.raises(AnswerLostError, match=r"^Test items: the answer was lost \(") as caught:
        run([outcome, ok()], resend=False)
    assert isinstance(caught.value, RetriableConnectorError), "left unsettled, the run goes on and retries later"
    result, script, _ = run([outcome, ok()])
    assert result == {"ok": True} and len(script.requests) == 2, "a request safe to send twice is sent again"


@pytest.mark.parametrize("outcome", NOT_REACHED, ids=label)
def test_a_request_that_did_not_run_is_sent_again_even_without_resend(outcome: Outcome) -> None:
    result, script, _ = run([outcome, ok()], resend=False)
    assert result == {"ok": True} and len(script.requests) == 2


def test_an_answer_cut_off_as_the_api_hook_reads_it_is_lost_too() -> None:
    def answer(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return Resolution(Action.retry, "the answer was cut off", reached=True)

    cut = httpx.Response(200, text='{"da')
    with pytest.raises(AnswerLostError, match=r"the answer was lost \(the answer was cut off\)"):
        run([cut, ok()], answer=answer, resend=False)
    assert run([cut, ok()], answer=answer)[0] == {"ok": True}


def test_a_lost_answer_names_no_secret() -> None:
    table = {**http.DEFAULT_TABLE, 502: Resolution(Action.retry, "HTTP 502: {body}", reached=True)}
    with pytest.raises(AnswerLostError) as caught:
        run([status(502, f"echo {SECRET}")], auth=http.QueryCredentials({"secret": SECRET}), table=table, resend=False)
    assert SECRET not in str(caught.value) and http.MASK in str(caught.value)


def test_rate_limits_are_waited_out_whatever_the_attempts_and_only_patience_ends_them() -> None:
    limited = status(429, **{"Retry-After": "2"})
    result, script, time = run([limited] * 8 + [ok()], attempts=2)
    assert result == {"ok": True} and len(script.requests) == 9 and time.waits == [2.0] * 8
    result, _, time = run([limited, status(503), limited, ok()], attempts=2)
    assert result == {"ok": True}, "one failure of two; the rate limits between do not count"
    with pytest.raises(RetriableConnectorError, match=r"still rate limited after waiting 6 s \(HTTP 429\)"):
        run([limited] * 8, patience=7.0)
