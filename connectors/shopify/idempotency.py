"""Which of the Shopify connector's writes may be sent again once their answer is lost, in one place.

An answer is lost when a request may have reached Shopify and no answer says what became of it: a
timeout or cut connection after sending, a server error, an answer cut off. A query is sent again
(it changes nothing). A mutation is sent again only when sending it twice leaves the shop as
sending it once does: an upsert by the record's own key, an absolute set, or one that carries
Shopify's own idempotency key. Any other mutation is never sent again by the transport: it raises
`AnswerLostError`, and the entity module that sent it looks in the shop by the record's key
(`settle`) before deciding: found, the write is done; not found, the record fails with why, and the
next run, which reads the shop afresh, writes it again. A mutation this table does not name is
treated as unsafe to send twice.

Shopify's own mechanism (Admin API 2026-10, from the published schema and Shopify's docs
"Idempotent requests", "Implementing idempotency" and the changelog "Making idempotency mandatory
for inventory adjustments and refund mutations"): the `@idempotent(key: String!)` field directive,
supported only by mutations whose description says so (the inventory quantity mutations,
`refundCreate`, inventory transfers and shipments, location (de)activation) and required for them
since 2026-04: without it Shopify refuses the field ("The @idempotent directive is required for
this mutation but was not provided.", BAD_REQUEST). A retry with the same key and the same
variables is recognised as a duplicate and answered with the first attempt's result; the same key
with other variables is refused (`IDEMPOTENCY_KEY_PARAMETER_MISMATCH`), a key whose first attempt
is still running too (`IDEMPOTENCY_CONCURRENT_REQUEST`: try again), and a key whose first attempt
failed (`IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED`: try again with a new key). `orderCreate`,
`collectionCreate`, `fulfillmentCreate` and `customerSet` take no key in 2026-10.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from connectors.shopify.documents import Document


@dataclass(frozen=True)
class Write:
    """One mutation: whether it may be sent again after its answer was lost, and why; for one that
    may not, the record's key a lost answer is settled by."""

    resend: bool
    why: str  # what makes sending it twice safe, or the key it is settled by
    keyed: bool = False  # sent with Shopify's `@idempotent` key: what makes the resend safe


WRITES: Mapping[str, Write] = MappingProxyType({
    "ProductSet": Write(True, "an upsert: productSet finds the product by its identifier (the product number's "
                        "metafield, or the id of a product adopted) and sets it to the input"),
    "CustomerSet": Write(True, "an upsert: customerSet with an email identifier updates the customer that has "
                         "that email, the one the first attempt made included"),
    "CollectionUpdate": Write(True, "sets a collection, found by id, to the input"),
    "InventoryItemUpdate": Write(True, "sets an inventory item's tracking, found by id"),
    "PriceListFixedPricesAdd": Write(True, "replaces the fixed prices of these variants in the price list"),
    "InventorySetQuantities": Write(True, "carries an @idempotent key made once per call: Shopify answers a "
                                    "resend with the first attempt's result", keyed=True),
    "CollectionCreate": Write(False, "settled by the collection's handle, as Shopify makes it of the category's "
                              "key (categories.handle_of)"),
    "OrderCreate": Write(False, "settled by the order's name (its number), searched in the shop's orders"),
    "FulfillmentCreate": Write(False, "settled by the order's name and the shipment's tracking number"),
    "BulkOperationRunQuery": Write(False, "a read that starts an export: a lost start fails that read, and the next "
                                   "run reads again"),
    "WebhookSubscriptionCreate": Write(False, "reported to whoever subscribes: the subscription may exist"),
})  # fmt: skip


def may_resend(document: Document) -> bool:
    """Whether `document` may be sent again after it may have reached Shopify (see the module)."""
    if not document.mutation:
        return True
    write = WRITES.get(document.operation)
    return write is not None and write.resend
