"""Read YAML into plain Python values, remembering where every key and value stood.

ruamel.yaml's round-trip loader keeps line and column per key and item; we copy them into a
`SourceMap` keyed by the document path (`("flows", "products", "mapping", "title")`) and hand the
rest of the engine plain dicts, lists and scalars. Malformed YAML becomes a located `Diagnostic`,
never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from engine.errors import Diagnostic
from engine.spec.yamlerrors import describe
from engine.spec.yamllimits import EventGuard, LimitExceeded, check_text

DocPath = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Positions (1-based line, column) of keys and values in one YAML file."""

    file: str
    keys: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    values: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    quoted: set[DocPath] = field(default_factory=set)  # scalars written in quotes

    def position(self, path: Sequence[str | int], prefer_key: bool = True) -> tuple[int, int]:
        """Where `path` stands; the nearest enclosing node when the path itself does not exist."""
        path = tuple(path)
        while path:
            first, second = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            if path in first:
                return first[path]
            if path in second:
                return second[path]
            path = path[:-1]
        return self.values.get((), (1, 1))

    def diagnostic(self, path: Sequence[str | int], message: str, prefer_key: bool = True) -> Diagnostic:
        line, column = self.position(path, prefer_key)
        return Diagnostic(self.file, line, column, message, dotted(path))

    def value_diagnostic(self, path: Sequence[str | int], column: int, message: str) -> Diagnostic:
        """A problem at `column` (1-based) inside the scalar at `path`; a quote before it is counted."""
        line, start = self.values.get(tuple(path), self.position(path))
        quote = 1 if tuple(path) in self.quoted else 0
        return Diagnostic(self.file, line, start + column - 1 + quote, message, dotted(path))


class Locator(Protocol):
    """Where a document's parts stand, for diagnostics: one YAML file (`SourceMap`), or the layers of
    a spec with an environment laid over it (`engine.spec.overlay`)."""

    def diagnostic(self, path: Sequence[str | int], message: str, prefer_key: bool = True) -> Diagnostic: ...

    def value_diagnostic(self, path: Sequence[str | int], column: int, message: str) -> Diagnostic: ...


def dotted(path: Sequence[str | int]) -> str:
    """`("flows", "products", "mapping", 0)` → `flows.products.mapping[0]`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Document:
    """A loaded YAML file: its plain data and where each part of it stood."""

    path: Path
    data: Any
    source: SourceMap
    text: str


class YamlLoadError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def load_yaml(path: Path, display_name: str | None = None) -> Document:
    """Load one YAML file. Raises `YamlLoadError` with a located diagnostic when it is malformed."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlLoadError(Diagnostic(name, 1, 1, f"not UTF-8 text ({exc.reason})")) from None
    except OSError as exc:
        raise YamlLoadError(Diagnostic(name, 1, 1, f"cannot read file: {exc.strerror}")) from None
    return parse_yaml(text, name, path)


class _SpecConstructor(RoundTripConstructor):
    """Round-trip construction, but a date or time stays the text it was written as: a spec never
    computes with one, and `2001-13-45` would otherwise fail inside the loader."""


_SpecConstructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


class _GuardedParser(RoundTripParser):
    """The round-trip parser, with every event the composer takes seen by an `EventGuard` first."""

    def __init__(self, loader: Any) -> None:
        super().__init__(loader)
        self.guard = EventGuard()

    def get_event(self) -> Any:
        event = super().get_event()
        self.guard.see(event)
        return event


def parse_yaml(text: str, name: str, path: Path | None = None) -> Document:
    yaml = YAML(typ="rt")
    yaml.Constructor = _SpecConstructor
    yaml.Parser = _GuardedParser
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True  # to know where a quoted scalar's text begins
    try:
        check_text(text)
        raw = yaml.load(text)
    except LimitExceeded as exc:
        raise YamlLoadError(Diagnostic(name, exc.line, exc.column, exc.message)) from None
    except MarkedYAMLError as exc:
        raise YamlLoadError(describe(name, exc, text)) from None
    except YAMLError as exc:
        raise YamlLoadError(Diagnostic(name, 1, 1, f"invalid YAML: {exc}")) from None
    except TypeError:  # a list or map used as a key (`? [a, b]`): valid YAML, never a valid spec
        line, column = _complex_key(text)
        raise YamlLoadError(Diagnostic(name, line, column, COMPLEX_KEY)) from None
    source = SourceMap(name)
    source.values[()] = (1, 1)
    data = _plain(raw, (), source)
    return Document(path or Path(name), data, source, text)


COMPLEX_KEY = "a key must be a plain value, not a list or map"


def _complex_key(text: str) -> tuple[int, int]:
    """Where the first key that is a list or a map stands."""
    pending = [YAML(typ="rt").compose(text)]
    while pending:
        node = pending.pop()
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if not isinstance(key, ScalarNode):
                    return key.start_mark.line + 1, key.start_mark.column + 1
                pending.append(value)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    return 1, 1


def _plain(node: Any, path: DocPath, source: SourceMap) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            key_line, key_col = node.lc.key(key)
            if isinstance(key, tuple | Mapping):  # `? [a, b]` or `? {a: b}`: YAML allows it, a spec never
                diagnostic = Diagnostic(source.file, key_line + 1, key_col + 1, COMPLEX_KEY)
                raise YamlLoadError(diagnostic)
            name = _key_text(key)
            child = (*path, name)
            value_line, value_col = node.lc.value(key)
            source.keys[child] = (key_line + 1, key_col + 1)
            source.values[child] = (value_line + 1, value_col + 1)
            if _is_quoted(value):
                source.quoted.add(child)
            out[name] = _plain(value, child, source)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            line, col = node.lc.item(index)
            source.values[(*path, index)] = (line + 1, col + 1)
            if _is_quoted(value):
                source.quoted.add((*path, index))
            items.append(_plain(value, (*path, index), source))
        return items
    return _scalar(node)


def _is_quoted(value: Any) -> bool:
    return isinstance(value, (SingleQuotedScalarString, DoubleQuotedScalarString))


def _key_text(key: Any) -> str:
    # Branch numbers and the like are natural map keys (`1: gid://…`); specs compare keys as text.
    if key is None:  # `: value` or `~: value`
        return "null"
    return key if isinstance(key, str) else str(_scalar(key)).lower() if isinstance(key, bool) else str(_scalar(key))


def _scalar(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return str(value)
