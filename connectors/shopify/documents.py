"""Every GraphQL document the Shopify connector sends, loaded from the `.graphql` files beside it:
one file per entity module (`graphql/products.graphql` holds what `products.py` sends).

An operation is sent with the fragments it uses appended. To write or read a batch in one request,
`batched` repeats an operation's single root field under aliases named after the field's first
letter (`p0`, `p1`, … for `productSet`), giving each copy
its own variables for the arguments that differ per record; a contract test validates both forms
against Shopify's published schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

FOLDER = Path(__file__).parent / "graphql"
BULK_FOLDER = Path(__file__).parent / "bulk"


@dataclass(frozen=True)
class Document:
    name: str
    text: str  # the operation followed by the fragments it uses
    operation: str = ""  # the operation of `graphql/` it was made from (a batch's, too); its name by default
    mutation: bool = False

    def __post_init__(self) -> None:
        if not self.operation:
            object.__setattr__(self, "operation", self.name)


@cache
def _definitions() -> tuple[dict[str, OperationDefinitionNode], dict[str, FragmentDefinitionNode]]:
    operations: dict[str, OperationDefinitionNode] = {}
    fragments: dict[str, FragmentDefinitionNode] = {}
    for path in sorted(FOLDER.glob("*.graphql")):
        for definition in parse(path.read_text(encoding="utf-8")).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                operations[definition.name.value] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
    return operations, fragments


def names() -> list[str]:
    return sorted(_definitions()[0])


def document(name: str) -> Document:
    operations, _ = _definitions()
    operation = operations[name]
    return Document(name, _with_fragments(operation), name, operation.operation.value == "mutation")


def _with_fragments(operation: OperationDefinitionNode) -> str:
    _, fragments = _definitions()
    text = print_ast(operation)
    seen: list[str] = []
    pending = re.findall(r"\.\.\.(\w+)", text)
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.append(name)
        pending += re.findall(r"\.\.\.(\w+)", print_ast(fragments[name]))
    return "\n\n".join([text, *(print_ast(fragments[name]) for name in seen)])


@cache
def batched(name: str, count: int, per_alias: tuple[str, ...]) -> Document:
    """`name` with its root field repeated `count` times under aliases; the variables in
    `per_alias` become `$name0`, `$name1`, … (one per copy), the others stay shared."""
    operations, _ = _definitions()
    operation = operations[name]
    [root] = operation.selection_set.selections
    assert isinstance(root, FieldNode)
    prefix = (root.alias or root.name).value[0]
    copies = []
    for index in range(count):
        field = visit(root, _Rename(per_alias, index))
        copies.append(
            FieldNode(
                alias=NameNode(value=f"{prefix}{index}"),
                name=field.name,
                arguments=field.arguments,
                directives=field.directives,
                selection_set=field.selection_set,
            )
        )
    shared = [d for d in operation.variable_definitions or () if d.variable.name.value not in per_alias]
    own = [
        VariableDefinitionNode(
            variable=VariableNode(name=NameNode(value=f"{d.variable.name.value}{index}")),
            type=d.type,
            default_value=d.default_value,
            directives=(),
        )
        for index in range(count)
        for d in operation.variable_definitions or ()
        if d.variable.name.value in per_alias
    ]
    selection = SelectionSetNode(selections=tuple(copies))
    batch = OperationDefinitionNode(
        operation=operation.operation,
        name=NameNode(value=f"{name}Batch{count}"),
        variable_definitions=tuple(shared + own),
        directives=(),
        selection_set=selection,
    )
    mutation = operation.operation.value == "mutation"
    return Document(batch.name.value, _with_fragments(batch), name, mutation)  # type: ignore[union-attr]


class _Rename(Visitor):
    def __init__(self, names: tuple[str, ...], index: int) -> None:
        super().__init__()
        self.names, self.index = names, index

    def enter_variable(self, node: VariableNode, *_: object) -> VariableNode | None:
        if node.name.value in self.names:
            return VariableNode(name=NameNode(value=f"{node.name.value}{self.index}"))
        return None


def bulk_query(name: str, **values: str) -> str:
    """A bulk export query from `bulk/NAME.graphql` with its `"$placeholder"` strings filled in
    (bulk queries take no variables)."""
    text = (BULK_FOLDER / f"{name}.graphql").read_text(encoding="utf-8")
    for placeholder, value in values.items():
        text = text.replace(f'"${placeholder}"', json.dumps(value))
    if '"$' in text:
        raise ValueError(f"bulk query {name} has a placeholder left: {text[text.index(chr(34) + '$') :][:30]}")
    return text


def bulk_names() -> list[str]:
    return sorted(path.stem for path in BULK_FOLDER.glob("*.graphql"))
