"""The questions `tillsync init` asks: on a terminal one by one, each with its default and asked again
after a wrong answer; answered by flag, or by default with `--yes`, in scripts. A wrong answer given
by flag is a usage error naming the flag."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from engine.errors import TillsyncError, UsageError

T = TypeVar("T")


class WrongAnswer(ValueError):
    """An answer that cannot be taken; its message says why and what can."""


class Asker:
    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive

    def __call__(
        self, question: str, default: str, given: str | None, flag: str, check: Callable[[str], T], echo: bool = True
    ) -> T:
        """The answer to `question`: as given by `flag`, else asked (or the default, not interactive).
        A wrong answer is said again only with `echo` (never one that may be a secret)."""
        if given is not None:
            try:
                return check(given)
            except WrongAnswer as exc:
                said = given if echo else "…"
                raise UsageError(f"{flag}{'' if flag.endswith('=') else ' '}{said}: {exc}") from None
        if not self.interactive:
            try:
                return check(default)
            except WrongAnswer as exc:
                raise UsageError(f"{question.rstrip('?')}: {exc}; answer it with {flag}") from None
        while True:
            shown = f" [{default}]" if default else ""
            try:
                answer = input(f"{question}{shown} ").strip()
            except EOFError:
                raise TillsyncError("no answer (the input ended); nothing was written") from None
            try:
                return check(answer or default)
            except WrongAnswer as exc:
                sys.stdout.write(f"  {exc}\n")
