"""Shopify's `@idempotent(key:)` field directive, as the sandbox answers it.

What the sandbox follows, from Shopify's published 2026-10 schema (the directive's description and
the mutations' own) and its docs ("Idempotent requests", "Implementing idempotency", and the
changelogs "Adding idempotency for inventory adjustments and refund mutations" and "Making
idempotency mandatory …", effective 2026-04):

- only mutations whose description documents the directive take it; for those that say the key
  "is required" since 2026-04, a call without it is refused at run time, though the schema does not
  mark it so ("The @idempotent directive is required for this mutation but was not provided.",
  code BAD_REQUEST, the field null). Where the directive is not supported the sandbox refuses it
  too: the schema says only that it is not supported there, so the wording is the sandbox's own;
- the key may not be empty or whitespace only;
- a request with a key seen before, the same mutation and the same arguments, is a duplicate: it is
  not carried out again and gets the first attempt's result; other arguments are refused with
  `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`, a first attempt still running with
  `IDEMPOTENCY_CONCURRENT_REQUEST`, and a first attempt that failed (answered with userErrors) with
  `IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED` (try again with a new key). Shopify keeps keys for a
  retention window it documents per mutation family; the sandbox keeps them while it runs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from connectors.shopify.schema import admin_schema

REQUIRED = "The @idempotent directive is required for this mutation but was not provided."
REFUSALS = {  # the codes' descriptions in the schema's InventorySetQuantitiesUserErrorCode
    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH": "The same idempotency key cannot be used with different operation "
    "parameters.",
    "IDEMPOTENCY_CONCURRENT_REQUEST": "This request is currently in progress, please try again.",
    "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED": "A previous request with this idempotency key failed. Retry with a new "
    "idempotency key.",
}
BAD_REQUEST = {"code": "BAD_REQUEST"}


@cache
def supporting() -> tuple[frozenset[str], frozenset[str]]:
    """(mutations that take the directive, those that require it), read from their descriptions."""
    mutation = admin_schema().mutation_type
    assert mutation is not None
    takes, needs = set(), set()
    for name, field in mutation.fields.items():
        text = " ".join((field.description or "").split())
        if "`@idempotent` directive" in text:
            takes.add(name)
            if "idempotency key is required" in text:
                needs.add(name)
    return frozenset(takes), frozenset(needs)


@dataclass
class Attempt:
    """The first request made with one key."""

    fingerprint: str  # the mutation and its arguments
    result: dict[str, Any] | None = None  # None while it runs
    failed: bool = False


class IdempotencyKeys:
    """The keys a shop has seen, and what their first attempts came to."""

    def __init__(self) -> None:
        self.attempts: dict[str, Attempt] = {}
        self.lock = threading.Lock()

    def guard(self, resolvers: dict[str, Any]) -> dict[str, Any]:
        """The root fields with every mutation's resolver run under the directive's rules."""
        mutation = admin_schema().mutation_type
        names = set(mutation.fields) if mutation is not None else set()
        return {name: self._guarded(name, r) if name in names and callable(r) else r for name, r in resolvers.items()}

    def _guarded(self, name: str, resolve: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def run(info: Any, **arguments: Any) -> dict[str, Any]:
            return self.run(name, _key(info), arguments, lambda: resolve(info, **arguments))

        return run

    def run(
        self, name: str, key: str | None, arguments: dict[str, Any], resolve: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """`resolve()` for mutation `name` called with `key` (None: without the directive)."""
        takes, needs = supporting()
        if key is None:
            if name in needs:
                raise GraphQLError(REQUIRED, extensions=BAD_REQUEST)
            return resolve()
        if name not in takes:
            raise GraphQLError(f"The @idempotent directive is not supported by {name}.", extensions=BAD_REQUEST)
        if not key.strip():
            raise GraphQLError(
                "The idempotency key cannot be an empty string or whitespace only.", extensions=BAD_REQUEST
            )
        fingerprint = json.dumps([name, arguments], sort_keys=True, default=str)
        with self.lock:
            first = self.attempts.get(key)
            if first is None:
                attempt = self.attempts[key] = Attempt(fingerprint)
        if first is not None:
            return _answer_again(first, fingerprint)
        try:
            result = resolve()
        except BaseException:
            with self.lock:
                del self.attempts[key]  # it did not happen; the key may be used again
            raise
        attempt.failed, attempt.result = bool(result.get("userErrors")), result
        return result


def _answer_again(first: Attempt, fingerprint: str) -> dict[str, Any]:
    if first.fingerprint != fingerprint:
        return _refused("IDEMPOTENCY_KEY_PARAMETER_MISMATCH")
    if first.result is None:
        return _refused("IDEMPOTENCY_CONCURRENT_REQUEST")
    if first.failed:
        return _refused("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")
    return first.result


def _refused(code: str) -> dict[str, Any]:
    return {"userErrors": [{"field": None, "message": REFUSALS[code], "code": code}]}


def _key(info: Any) -> str | None:
    """The key of the field's @idempotent directive, with variables put in; None without one."""
    directive = admin_schema().get_directive("idempotent")
    assert directive is not None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return None if values is None else str(values["key"])
