"""`make demo` tells its story in under 100 lines; a step that fails is named, with its exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from demo.__main__ import ENV, Step, StepFailed, applied, plan_counts, run_step

REPO = Path(__file__).parents[2]


def test_a_step_prints_its_heading_and_what_matters_of_its_output(capsys: pytest.CaptureFixture[str]) -> None:
    def plan(argv: list[str]) -> int:
        print('shop/products: erp → shop (product by sku; 2 read)\n  + create 1  (new in erp)\n      sku: "1"')
        print("  + create 2  (new in erp)\n  2 to create\n\nshop/stock: no changes (4 unchanged)\n\nPlan: 2 to create.")
        return 2

    run_step(2, Step("What a sync would change", ("plan", *ENV), 2, plan_counts), verbose=False, run=plan)
    assert capsys.readouterr().out == (
        "\n2. What a sync would change\n   $ tillsync plan --env sandbox\n"
        "   shop/products: 2 to create\n   shop/stock: no changes (4 unchanged)\n   Plan: 2 to create.\n"
    )


def test_a_failing_step_is_named_with_the_exit_code_expected_and_got_and_its_whole_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def apply(argv: list[str]) -> int:
        print("shop/products: erp → shop (product by sku; 1 read)\n  + create 1  (new in erp)\n  1 to create")
        print("\nPlan: 1 to create.\n\nshop/products: 1 failed (1 call, 0.01 s)\n  x 1: refused")
        print("tillsync: something the essentials leave out", file=sys.stderr)
        return 1

    with pytest.raises(StepFailed) as failed:
        run_step(3, Step("Make exactly those changes", ("apply", *ENV, "--yes"), 0, applied), verbose=False, run=apply)
    assert str(failed.value) == (
        "step 3 (Make exactly those changes) failed: `tillsync apply --env sandbox --yes` exited 1, expected 0"
    )
    out = capsys.readouterr().out
    assert "   + create 1  (new in erp)\n" in out and "   tillsync: something the essentials leave out\n" in out


def test_a_usage_error_is_a_step_that_failed_not_a_demo_that_crashed(capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(argv: list[str]) -> int:
        raise SystemExit(2)

    with pytest.raises(StepFailed, match="exited 2, expected 0"):
        run_step(1, Step("Check", ("validate",), 0, plan_counts), verbose=False, run=refuse)


def test_apply_essentials_are_what_it_did_not_the_plan_it_showed() -> None:
    output = "a/b: erp → shop (x)\n  + create 1  (new)\n  1 to create\n\nPlan: 1 to create.\n\n"
    output += "a/b: 1 created (1 call, 0.01 s)\n"
    assert applied(output + "Apply complete: 1 created.\n") == [
        "a/b: 1 created (1 call, 0.01 s)",
        "Apply complete: 1 created.",
    ]


@pytest.mark.slow
def test_make_demo_tells_its_story_in_under_100_lines(tmp_path: Path) -> None:
    for folder in ("specs", "environments", "demo"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    done = subprocess.run([sys.executable, "-m", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) < 100, done.stdout
    assert (
        "   mpluskassa-shopify-pos/stock: 8 to create" in lines
        and "   mpluskassa-shopify-pos/stock: 8 created (" in done.stdout
    )
    assert "   Apply complete: 37 created." in lines and "   No changes. The targets match the sources." in lines
    assert lines[-1] == "Demo finished: every step ended as expected."
