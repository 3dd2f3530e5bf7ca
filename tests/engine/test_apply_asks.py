"""`tillsync apply` shows its plan and asks on a terminal; `--yes` for scripts; refused without a terminal.

And the progress of long runs: told to an observer the command line passes down, drawn on a
terminal's stderr, and nothing at all when stderr is not a terminal.
"""

from __future__ import annotations

import io

import pytest

from engine.cli import main
from engine.cli.progress import TerminalProgress
from engine.records import Entity
from engine.run import runner
from engine.run.progress import Step
from tests.engine.conftest import Repo
from tests.engine.test_apply import CATALOGUE


class Terminal(io.StringIO):
    """Standard input on a terminal, where the person types `answer`."""

    def isatty(self) -> bool:
        return True


def answering(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer + "\n"))


def test_on_a_terminal_apply_shows_the_plan_and_applies_it_when_told_yes(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.seed(Entity.product, CATALOGUE)
    answering(monkeypatch, "yes")
    assert main(["apply", "--env", "test"]) == 0
    out, err = capsys.readouterr()
    assert out.index("  5 to create\n") < out.index("Plan: 5 to create.") < out.index("shop-sync/products: 5 created (")
    assert "Apply this plan to test? Only 'yes' applies it:" in err
    assert out.endswith("Apply complete: 5 created.\n")
    assert len(repo.shop().read(Entity.product)) == 5


@pytest.mark.parametrize("answer", ["no", "", "yes please"])
def test_any_other_answer_writes_nothing(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], answer: str
) -> None:
    repo.seed(Entity.product, CATALOGUE)
    answering(monkeypatch, answer)
    assert main(["apply", "--env", "test"]) == 1
    assert capsys.readouterr().out.endswith("Plan: 5 to create.\nApply cancelled; nothing was written.\n")
    assert not (repo.root / "shop" / "products.jsonl").exists()
    with repo.store() as store:
        assert store.runs.list() == [], "no run was started"


def test_without_a_terminal_apply_needs_yes_and_says_so(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.seed(Entity.product, CATALOGUE)
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))  # piped: not a person's answer
    with pytest.raises(SystemExit) as refused:
        main(["apply", "--env", "test"])
    assert refused.value.code == 2
    assert capsys.readouterr().err == (
        "tillsync: error: apply asks before it writes, and stdin is not a terminal to answer on; "
        "pass --yes to apply without asking (scripts, CI)\n"
    )
    assert not (repo.root / "shop" / "products.jsonl").exists()
    for flag in ("--yes", "-y", "--auto-approve"):
        assert main(["apply", "--env", "test", flag]) == 0
    assert len(repo.shop().read(Entity.product)) == 5


def test_with_nothing_to_change_apply_does_not_ask(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.seed(Entity.product, CATALOGUE)
    assert main(["apply", "--env", "test", "--yes"]) == 0
    answering(monkeypatch, "")  # asked, it would be cancelled
    capsys.readouterr()
    assert main(["apply", "--env", "test"]) == 0
    out, err = capsys.readouterr()
    assert "shop-sync/products: no changes (5 unchanged" in out and out.endswith("Apply complete: no changes.\n")
    assert "Apply this plan" not in err


def test_the_run_layer_tells_an_observer_what_it_read_planned_and_wrote(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    heard: list[Step] = []
    workspace = repo.workspace()
    with runner.state_store(workspace) as store:
        [outcome] = runner.sync(workspace, store, runner.select(workspace), progress=heard.append)
    assert outcome.result is not None and outcome.result.ok
    label = "shop-sync/products"
    assert heard == [
        Step(label, "reading erp", 5),
        Step(label, "reading shop", 0),
        Step(label, "planned", 5, 5),
        Step(label, "writing shop", 0, 5),
        Step(label, "writing shop", 2, 5),  # batches of 2
        Step(label, "writing shop", 4, 5),
        Step(label, "writing shop", 5, 5),
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_shows_on_a_terminal_after_a_second_with_rate_and_time_left() -> None:
    stream, clock = Terminal(), Clock()
    progress = TerminalProgress(stream, clock)
    progress(Step("shop/products", "writing shop", 0, 1000))
    clock.now += 0.5
    progress(Step("shop/products", "writing shop", 100, 1000))
    assert stream.getvalue() == "", "a step shorter than a second shows nothing"
    clock.now += 1.5
    progress(Step("shop/products", "writing shop", 400, 1000))
    assert stream.getvalue() == "\rshop/products: writing shop… 400 of 1000, 200/s, about 3 s left\x1b[K"
    clock.now += 0.01
    progress(Step("shop/products", "writing shop", 401, 1000))
    assert stream.getvalue().count("\r") == 1, "redrawn at most ten times a second"
    progress.clear()
    assert stream.getvalue().endswith("\r\x1b[K"), "the line is taken away before anything else is printed"


def test_progress_says_nothing_when_stderr_is_not_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = TerminalProgress(stream, clock)
    for done in range(0, 1000, 10):
        clock.now += 1
        progress(Step("shop/products", "reading erp", done))
    progress.clear()
    assert stream.getvalue() == ""


@pytest.mark.parametrize("on_terminal", [False, True])
def test_a_long_apply_shows_progress_on_a_terminal_only(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], on_terminal: bool
) -> None:
    repo.seed(Entity.product, CATALOGUE)
    clock = Clock()

    def slow() -> float:  # every look at the clock two seconds later: every step is long
        clock.now += 2
        return clock.now

    monkeypatch.setattr("engine.cli.sync.TerminalProgress", lambda: TerminalProgress(clock=slow))
    terminal = Terminal()
    if on_terminal:
        monkeypatch.setattr("sys.stderr", terminal)
    assert main(["apply", "--env", "test", "--yes"]) == 0
    out = capsys.readouterr()
    assert "\r" not in out.out, "progress never goes to stdout"
    if on_terminal:
        assert "\rshop-sync/products: writing shop… 2 of 5" in terminal.getvalue()
        assert terminal.getvalue().endswith("\r\x1b[K"), "cleared before the outcome is printed"
    else:
        assert out.err == "", "stderr is no terminal here: nothing but errors goes there"
