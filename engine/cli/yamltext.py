"""YAML as `tillsync init` writes and reads it back: block style, keys in the order given, null said."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError


def dump(data: Any) -> str:
    writer = YAML()
    writer.default_flow_style = False
    writer.width = 120
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    out = io.StringIO()
    writer.dump(data, out)
    return out.getvalue()


def load(text: str) -> Any:
    """The data in `text`; None for text that is no YAML."""
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        return None
