"""Environment files: `NAME=value` lines an environment may name as `env_file`.

Credentials are references to environment variables (`env:SHOP_TOKEN`). An environment can name
a file that supplies such variables when the process environment does not set them; `tillsync
sandbox up` writes the sandbox environment's, so a plan in another terminal needs nothing exported
by hand. The process environment always wins over the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from engine.errors import TillsyncError

_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of an environment file; {} when there is none. Blank lines and `#` comments
    are skipped; a value may be quoted with ' or "."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise TillsyncError(f"{path}: cannot read the environment file ({exc})") from None
    variables = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(stripped)
        if match is None:
            raise TillsyncError(f"{path}:{number}: expected NAME=value, got {stripped.split('=')[0][:40]!r}")
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        variables[name] = value
    return variables


def write_env_file(path: Path, variables: Mapping[str, str], comment: str) -> None:
    """Write `variables` to `path` (readable by its owner only), with a comment on top."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f"{name}={value}" for name, value in sorted(variables.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def with_env_file(root: Path, env_file: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` over the variables of the environment's file, if it names one."""
    if env_file is None:
        return dict(environ)
    return {**read_env_file(root / env_file), **environ}
