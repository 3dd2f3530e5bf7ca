"""Every command, fed broken input, answers with a sentence and an exit code, never a traceback.

Each case sets up a small repository (two `files` folders and one integration), breaks one thing,
and runs the command in-process. What it prints must name the problem; it must not be a Python
traceback, nor the internal-error message Tillsync prints for an exception it did not raise on
purpose (that message is how a missed case shows up here).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from engine.cli import main

SPEC = """\
version: 1
name: shop-sync
systems:
  erp: {connector: files, settings: {path: erp, format: csv}}
  shop: {connector: files, settings: {path: shop, format: jsonl}}
flows:
  products:
    entity: product
    from: erp
    to: shop
"""
ENVIRONMENT = "name: test\nintegrations:\n  shop-sync:\n    spec: specs/shop-sync.yaml\n"
CSV = "sku,title,variants.sku,variants.price\n1,Shirt,1,10.00 EUR\n"
SHOPIFY_SPEC = SPEC.replace(
    "shop: {connector: files, settings: {path: shop, format: jsonl}}",
    "shop: {connector: shopify, settings: {url: 'http://127.0.0.1:9'}, credentials: {access_token: env:SHOP_TOKEN}}",
)

# written in clear where a reference belongs, or set in the environment: never to be printed
HOOK_TOKEN, SMTP_PASSWORD = "n0t-for-print1ng-hook", "n0t-for-print1ng-smtp"
CHAT_IN_CLEAR = f"alerts:\n  chat: {{url: 'https://hooks.slack.com/services/T0/B0/{HOOK_TOKEN}'}}\n"
BAD_EMAIL = "alerts:\n  email: {host: '', port: 70000, from: nope, to: []}\n  pager: {}\n"
SMTP_DOWN = ("alerts:\n  email: {host: 127.0.0.1, port: 9, username: env:SMTP_USER, password: env:SMTP_PASSWORD, "
             "from: tillsync@example.com, to: [oncall@example.com]}\n")  # fmt: skip
DEAD_LETTER = "sku,title,variants.sku,variants.price\n1,Shirt,1,10.00 EUR\n2,Mug,2,NaN EUR\n"

Setup = Callable[[Path], None]


def _write(relative: str, text: str | bytes) -> Setup:
    def setup(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(dedent(text))

    return setup


def _append(relative: str, text: str) -> Setup:
    def setup(root: Path) -> None:
        path = root / relative
        path.write_text(path.read_text() + text)

    return setup


def _nothing(root: Path) -> None:
    pass


OVERLAY_TYPO = """\
    flows:
      products:
        settings: {batch_size: 0}
"""
PLAN_OF_ANOTHER_FORMAT = '{"format": "tillsync-plan/1", "environment": "test", "flows": []}'
DAMAGED_PLAN = '{"format": "tillsync-plan/4", "environment": "test", "flows": [{"flow": "products"}]}'

CASES: list[tuple[str, list[str], Setup, dict[str, str], str]] = [
    # (case, argv, setup, environment variables, words the answer must hold)
    ("validate a missing path", ["validate", "nope"], _nothing, {}, "no such file or folder"),
    (
        "validate a binary file",
        ["validate", "specs/bad.yaml"],
        _write("specs/bad.yaml", b"\xff\xfe\x00"),
        {},
        "bad.yaml",
    ),
    ("validate an unknown environment", ["validate", "--env", "nope"], _nothing, {}, "unknown environment 'nope'"),
    (
        "validate a bad overlay",
        ["validate", "--env", "test"],
        _append("environments/test.yaml", OVERLAY_TYPO),
        {},
        "batch_size",
    ),
    ("plan without --env", ["plan"], _nothing, {}, "--env"),
    ("plan an unknown environment", ["plan", "--env", "nope"], _nothing, {}, "unknown environment 'nope'"),
    (
        "plan an unknown flow",
        ["plan", "--env", "test", "--flow", "stok"],
        _nothing,
        {},
        "no enabled flow or integration 'stok'",
    ),
    ("plan in an unknown format", ["plan", "--env", "test", "--format", "xml"], _nothing, {}, "invalid choice"),
    (
        "plan a spec that is not YAML",
        ["plan", "--env", "test"],
        _write("specs/shop-sync.yaml", "flows: [\n"),
        {},
        "shop-sync.yaml",
    ),
    (
        "plan with a missing spec file",
        ["plan", "--env", "test"],
        _write("environments/test.yaml", "name: test\nintegrations:\n  shop-sync: {spec: specs/gone.yaml}\n"),
        {},
        "no spec file at 'specs/gone.yaml'",
    ),
    (
        "plan with a malformed env file",
        ["plan", "--env", "test"],
        lambda root: (
            _append("environments/test.yaml", "env_file: local.env\n")(root),
            _write("local.env", "this is not a variable\n")(root),
        ),
        {},
        "local.env:1: expected NAME=value",
    ),
    (
        "plan a folder that is not there",
        ["plan", "--env", "test"],
        lambda root: (root / "erp" / "products.csv").unlink() or (root / "erp").rmdir(),
        {},
        "erp",
    ),
    (
        "plan a CSV row too long",
        ["plan", "--env", "test"],
        _write("erp/products.csv", CSV + "2,Mug,2,5.00 EUR,x\n"),
        {},
        "products.csv:3",
    ),
    (
        "plan on a state URL that is no URL",
        ["plan", "--env", "test"],
        _nothing,
        {"TILLSYNC_STATE_URL": "nonsense"},
        "the state URL is not a database URL",
    ),
    (
        "plan on a database that is not there",
        ["plan", "--env", "test"],
        _nothing,
        {"TILLSYNC_STATE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
        "cannot reach the PostgreSQL state store",
    ),
    (
        "plan on a corrupt state file",
        ["plan", "--env", "test"],
        _write(".tillsync/test/state.db", b"not sqlite" * 100),
        {},
        "state.db is damaged",
    ),
    (
        "plan with a state_url variable unset",
        ["plan", "--env", "test"],
        _append("environments/test.yaml", "state_url: env:TEST_STATE\n"),
        {},
        "TEST_STATE, which is not set",
    ),
    (
        "plan out to a folder that is not there",
        ["plan", "--env", "test", "--out", "no/such/plan.json"],
        _nothing,
        {},
        "no/such/plan.json",
    ),
    (
        "apply a plan that is not there",
        ["apply", "--env", "test", "--plan", "missing.json"],
        _nothing,
        {},
        "missing.json: cannot read the plan",
    ),
    (
        "apply a plan that is not JSON",
        ["apply", "--env", "test", "--plan", "plan.json"],
        _write("plan.json", "{ not json"),
        {},
        "plan.json:1:3: not JSON",
    ),
    (
        "apply a plan of another format",
        ["apply", "--env", "test", "--plan", "plan.json"],
        _write("plan.json", PLAN_OF_ANOTHER_FORMAT),
        {},
        "'tillsync-plan/1'",
    ),
    (
        "apply a damaged plan",
        ["apply", "--env", "test", "--plan", "plan.json"],
        _write("plan.json", DAMAGED_PLAN),
        {},
        "the plan is damaged",
    ),
    (
        "apply a plan written by hand",
        ["apply", "--env", "test", "--plan", "plan.json"],
        _write("plan.json", '{"format": "tillsync-plan/4", "environment": "production", "flows": []}'),
        {},
        "the plan is not signed",
    ),
    (
        "apply with a credential unset",
        ["apply", "--env", "test", "--yes"],
        _write("specs/shop-sync.yaml", SHOPIFY_SPEC),
        {},
        "credentials not set: system shop-sync/shop needs access_token (SHOP_TOKEN); set them in the process "
        "environment",
    ),
    ("retry in an unknown environment", ["retry", "--env", "nope"], _nothing, {}, "unknown environment"),
    ("logs without --env", ["logs"], _nothing, {}, "logs needs --env"),
    ("logs since nonsense", ["logs", "--env", "test", "--since", "yesterday"], _nothing, {}, "--since 'yesterday'"),
    ("logs of a negative count", ["logs", "--env", "test", "--limit", "-3"], _nothing, {}, "--limit"),
    ("purge a negative age", ["logs", "purge", "--env", "test", "--older-than", "-1"], _nothing, {}, "--older-than"),
    ("status of an unknown environment", ["status", "--env", "nope"], _nothing, {}, "unknown environment"),
    (
        "status of an unknown flow",
        ["status", "--env", "test", "--flow", "stok"],
        _nothing,
        {},
        "no enabled flow or integration 'stok'",
    ),
    ("status in an unknown format", ["status", "--env", "test", "--format", "xml"], _nothing, {}, "invalid choice"),
    (
        "status on a corrupt state file",
        ["status", "--env", "test"],
        _write(".tillsync/test/state.db", b"not sqlite" * 100),
        {},
        "state.db is damaged",
    ),
    (
        "status with a credential unset",
        ["status", "--env", "test"],
        _write("specs/shop-sync.yaml", SHOPIFY_SPEC),
        {},
        "credentials not set: system shop-sync/shop needs access_token (SHOP_TOKEN)",
    ),
    (
        "status with a chat webhook written in clear",
        ["status", "--env", "test"],
        _append("environments/test.yaml", CHAT_IN_CLEAR),
        {},
        "alerts.chat.url: a literal secret is not allowed here",
    ),
    (
        "status with alerts that do not validate",
        ["status", "--env", "test"],
        _append("environments/test.yaml", BAD_EMAIL),
        {},
        "alerts.email.port: 70000 is out of range",
    ),
    (
        "validate alerts to an unknown sink",
        ["validate", "--env", "test"],
        _append("environments/test.yaml", BAD_EMAIL),
        {},
        "alerts.pager: unknown key 'pager'; known: chat, email",
    ),
    (
        "apply alerting to an SMTP server that is down",
        ["apply", "--env", "test", "--yes"],
        lambda root: (
            _append("environments/test.yaml", SMTP_DOWN)(root),
            _write("erp/products.csv", DEAD_LETTER)(root),
        ),
        {"SMTP_USER": "tillsync", "SMTP_PASSWORD": SMTP_PASSWORD},
        "1 record went to dead letters",
    ),
    (
        "promote to an unknown environment",
        ["promote", "--from", "test", "--to", "nope"],
        _nothing,
        {},
        "unknown environment 'nope'",
    ),
    (
        "promote what was never applied",
        ["promote", "--from", "test", "--to", "test"],
        _nothing,
        {},
        "has not been applied",
    ),
    ("test a suite that is not there", ["test", "specs/tests/nope.yaml"], _nothing, {}, "nope.yaml"),
    (
        "test a suite that is not YAML",
        ["test", "specs/tests/bad.yaml"],
        _write("specs/tests/bad.yaml", "cases: [\n"),
        {},
        "bad.yaml",
    ),
    (
        "test a suite of a missing spec",
        ["test", "specs/tests/other.yaml"],
        _write("specs/tests/other.yaml", "integration: other\ncases: [{name: x, flow: f, source: [{}]}]\n"),
        {},
        "other.yaml",
    ),
    (
        "sandbox up of an unknown environment",
        ["sandbox", "up", "--env", "nope", "--", "true"],
        _nothing,
        {},
        "unknown environment",
    ),
    (
        "webhooks for an unknown environment",
        ["webhooks", "serve", "--env", "nope"],
        _nothing,
        {},
        "unknown environment",
    ),
    ("the UI of an unknown environment", ["ui", "--env", "nope"], _nothing, {}, "unknown environment"),
    ("an unknown command", ["synch"], _nothing, {}, "invalid choice"),
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for folder in ("specs", "environments", "erp", "shop"):
        (tmp_path / folder).mkdir()
    (tmp_path / "specs" / "shop-sync.yaml").write_text(SPEC)
    (tmp_path / "environments" / "test.yaml").write_text(ENVIRONMENT)
    (tmp_path / "erp" / "products.csv").write_text(CSV)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TILLSYNC_STATE_URL", raising=False)
    monkeypatch.delenv("TILLSYNC_DEBUG", raising=False)
    return tmp_path


@pytest.mark.parametrize(("argv", "setup", "environ", "words"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_broken_input_gets_a_sentence_not_a_traceback(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    setup: Setup,
    environ: dict[str, str],
    words: str,
) -> None:
    setup(repo)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    said = out + err
    assert "Traceback" not in said and "internal error" not in said, said
    assert HOOK_TOKEN not in said and SMTP_PASSWORD not in said, said
    # status speaks to monitoring systems, where 2 is critical: what it cannot tell is 3, unknown
    assert code in ((3,) if argv[0] == "status" else (1, 2)), said
    assert words in said, said


def test_an_unexpected_exception_is_an_internal_error_without_its_message(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The safety net the cases above must never reach: a bug is reported without its message (which
    may carry a secret) and with how to see its traceback."""
    import engine.cli.checks

    def broken(args: object) -> int:
        raise ValueError("https://shop.example?token=shpat_secret")

    monkeypatch.setattr(engine.cli.checks, "validate", broken)
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "internal error (ValueError at cli/parser.py:" in err and "TILLSYNC_DEBUG=1" in err
    assert "shpat_secret" not in err and "Traceback" not in err
    monkeypatch.setenv("TILLSYNC_DEBUG", "1")
    with pytest.raises(ValueError):
        main(["validate"])
