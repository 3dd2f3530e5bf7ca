"""An integration's entry added to an environment file as text, so its comments and layout stay.

A new file is written whole. In an existing one the entry goes at the end of the block of the
top-level `integrations:` key, indented as its other entries are; an entry of that name already
there is replaced only when asked (`replace`). Whatever comes out is loaded again as an
environment before it is written (`engine.cli.wizard`), so a file this cannot edit is said, never
broken.
"""

from __future__ import annotations

import re
from typing import Any

from engine.cli import yamltext
from engine.errors import TillsyncError

_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*:")


def new_environment(name: str, env_file: str, integration: str, entry: dict[str, Any]) -> str:
    header = f"# yaml-language-server: $schema=../schemas/environment.schema.json\nname: {name}\n"
    body = _dump({"env_file": env_file, "integrations": {integration: entry}})
    return header + body


def with_integration(text: str, integration: str, entry: dict[str, Any], *, replace: bool, where: str) -> str:
    """`text`, an environment file, with `entry` as integration `integration`."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"^integrations:\s*(#.*)?$", line)), None)
    if start is None:
        if any(line.startswith("integrations:") for line in lines):
            raise TillsyncError(f"{where}: its integrations are written on one line; write them as a block to add "
                                f"{integration}")  # fmt: skip
        return text.rstrip("\n") + "\n" + _dump({"integrations": {integration: entry}})
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    children = [line for line in lines[start + 1 : end] if line.strip() and not line.lstrip().startswith("#")]
    indent = len(children[0]) - len(children[0].lstrip()) if children else 2
    mine = next((i for i in range(start + 1, end) if re.match(rf"^ {{{indent}}}{re.escape(integration)}:", lines[i])),
                None)  # fmt: skip
    if mine is not None:
        if not replace:
            raise TillsyncError(f"{where} already runs an integration {integration}; give --force to replace it")
        stop = next((i for i in range(mine + 1, end) if _ends_entry(lines[i], indent)), end)
        del lines[mine:stop]
        end -= stop - mine
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    block = [" " * indent + line for line in _dump({integration: entry}).splitlines()]
    lines[end:end] = block
    return "\n".join(lines) + "\n"


def _ends_entry(line: str, indent: int) -> bool:
    stripped = line.lstrip()
    return bool(stripped) and not stripped.startswith("#") and len(line) - len(stripped) <= indent


def _dump(data: dict[str, Any]) -> str:
    return yamltext.dump(data)
