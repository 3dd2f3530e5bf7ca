"""The command line's surface: help on every option, --version, colour only where it belongs, and
shell completion made from the grammar."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from engine.cli import main, style
from engine.cli.completion import commands, script
from engine.cli.parser import build_parser, subcommands

REPO = Path(__file__).parents[2]


def options_without_help(parser: argparse.ArgumentParser) -> list[str]:
    """`command --option` for every option or argument, in every command, that says nothing of itself."""
    found = []
    for command in [parser, *subcommands(parser)]:
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                found.append(f"{command.prog} {'/'.join(action.option_strings) or action.dest}")
    return found


def test_every_option_of_every_command_has_help() -> None:
    assert options_without_help(build_parser()) == []


def test_the_help_check_finds_an_option_without_help() -> None:
    parser = build_parser()
    [plan] = [c for c in subcommands(parser) if c.prog == "tillsync plan"]
    plan.add_argument("--silent-option")
    assert options_without_help(parser) == ["tillsync plan --silent-option"]


def test_logs_usage_shows_env_as_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["logs", "--help"])
    usage = capsys.readouterr().out.split("\n\n")[0]
    assert "tillsync logs --env ENV" in usage and "[--env ENV]" not in usage
    assert "--full" in usage and "purge --env ENV" in usage


def test_version_is_the_installed_packages(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"tillsync {version('tillsync')}\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def colour(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(style, "_mode", "auto")
    return monkeypatch


def test_colour_on_a_terminal_and_none_in_a_file_or_pipe(colour: pytest.MonkeyPatch) -> None:
    assert style.paint("failed", "error", Terminal()) == "\033[31mfailed\033[0m"
    assert style.paint("failed", "error", io.StringIO()) == "failed"
    colour.setenv("TERM", "dumb")
    assert style.paint("failed", "error", Terminal()) == "failed"


@pytest.mark.parametrize("value", ["1", "", "0"])
def test_no_color_of_any_value_turns_it_off(colour: pytest.MonkeyPatch, value: str) -> None:
    colour.setenv("NO_COLOR", value)
    colour.setenv("FORCE_COLOR", "1")
    assert not style.styled(Terminal())


def test_force_color_and_the_color_option(colour: pytest.MonkeyPatch) -> None:
    colour.setenv("FORCE_COLOR", "1")
    assert style.styled(io.StringIO())
    colour.setenv("FORCE_COLOR", "0")
    assert not style.styled(io.StringIO())
    style.configure("always")
    colour.setenv("NO_COLOR", "1")
    assert style.styled(io.StringIO()), "--color always is asked for by name"
    style.configure("never")
    assert not style.styled(Terminal())


def test_errors_are_red_only_when_colour_is_on(colour: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:  # fmt: skip
    colour.chdir(tmp_path)
    (tmp_path / "environments").mkdir()
    assert main(["--color", "always", "plan", "--env", "nope"]) == 1
    assert capsys.readouterr().err.startswith("tillsync: \033[31munknown environment 'nope'")
    assert main(["plan", "--env", "nope", "--color", "never"]) == 1, "after the command as well"
    assert capsys.readouterr().err.startswith("tillsync: unknown environment 'nope'")
    assert main(["plan", "--env", "nope"]) == 1
    assert "\033[" not in capsys.readouterr().err, "captured output is no terminal"


def test_the_grammar_lists_every_command_and_its_options() -> None:
    grammar = {command.path: command for command in commands()}
    assert {("plan",), ("logs", "purge"), ("sandbox", "up"), ("completion",), ("connectors",)} <= set(grammar)
    flow = next(o for o in grammar[("apply",)].options if "--flow" in o.flags)
    assert flow.takes == "value"
    env = next(o for o in grammar[("plan",)].options if "--env" in o.flags)
    assert env.takes == "env"
    assert grammar[("completion",)].choices == ("bash", "zsh", "fish")


def complete(words: list[str], cwd: Path = REPO) -> list[str]:
    """What bash offers after `words` (the last one being completed), with the generated script."""
    program = (script("bash") + f"\nCOMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
               '_tillsync; printf "%s\\n" "${COMPREPLY[@]}"\n')  # fmt: skip
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, cwd=cwd, check=True)
    return done.stdout.split()


def test_the_bash_script_is_valid_and_completes_commands_options_and_values() -> None:
    checked = subprocess.run(["bash", "-n"], input=script("bash"), capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert {"validate", "plan", "apply", "logs", "connectors", "completion"} <= set(complete(["tillsync", ""]))
    assert complete(["tillsync", "pl"]) == ["plan"]
    assert complete(["tillsync", "plan", "--fo"]) == ["--format"]
    assert complete(["tillsync", "plan", "--format", ""]) == ["text", "markdown", "json"]
    assert complete(["tillsync", "logs", "pu"]) == ["purge"]
    assert complete(["tillsync", "logs", "purge", "--o"]) == ["--older-than"]
    assert sorted(complete(["tillsync", "apply", "--env", ""])) == sorted(
        p.stem for p in (REPO / "environments").glob("*.yaml")
    ), "environments where the shell stands"


def test_zsh_and_fish_scripts_come_from_the_same_grammar() -> None:
    zsh = script("zsh")
    assert "bashcompinit" in zsh and "complete -o default -F _tillsync tillsync" in zsh
    fish = script("fish").splitlines()
    plan = "complete -c tillsync -n __fish_use_subcommand -a plan -d 'show record by record what a sync would change'"
    assert plan in fish
    assert any("__fish_seen_subcommand_from plan" in line and "-l format -x -a 'text markdown json'" in line
               for line in fish)  # fmt: skip
    assert any("__fish_seen_subcommand_from logs && __fish_seen_subcommand_from purge" in line for line in fish)


def test_completion_prints_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    assert capsys.readouterr().out == script("bash")


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    """`tillsync connectors shopify --format markdown | head -1`: the pipe closes while it writes."""
    command = [sys.executable, "-m", "engine.cli", "connectors", "shopify", "--format", "markdown"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        said = process.stderr.read().decode()
        assert process.wait(timeout=60) == 1
    assert said == "", said
