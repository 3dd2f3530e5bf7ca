"""Hostile specs: texts built to crash, hang or exhaust a YAML loader or a JMESPath parser.

Each case is a name and the spec text. Built in code rather than stored, so that a case of
megabytes costs nothing in the repository and the table says plainly what each one is.
"""

from __future__ import annotations

from collections.abc import Iterator

HEAD = """version: 1
name: hostile
systems:
  erp: {connector: files, settings: {path: in, format: csv}}
  shop: {connector: files, settings: {path: out, format: jsonl}}
flows:
  products:
    entity: product
    from: erp
    to: shop
"""


def with_mapping(expression: str) -> str:
    return HEAD + f"    mapping:\n      title: {expression}\n"


def laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    return HEAD + "    description: ok\n" + "x:\n" + "".join(f"  {line}\n" for line in lines)


def block_nesting(depth: int) -> str:
    return HEAD + "".join("    " + "  " * level + "a:\n" for level in range(depth)) + "    " + "  " * depth + "b: 1\n"


def merge_chain(length: int) -> str:
    lines = ["m0: &m0 {x: 1}"]
    lines += [f"m{i}: &m{i} {{<<: *m{i - 1}, y{i}: {i}}}" for i in range(1, length)]
    return HEAD + "    description: ok\nx:\n" + "".join(f"  {line}\n" for line in lines)


def cases() -> Iterator[tuple[str, str]]:
    """(name, text) of every hostile case."""
    for levels in (5, 7, 8, 9):
        yield f"billion-laughs-{levels}", laughs(levels)
    for depth in (100, 1000, 5000):
        yield f"block-nesting-{depth}", block_nesting(depth)
        yield f"flow-seq-nesting-{depth}", HEAD + "    mapping: " + "[" * depth + "]" * depth + "\n"
        yield f"flow-map-nesting-{depth}", HEAD + "    mapping: " + "{a: " * depth + "1" + "}" * depth + "\n"
    for depth in (100, 1000, 10000):
        yield f"jmespath-parens-{depth}", with_mapping("'" + "(" * depth + "title" + ")" * depth + "'")
        yield f"jmespath-brackets-{depth}", with_mapping("'" + "[" * depth + "]" * depth + "'")
        yield f"jmespath-dots-{depth}", with_mapping("'" + ".".join(["a"] * depth) + "'")
        yield f"jmespath-pipes-{depth}", with_mapping("'" + " | ".join(["a"] * depth) + "'")
        yield f"jmespath-nots-{depth}", with_mapping("'" + "!" * depth + "a'")
        yield f"jmespath-functions-{depth}", with_mapping("'" + "trim(" * depth + "a" + ")" * depth + "'")
    tags = [
        "!!python/object/apply:os.system ['echo owned']",
        "!!python/name:os.system",
        "!!omap [{a: 1}, {b: 2}]",
        "!!set {a, b}",
        "!!float 'x'",
        "!!int 'x'",
        "!!bool 'maybe'",
        "!!binary 'not base64!'",
        "!!timestamp 'yesterday'",
        "!!null 'x'",
        "!custom thing",
        "!<tag:example.com,2000:x> y",
        "!!map [1, 2]",
        "!!seq {a: 1}",
        "!!str {a: 1}",
    ]
    for number, tag in enumerate(tags):
        yield f"tag-{number}", HEAD + f"    description: {tag}\n"
    yield "tag-on-key", HEAD + "    !!python/object:os.system title: x\n"
    yield "tag-directive", "%TAG ! tag:example.com,2000:\n---\n" + HEAD + "    description: !x y\n"
    yield "yaml-directive", "%YAML 1.1\n---\n" + HEAD
    yield "two-documents", HEAD + "---\n" + HEAD
    for length in (10, 500, 3000):
        yield f"merge-chain-{length}", merge_chain(length)
    yield "merge-of-scalar", HEAD + "    <<: 1\n"
    yield "merge-of-list-of-scalars", HEAD + "    <<: [1, 2]\n"
    yield "recursive-alias", HEAD + "    mapping: &r {a: *r}\n"
    yield "recursive-alias-seq", HEAD + "    description: &r [*r]\n"
    yield "undefined-alias", HEAD + "    description: *nowhere\n"
    for digits in (100, 4301, 50000):
        yield f"integer-{digits}-digits", HEAD + f"    description: {'9' * digits}\n"
        yield f"integer-key-{digits}-digits", HEAD + f"    {'9' * digits}: x\n"
    yield "float-1e400", HEAD + "    description: 1e400\n"
    yield "version-huge", HEAD.replace("version: 1", "version: " + "1" * 5000)
    yield "hex-huge", HEAD + "    description: 0x" + "f" * 5000 + "\n"
    yield "sexagesimal", HEAD + "    description: 190:20:30\n"
    for char in ("\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffe"):
        code = f"{ord(char):04X}"
        yield f"control-U+{code}-in-value", HEAD + f"    description: a{char}b\n"
        yield f"control-U+{code}-in-key", HEAD + f"    descr{char}iption: x\n"
        yield f"control-U+{code}-in-comment", HEAD + f"    # note {char} here\n"
    yield "carriage-returns-only", HEAD.replace("\n", "\r")
    yield "long-line", HEAD + "    description: " + "x" * 2_000_000 + "\n"
    yield "long-key", HEAD + "    " + "k" * 200_000 + ": x\n"
    yield "many-keys", HEAD + "    mapping:\n" + "".join(f"      f{i}: title\n" for i in range(50_000))
    yield "many-flows", HEAD + "".join(f"  f{i}: {{entity: product, from: erp, to: shop}}\n" for i in range(20_000))
    yield "huge-comment-file", HEAD + "#" * 80 + "\n" * 0 + ("# filler\n" * 3_000_000)
    yield "complex-key-seq", HEAD + "    ? [a, b]\n    : c\n"
    yield "complex-key-map", HEAD + "    ? {a: b}\n    : c\n"
    yield "anchor-on-everything", HEAD.replace(": ", ": &x ", 1)
    yield "alias-as-key", HEAD + "    &k title: x\n    *k : y\n"
    yield "empty-key", HEAD + "    : x\n"
    yield "null-key", HEAD + "    ~: x\n"
    yield "bool-key", HEAD + "    true: x\n"
    yield "float-key", HEAD + "    1.5: x\n"
    yield "date-value", HEAD + "    description: 2001-12-14t21:59:43.10-05:00\n"
    yield "bad-date-value", HEAD + "    description: 2001-13-45\n"
    yield "bom-then-text", "\ufeff" + HEAD
    yield "only-bom", "\ufeff"
    yield "only-document-marker", "---\n"
    yield "only-comment", "# nothing\n"
    yield "only-null", "~\n"
    yield "scalar-document", "hello\n"
    yield "deep-env-ref", HEAD.replace("path: in", "path: env:" + "X" * 100_000)
