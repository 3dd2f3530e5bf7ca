"""The YAML parser's complaints, said so that a person knows what to change.

ruamel.yaml reports what its state machine expected (`mapping values are not allowed here`,
`expected <block end>, but found '<scalar>'`). `describe` keeps where it happened, says it in
the words of someone editing a spec, and adds the usual cause as a hint.
"""

from __future__ import annotations

from ruamel.yaml.error import MarkedYAMLError

from engine.errors import Diagnostic

# (words in the parser's problem, what to tell the author); the first that matches is used.
HINTS = (
    (
        "mapping values are not allowed",
        "a ':' where YAML cannot take one: quote a value that holds ': ', or line this key up with the keys above it",
    ),
    (
        "could not find expected ':'",
        "a key needs ': ' after it (keys are at most 1024 characters); or a line above is indented wrongly",
    ),
    ("did not find expected key", "this line does not line up with the keys above it; check its indentation"),
    ("expected <block end>", "this line does not line up with the lines above it; check its indentation"),
    ("did not find expected '-'", "a list item here needs '- ' and the indentation of the items above it"),
    ("expected ',' or ']'", "a list in [ ] is not closed, or a value in it needs quotes"),
    ("expected ',' or '}'", "a map in { } is not closed, or a value in it needs quotes"),
    ("found undefined alias", "an alias (*name) needs an anchor (&name) above it"),
    ("found character '@'", "a value cannot start with @ or `: quote it"),
    ("found character '`'", "a value cannot start with @ or `: quote it"),
    ("found unknown escape character", "in double quotes a backslash starts an escape; use single quotes"),
)


def describe(name: str, exc: MarkedYAMLError, text: str) -> Diagnostic:
    """A located, one-sentence diagnostic for a parser error in the file `name` holding `text`."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    if "'\\t'" in problem or "\t" in problem:
        return Diagnostic(name, line, column, "tab character: YAML is indented with spaces only")
    if "duplicate key" in problem:
        key = problem.split('"')[1] if '"' in problem else ""
        first = _first_definition(text, key, exc)
        return Diagnostic(name, line, column, f"duplicate key '{key}'{first}")
    if "quoted scalar" in context and "end of stream" in problem and exc.context_mark is not None:
        start = exc.context_mark
        return Diagnostic(name, start.line + 1, start.column + 1, "a quote opened here is never closed")
    said = problem + (f" {context}" if context else "")
    hint = next((advice for words, advice in HINTS if words in problem), None)
    message = f"invalid YAML: {hint} (the parser: {said})" if hint else f"invalid YAML: {said}"
    return Diagnostic(name, line, column, message)


def _first_definition(text: str, key: str, exc: MarkedYAMLError) -> str:
    """` (first defined on line N)`: the parser marks the start of the map holding both keys, so
    the first key is looked for from there, at the column of the duplicate."""
    start, duplicate = exc.context_mark, exc.problem_mark
    if start is None:
        return ""
    if duplicate is not None:
        lines = text.splitlines()
        for number in range(start.line, min(duplicate.line, len(lines))):
            written = lines[number][duplicate.column :]
            if lines[number][: duplicate.column].strip() in ("", "-") and _is_key(written, key):
                return f" (first defined on line {number + 1})"
    return f" (first defined on line {start.line + 1})"


def _is_key(written: str, key: str) -> bool:
    return any(written.startswith(f"{quote}{key}{quote}:") for quote in ("", "'", '"'))
