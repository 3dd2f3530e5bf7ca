"""`tillsync init` on a real pseudo-terminal: one whole session as a person has it, with wrong answers
asked again, then the files it wrote checked as CI would check them."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect

from connectors import CONNECTORS
from engine.run.mapping_tests import run_suites
from engine.validate.files import load_spec

# question (a pattern of its prompt) → what the person types; unlisted questions take their default
ANSWERS = [
    (r"Which system is the till or ERP.*\[mpluskassa\] $", "mplus"),  # wrong: asked again
    (r"What is the integration called\? \[mpluskassa-shopify\] $", "till-shop"),
    (r"Which flows\? .*\[products,stock,orders\] $", "products,stock,orders,customers"),
    (r"stock: which pos location goes to which shop location\?.*\[1:warehouse\] $", "1:warehouse,2:store-amsterdam"),
    (r"orders: the customer number .* \[1000\] $", "2000"),
    (r"customers: read from which system\? \(pos, shop, both\) \[pos\] $", "both"),
    (r"customers: which system wins .*\[pos\] $", "shop"),
    (r"pos \(mpluskassa\): url, .*\? $", "https://api.example.nl:34567"),
    (r"shop \(shopify\): currency, .*\[EUR\] $", "SEK"),
    (r"shop \(shopify\): which variable is its access_token read from\? .*\[env:SHOPIFY_ACCESS_TOKEN\] $", None),
]
ANY_QUESTION = r"\n[^\n]*\? [^\n]*$"


def test_a_whole_session_on_a_terminal_writes_what_was_answered(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    child = pexpect.spawn(sys.executable, ["-m", "engine.cli", "init"], cwd=str(tmp_path), env=env,
                          encoding="utf-8", timeout=60, dimensions=(50, 300))  # fmt: skip
    asked: list[str] = []
    secret_refused = False
    patterns = [re.compile(p) for p, _ in ANSWERS]
    while True:
        index = child.expect([*patterns, re.compile(r"[?\]] $"), pexpect.EOF])
        if index == len(patterns) + 1:
            break
        prompt = [*(child.before or "").splitlines()[-1:], str(child.after)]
        asked.append("".join(prompt))
        if index < len(ANSWERS) and ANSWERS[index][1] is not None:
            child.sendline(ANSWERS[index][1])
            if ANSWERS[index][1] == "mplus":
                child.expect("unknown connector 'mplus'")
                patterns[index] = re.compile("(?!)")  # asked again: answered by its default this time
        elif index < len(ANSWERS) and not secret_refused:  # the access token: a secret typed in is refused
            child.sendline("shpat_0123456789")
            child.expect("a credential is never written in a spec")
            secret_refused = True
        else:
            child.sendline("")
    child.close()
    assert child.exitstatus == 0, child.before
    assert secret_refused and len(asked) >= 15, asked
    spec = load_spec(tmp_path / "specs" / "till-shop.yaml", CONNECTORS).integration
    assert spec.systems["pos"].settings == {"url": "https://api.example.nl:34567"}
    assert spec.systems["shop"].settings == {"currency": "SEK"}
    assert spec.systems["shop"].credentials["access_token"] == "env:SHOPIFY_ACCESS_TOKEN"
    assert spec.flows["stock"].settings.location_map == {"1": "warehouse", "2": "store-amsterdam"}
    assert spec.flows["orders"].settings.default_debtor == "2000" and spec.flows["orders"].status == ["paid"]
    assert (spec.flows["customers"].direction.value, spec.flows["customers"].master) == ("two-way", "shop")
    assert "shpat_0123456789" not in "".join(p.read_text() for p in tmp_path.rglob("*.yaml"))
    ran, failures = run_suites([tmp_path / "specs" / "tests" / "till-shop.yaml"], tmp_path, CONNECTORS)
    assert (ran, failures) == (4, [])
    assert "till-shop:" in (tmp_path / "environments" / "sandbox.yaml").read_text()


def test_input_ending_mid_session_writes_nothing(tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "engine.cli", "init"], cwd=str(tmp_path),
                          env={**os.environ, "NO_COLOR": "1"}, encoding="utf-8", timeout=60)  # fmt: skip
    child.expect(r"\[mpluskassa\] $")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1 and "nothing was written" in (child.before or "")
    assert list(tmp_path.iterdir()) == []
