"""Field mappings: which JMESPath expression fills each target field.

Every flow starts from a default mapping — each field both connectors carry for the entity is
copied as it is — and the spec overrides it field by field; `field: null` drops a default.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.catalogue import Catalogue


def effective_mapping(
    overrides: Mapping[str, str | None], source: Catalogue, target: Catalogue
) -> dict[str, str]:
    """The mapping a flow runs with: defaults for shared fields, then the spec's own entries."""
    mapping = {name: _quoted(name) for name in target if name in source}
    for name, expression in overrides.items():
        if expression is None:
            mapping.pop(name, None)
        else:
            mapping[name] = expression
    return mapping


def _quoted(name: str) -> str:
    # Field names are JMESPath identifiers unless they hold a character that is not one.
    return name if name.replace("_", "a").isalnum() and not name[0].isdigit() else f'"{name}"'
