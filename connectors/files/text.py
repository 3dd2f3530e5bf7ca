"""A file's bytes as lines of text, in the system's encoding.

Lines are found in the bytes and decoded one by one (the encodings offered are all ASCII-compatible),
so a byte the encoding cannot read is one line's error, said with its line and the encoding tried,
and the other lines are read. A UTF-8 byte order mark says the file is UTF-8 whatever the setting:
Excel and many ERPs write one. Line ends are read as `\n`, whether the file has `\r\n`, `\r` or `\n`.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Lines:
    """A file's lines, each ending in `\n` but perhaps the last, and why some (by number, from 1)
    could not be decoded: those hold what could be read, an unreadable byte as U+FFFD."""

    lines: list[str]
    unreadable: dict[int, str] = field(default_factory=dict)

    def problem(self, first: int, last: int) -> str | None:
        """Why a line from `first` to `last` cannot be read, if one cannot."""
        return next((self.unreadable[n] for n in range(first, last + 1) if n in self.unreadable), None)


def read_lines(data: bytes, encoding: str) -> Lines:
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    if b"\r" not in data:  # most files: lines end at \n alone, read as a text file reads them (never at \v or U+2028)
        try:
            return Lines(list(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="\n")))
        except UnicodeDecodeError:
            return line_by_line(data, encoding)
    try:  # decoded whole: one call, not one a line
        whole = data.decode(encoding)
    except UnicodeDecodeError:
        return line_by_line(data, encoding)
    whole = whole.replace("\r\n", "\n")
    if "\r" in whole or any(end in whole for end in _OTHER_LINE_ENDS):
        return line_by_line(data, encoding)
    return Lines(whole.splitlines(keepends=True))


# What `str.splitlines` ends a line at besides \n and \r, but `bytes.splitlines` does not: text
# holding one is split line by line as bytes, so a line ends where it would when decoded line by line.
_OTHER_LINE_ENDS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def line_by_line(data: bytes, encoding: str) -> Lines:
    """The lines of `data` decoded one by one: a line that cannot be is that line's problem, and
    the others are read."""
    lines: list[str] = []
    unreadable: dict[int, str] = {}
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        body = raw.rstrip(b"\r\n")
        end = "\n" if len(body) < len(raw) else ""
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            unreadable[number] = _undecodable(body, exc, encoding)
            text = body.decode(encoding, errors="replace")
        lines.append(text + end)
    return Lines(lines, unreadable)


def _undecodable(line: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    hint = (
        "if the file comes from a Windows program, set encoding: cp1252"
        if encoding == "utf-8"
        else "set encoding to the one the file is written in"
    )
    return f"byte 0x{line[exc.start]:02X} at byte {exc.start + 1} of the line is not {encoding} text; {hint}"


def encoding_problem(text: str, encoding: str) -> str | None:
    """Why `text` cannot be written in `encoding`, if it cannot."""
    try:
        text.encode(encoding)
    except UnicodeEncodeError as exc:
        return f"'{exc.object[exc.start]}' cannot be written in {encoding}"
    return None
