"""What the entity modules share: the open shop they talk to, how they cut work into batches, and
how they word what Shopify refused.

Each entity module (`products`, `stock`, `categories`, …) sends its GraphQL operations by name
through a `Session`; the one implementation, in `client.py`, puts them on the wire. The connector's
registry imports this module (for batch sizes) and none of the entity modules: `tillsync validate`
loads neither an I/O library nor the conversions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from connectors.shopify.settings import ShopifySettings
from engine.records import Record

T = TypeVar("T")
R = TypeVar("R", bound=Record)

MAX_QUANTITIES = 250  # quantities `inventorySetQuantities` takes in one call: a stock batch


class Session(Protocol):
    """One shop's Admin GraphQL API, operations named as in the `graphql/` folder."""

    @property
    def settings(self) -> ShopifySettings:
        """The shop's settings: its currency, the product number's metafield, how to write stock."""
        ...

    def request(self, operation: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run one operation; its `data`. Raises a connector error the transport has classified."""
        ...

    def request_batch(
        self, operation: str, count: int, per_record: tuple[str, ...], variables: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Run `operation` with its root field repeated `count` times under numbered aliases; each
        variable named in `per_record` is sent once per copy (`input0`, `input1`, …)."""
        ...

    def nodes(self, operation: str, path: str, variables: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every node of a paginated connection, page after page; `path` leads to it (`priceList.prices`)."""
        ...

    def bulk_export(self, query: str, children: Mapping[str, str], **placeholders: str) -> list[dict[str, Any]]:
        """The objects of the bulk query `bulk/QUERY.graphql`, nested again: `children` names, per
        `__typename` of a child line, the connection field it belongs to."""
        ...


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in consecutive batches of at most `size`."""
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def chunks_or_all(items: Sequence[T] | None, size: int) -> list[list[T] | None]:
    """Batches of the keys asked for; when none are asked for (`None`), one batch standing for all."""
    if items is None:
        return [None]
    found: list[list[T] | None] = [*chunks(items, size)]
    return found


def user_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    """Shopify's `userErrors` as one line: `input.variants.1: message (CODE); …`."""
    return "; ".join(
        f"{'.'.join(map(str, e.get('field') or [])) or 'input'}: {e.get('message')}"
        + (f" ({e['code']})" if e.get("code") else "")
        for e in errors
    )


def of_type(records: Sequence[Record], kind: type[R]) -> list[R]:
    """The records of one kind; a batch holds one entity's records."""
    return [record for record in records if isinstance(record, kind)]
