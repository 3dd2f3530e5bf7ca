"""Colour on a terminal, none elsewhere.

Whether a stream gets colour: `--color always` or `never` decide; with `auto` (the default) a set
`NO_COLOR` turns it off whatever its value (no-color.org), a `FORCE_COLOR` other than empty or `0`
turns it on, and otherwise a stream gets colour when it is a terminal and `TERM` is not `dumb`.

`paint(text, role)` colours text by what it is (an error, a warning, a create…), so every command
says the same thing in the same colour; a role names meaning, never a colour.
"""

from __future__ import annotations

import os
import sys
from typing import Literal, TextIO

Mode = Literal["auto", "always", "never"]
MODES: tuple[Mode, ...] = ("auto", "always", "never")

# SGR codes by role: what a piece of output is, not how it looks
ROLES = {
    "error": "31",  # red
    "warning": "33",  # yellow
    "ok": "32",  # green
    "create": "32",
    "update": "33",
    "delete": "31",
    "name": "1",  # bold: a command, connector or entity being described
    "muted": "2",  # dim: types, defaults, what matters less
}

_mode: Mode = "auto"


def configure(mode: Mode) -> None:
    """Set `--color` for this process."""
    global _mode
    _mode = mode


def styled(stream: TextIO | None = None) -> bool:
    """Whether output to `stream` (stdout by default) gets colour."""
    if _mode != "auto":
        return _mode == "always"
    if "NO_COLOR" in os.environ:
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def paint(text: str, role: str, stream: TextIO | None = None) -> str:
    """`text` in the colour of `role` when `stream` gets colour, else as it is."""
    if not text or not styled(stream):
        return text
    return f"\033[{ROLES[role]}m{text}\033[0m"
