"""`tillsync completion bash|zsh|fish`: a completion script made from the command line's own grammar.

The script is generated from the argparse tree (`parser.build_parser`), so a new command or option
completes as soon as it exists. It completes commands, options, an option's choices, environment
names (from `environments/*.yaml` where the shell stands) and file names where a command takes a path.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.cli.parser import build_parser

EXIT_OK = 0
ENV_METAVAR = "ENV"
# fish evaluates this when it completes: the environment names under environments/ where it stands
FISH_ENVIRONMENTS = "-x -a \"(string replace -r '.*/(.*)[.]yaml' '\\$1' environments/*.yaml)\""


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    takes: str | None  # None: a switch; "choices", "env", "file" or "value"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """One command's parser: where it stands (`("logs", "purge")`), its options, its subcommands."""

    path: tuple[str, ...]
    help: str
    options: tuple[Option, ...]
    commands: tuple[str, ...]
    choices: tuple[str, ...]  # what a positional argument may be (`completion bash`)
    files: bool  # whether a positional argument is a path


def commands(
    parser: argparse.ArgumentParser | None = None, path: tuple[str, ...] = (), text: str = ""
) -> list[Command]:
    """Every command of the grammar, the top level first, depth first."""
    parser = parser or build_parser()
    options, below, choices, files = [], [], [], False
    helps: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            below = list(action.choices.items())
        elif action.option_strings:
            options.append(_option(action))
        else:
            choices += [str(c) for c in action.choices or ()]
            files = files or action.type is Path
    found = [Command(path, text, tuple(options), tuple(n for n, _ in below), tuple(choices), files)]
    for name, command in below:
        found += commands(command, (*path, name), helps.get(name, ""))
    return found


def _option(action: argparse.Action) -> Option:
    flags = tuple(action.option_strings)
    if action.nargs == 0:
        return Option(flags, action.help or "", None)
    if action.choices:
        return Option(flags, action.help or "", "choices", tuple(str(c) for c in action.choices))
    if action.metavar == ENV_METAVAR:
        return Option(flags, action.help or "", "env")
    return Option(flags, action.help or "", "file" if action.type is Path else "value")


def completion(args: argparse.Namespace) -> int:
    sys.stdout.write(script(args.shell))
    return EXIT_OK


def script(shell: str) -> str:
    """The completion script for `shell`: bash, zsh (bash's, through bashcompinit) or fish."""
    grammar = commands()
    if shell == "fish":
        return _fish(grammar)
    bash = _bash(grammar)
    if shell == "zsh":
        return "# tillsync completion for zsh\nautoload -U +X compinit && compinit\n" \
               "autoload -U +X bashcompinit && bashcompinit\n" + bash  # fmt: skip
    return bash


def _name(path: tuple[str, ...]) -> str:
    return "_".join(("tillsync", *path)).replace("-", "_")


def _bash(grammar: list[Command]) -> str:
    lines = [
        '# tillsync completion for bash: eval "$(tillsync completion bash)"',
        "_tillsync_environments() {",
        '    local f; for f in environments/*.yaml; do [ -e "$f" ] && f=${f##*/} && echo "${f%.yaml}"; done',
        "}",
        "_tillsync() {",
        "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} at=tillsync i",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "$at:${COMP_WORDS[i]}" in',
    ]
    for command in grammar:
        for name in command.commands:
            lines.append(f"            {_name(command.path)}:{name}) at={_name((*command.path, name))} ;;")
    lines += ["        esac", "    done", '    case "$at:$prev" in']
    for command in grammar:
        for option in command.options:
            if option.takes is None:
                continue
            reply = {
                "choices": f'COMPREPLY=($(compgen -W {shlex.quote(" ".join(option.choices))} -- "$cur"))',
                "env": 'COMPREPLY=($(compgen -W "$(_tillsync_environments)" -- "$cur"))',
                "file": 'COMPREPLY=($(compgen -f -- "$cur"))',
                "value": "COMPREPLY=()",
            }[option.takes]
            patterns = "|".join(f"{_name(command.path)}:{flag}" for flag in option.flags)
            lines.append(f"        {patterns}) {reply}; return ;;")
    lines += ["    esac", "    local words", '    case "$at" in']
    for command in grammar:
        words = [flag for option in command.options for flag in option.flags]
        words += [*command.commands, *command.choices]
        lines.append(f"        {_name(command.path)}) words={shlex.quote(' '.join(words))} ;;")
    lines += ["    esac"]
    with_files = [_name(command.path) for command in grammar if command.files]
    if with_files:
        lines += [
            '    case "$at:$cur" in',
            f"        {'|'.join(f'{name}:[!-]*' for name in with_files)})",
            '            COMPREPLY=($(compgen -f -- "$cur")); return ;;',
            "    esac",
        ]
    lines += ['    COMPREPLY=($(compgen -W "$words" -- "$cur"))', "}", "complete -o default -F _tillsync tillsync", ""]
    return "\n".join(lines)


def _fish(grammar: list[Command]) -> str:
    lines = ["# tillsync completion for fish: tillsync completion fish | source",
             "complete -c tillsync -f"]  # fmt: skip
    for command in grammar:
        if not command.path:
            condition = "__fish_use_subcommand"
        else:
            condition = " && ".join(f"__fish_seen_subcommand_from {name}" for name in command.path)
            if command.commands:  # `logs` itself, not `logs purge`
                condition += f" && not __fish_seen_subcommand_from {' '.join(command.commands)}"
        quoted = shlex.quote(condition)
        helps = {c.path[-1]: c.help for c in grammar if c.path[:-1] == command.path and c.path}
        for name in command.commands:
            lines.append(f"complete -c tillsync -n {quoted} -a {name} -d {shlex.quote(_short(helps[name]))}")
        for choice in command.choices:
            lines.append(f"complete -c tillsync -n {quoted} -a {shlex.quote(choice)}")
        if command.files:
            lines.append(f"complete -c tillsync -n {quoted} -F")
        for option in command.options:
            parts = [f"complete -c tillsync -n {quoted}"]
            for flag in option.flags:
                parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
            if option.takes == "choices":
                parts.append(f"-x -a {shlex.quote(' '.join(option.choices))}")
            elif option.takes == "env":
                parts.append(FISH_ENVIRONMENTS)
            elif option.takes == "file":
                parts.append("-r -F")
            elif option.takes == "value":
                parts.append("-x")
            parts.append(f"-d {shlex.quote(_short(option.help))}")
            lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


def _short(text: str) -> str:
    """An option's help as fish shows it beside the option: its first clause."""
    return text.split(";")[0].split(" (")[0]
