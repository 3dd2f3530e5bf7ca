"""What `tillsync` says when its state store cannot be used or is asked the impossible.

The store's own failures are tested in `tests/engine/test_state_failures.py`; here the same
sentences reach the user through the command line, with an exit code, and nothing is purged,
written or half-written when the command is refused.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.state import StateStore, default_url
from tests.cli.test_no_tracebacks import CSV, ENVIRONMENT, SPEC

ROOT = Path(__file__).parents[2]


def make_repo(root: Path) -> Path:
    for folder, name, text in (("specs", "shop-sync.yaml", SPEC), ("environments", "test.yaml", ENVIRONMENT),
                               ("erp", "products.csv", CSV)):  # fmt: skip
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text(text)
    (root / "shop").mkdir(exist_ok=True)
    return root


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """A repository whose products flow was applied once: one line in the activity log."""
    make_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TILLSYNC_STATE_URL", raising=False)
    assert main(["apply", "--env", "test", "--yes"]) == 0
    capsys.readouterr()
    return tmp_path


def activity(root: Path) -> int:
    with StateStore(default_url(root, "test")) as store:
        return len(store.activity.list())


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse and usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    return code, out + err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["logs", "purge", "--env", "test", "--older-than", "999999999999"], "--older-than 999999999999: give at most"),
        (["logs", "purge", "--env", "test", "--older-than", "-1"], "--older-than -1: give a number of days, 0 or more"),
        (["logs", "--env", "test", "--since", "999999999999d"], "--since '999999999999d': give at most"),
        (["logs", "--env", "test", "--limit", "99999999999999999999999"], "--limit 99999999999999999999999: give at"),
    ],
)
def test_absurd_ages_and_counts_are_usage_errors_and_nothing_is_purged(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    code, said = run(argv, capsys)
    assert code == 2 and words in said, said
    assert activity(repo) == 1


def test_the_oldest_purge_the_calendar_holds_is_allowed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, said = run(["logs", "purge", "--env", "test", "--older-than", "700000"], capsys)
    assert code == 0 and "purged 0 activity entries older than 700000 days" in said, said
    assert activity(repo) == 1


def test_a_mysql_state_url_is_refused_without_its_password(repo: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("TILLSYNC_STATE_URL", "mysql://tillsync:hunter2@db.example/state")
    code, said = run(["apply", "--env", "test", "--yes"], capsys)
    assert code == 1 and said.startswith("tillsync: Tillsync keeps its state in SQLite or PostgreSQL, not mysql")
    assert "hunter2" not in said


def test_an_emptied_state_file_is_said_on_stderr_and_the_plan_reconciles(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".tillsync" / "test" / "state.db").write_bytes(b"")
    code = main(["plan", "--env", "test"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "the last-applied state is gone" in err and "the last-applied state" not in out
    assert "shop-sync/products: no changes (1 already there)" in out, out


def without_override() -> None:
    """In a child about to run Python: give up the super-user's right to ignore file permissions
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so that as root too a file's mode is what counts."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone for the program it runs next
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def as_user(root: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """`tillsync argv` in `root`, in a process that file permissions bind (see `without_override`)."""
    code = f"import sys; from engine.cli import main; sys.exit(main({argv!r}))"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    privileged = os.geteuid() == 0
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                          preexec_fn=without_override if privileged else None)  # fmt: skip


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_state_store_this_user_may_not_write_is_refused_and_left_as_it_was(repo: Path, read_only: str) -> None:
    state = repo / ".tillsync" / "test" / "state.db"
    before = hashlib.sha256(state.read_bytes()).hexdigest()
    made_read_only = state if read_only == "file" else state.parent
    made_read_only.chmod(0o444 if read_only == "file" else 0o555)
    try:
        refused = as_user(repo, ["apply", "--env", "test", "--yes"])
    finally:
        made_read_only.chmod(0o644 if read_only == "file" else 0o755)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    said = refused.stderr.strip()
    assert said.startswith("tillsync: ") and "Traceback" not in said and "\n" not in said, said
    assert "is read-only for this user" in said and "give this user write access" in said, said
    assert hashlib.sha256(state.read_bytes()).hexdigest() == before
