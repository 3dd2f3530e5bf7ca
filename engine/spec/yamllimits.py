"""What a spec or environment file may hold before it is parsed: the guard against hostile YAML.

A spec is a few kilobytes of plain maps, lists and scalars. YAML can say far more: aliases that
expand a 4 KB file into gigabytes ("billion laughs"), tags that ask the loader to build objects,
nesting a recursive loader cannot survive, merge keys, integers of thousands of digits, characters
that editors hide or that YAML counts as line breaks. `check_text` and `EventGuard` refuse all of
that with one located sentence, before anything is built, in time linear in the file's size.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)

MAX_BYTES = 500_000  # a large spec is 50 KB; the loader reads about 150 KB a second
MAX_DEPTH = 32  # a spec nests 6 levels deep; a value map or a test case a few more
MAX_NODES = 20_000  # values in the file once aliases are expanded; a large spec holds 2,000
MAX_NUMBER_CHARS = 100  # a plain scalar YAML reads as an integer

# Characters no spec needs: C0 and C1 controls (but tab, line feed and carriage return), DEL,
# the Unicode line and paragraph separators (YAML counts NEL, LS and PS as line breaks, editors do
# not, so every line number after them would be wrong), a byte order mark after the start,
# non-characters and lone surrogates.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_INTEGER = re.compile(r"[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)")


@dataclass(frozen=True)
class LimitExceeded(Exception):
    """A file crossed one of the limits above; `line` and `column` are 1-based."""

    line: int
    column: int
    message: str


def check_text(text: str) -> None:
    """Refuse a file too large to be a spec, or holding a character no spec needs."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_BYTES:
        raise LimitExceeded(1, 1, f"the file is {size:,} bytes; a spec or environment file holds at most {MAX_BYTES:,}")
    start = 1 if text.startswith("\ufeff") else 0
    found = _FORBIDDEN.search(text, start)
    if found is not None:
        char = found.group()
        line, column = _position(text, found.start())
        name = unicodedata.name(char, "a control character" if ord(char) < 0xA0 else "not a character")
        raise LimitExceeded(line, column, f"character U+{ord(char):04X} ({name}) has no place in a spec; delete it")


def _position(text: str, offset: int) -> tuple[int, int]:
    """Line and column of `offset`, counting line breaks as YAML does (CR LF, CR, LF)."""
    before = text[:offset]
    line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    last_break = max(before.rfind("\n"), before.rfind("\r"))
    return line, offset - last_break


class EventGuard:
    """Sees the parser's events one by one and refuses tags, directives, merge keys, nesting deeper
    than `MAX_DEPTH`, more than `MAX_NODES` values once aliases are expanded, an alias inside the
    node it names, and integers too long to be numbers. `see` raises `LimitExceeded` at the first.

    The loader passes each event through `see` as it composes the document, so a hostile file is
    stopped as soon as it crosses a limit, before the recursive composer goes deep or anything
    is expanded."""

    def __init__(self) -> None:
        self.open_nodes: list[_Open] = []
        self.anchored: dict[str, int | None] = {}  # anchor → expanded size; None while it is open
        self.nodes = 0

    def see(self, event: Event) -> None:
        mark = event.start_mark
        here = (mark.line + 1, mark.column + 1)
        if isinstance(event, DocumentStartEvent) and (event.version is not None or event.tags):
            raise LimitExceeded(*here, "YAML directives (%YAML, %TAG) are not used in a spec; delete the line")
        if isinstance(event, CollectionEndEvent):
            closed = self.open_nodes.pop()
            if closed.anchor is not None:
                self.anchored[closed.anchor] = self.nodes - closed.nodes_before
            self._count_item()
        elif isinstance(event, AliasEvent):
            size = self.anchored.get(event.anchor, 0)
            if size is None:
                raise LimitExceeded(*here, f"alias *{event.anchor} stands inside the node it names; it would never end")
            self._add(size, here)
            self._count_item()
        elif isinstance(event, NodeEvent):
            is_key = bool(self.open_nodes) and self.open_nodes[-1].expects_key
            _check_node(event, is_key, here)
            self._add(1, here)
            if isinstance(event, CollectionStartEvent):
                if len(self.open_nodes) >= MAX_DEPTH:
                    raise LimitExceeded(*here, f"nested more than {MAX_DEPTH} levels deep; a spec needs far fewer")
                if event.anchor is not None:
                    self.anchored[event.anchor] = None
                self.open_nodes.append(_Open(isinstance(event, MappingStartEvent), event.anchor, self.nodes))
            else:
                if event.anchor is not None:
                    self.anchored[event.anchor] = 1
                self._count_item()

    def _add(self, nodes: int, here: tuple[int, int]) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            message = f"more than {MAX_NODES:,} values once aliases are expanded; a spec holds far fewer"
            raise LimitExceeded(*here, message)

    def _count_item(self) -> None:
        if self.open_nodes:
            self.open_nodes[-1].items += 1


@dataclass
class _Open:
    """A map or list being read."""

    is_map: bool
    anchor: str | None
    nodes_before: int
    items: int = 0

    @property
    def expects_key(self) -> bool:
        return self.is_map and self.items % 2 == 0


def _check_node(event: NodeEvent, is_key: bool, here: tuple[int, int]) -> None:
    tag = getattr(event, "tag", None)
    if tag is not None:
        shown = str(tag).replace("tag:yaml.org,2002:", "!!")
        raise LimitExceeded(*here, f"YAML tag {shown} is not used in a spec; write the plain value (quoted for text)")
    if not isinstance(event, ScalarEvent) or event.style is not None:
        return
    if is_key and event.value == "<<":
        raise LimitExceeded(*here, "merge keys (<<) are not used in a spec; write the keys out")
    if len(event.value) > MAX_NUMBER_CHARS and _INTEGER.fullmatch(event.value):
        raise LimitExceeded(*here, f"a number of {len(event.value):,} digits is too long; quote it if it is text")
