"""Customers between canonical records and Shopify, matched by email.

Shopify has no company on a customer, so a company is kept on the customer's first (billing)
address, with the contact person as the customer's name; the debtor number rides as a tag
(`number:20001`). Address lines are split into street and house number when read back, so they
compare equal to what was sent. Customers are read fifty emails to a search and written with
`customerSet`, twenty-five to a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.shopify.session import Session, chunks, chunks_or_all, of_type, user_errors
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.keys import Key
from engine.mapping.transforms import split_street
from engine.records import Address, Contact, Customer, Record

NUMBER_TAG = "number:"
CUSTOMERS_PER_READ = 50
CUSTOMERS_PER_WRITE = 25


def customer_set_input(customer: Customer) -> dict[str, Any]:
    """The CustomerSetInput of a canonical customer; a company rides on its first address."""
    contact = customer.contact or Contact()
    first, last = (contact.first_name, contact.last_name) if customer.kind == "company" else (
        customer.first_name, customer.last_name)  # fmt: skip
    addresses = [a for a in (customer.billing_address, customer.shipping_address) if a is not None]
    if customer.kind == "company" and not addresses:
        addresses = [Address()]
    data: dict[str, Any] = {
        "email": customer.email,
        "firstName": first,
        "lastName": last,
        "tags": sorted({*customer.tags, *([f"{NUMBER_TAG}{customer.number}"] if customer.number else [])}),
        "addresses": [
            _address_input(a, customer.company_name if index == 0 and customer.kind == "company" else a.company)
            for index, a in enumerate(addresses)
        ],
    }
    phone = customer.phone or contact.phone
    if phone:
        data["phone"] = phone
    return data


def _address_input(address: Address, company: str | None) -> dict[str, Any]:
    line = " ".join(p for p in (address.street, address.house_number) if p)
    if address.house_number_suffix:
        line += f"-{address.house_number_suffix}" if address.house_number else f" {address.house_number_suffix}"
    first, _, last = (address.name or "").rpartition(" ")
    data = {"address1": line or None, "zip": address.postal_code, "city": address.city, "countryCode": address.country,
            "company": company, "firstName": first or None, "lastName": last or None, "phone": address.phone,
            "province": address.region}  # fmt: skip
    return {k: v for k, v in data.items() if v is not None}


def from_node(node: Mapping[str, Any]) -> Customer | None:
    """The canonical customer of a `CustomerFields` node; None for one without an email."""
    if not node.get("email"):
        return None  # Tillsync matches customers by email; one without cannot be matched
    addresses = [address_from_node(a) for a in node.get("addresses") or []]
    company = (node.get("addresses") or [{}])[0].get("company") if addresses else None
    tags = tuple(t for t in node.get("tags") or () if not t.startswith(NUMBER_TAG))
    number = next((t.removeprefix(NUMBER_TAG) for t in node.get("tags") or () if t.startswith(NUMBER_TAG)), None)
    person = {"first_name": node.get("firstName"), "last_name": node.get("lastName")}
    return Customer(
        email=node["email"],
        kind="company" if company else "person",
        number=number,
        company_name=company,
        contact=Contact(**person, email=node["email"], phone=node.get("phone")) if company else None,
        **({} if company else person),
        phone=node.get("phone"),
        billing_address=addresses[0].model_copy(update={"company": None}) if addresses else None,
        shipping_address=addresses[1] if len(addresses) > 1 else None,
        tags=tags,
    )


def address_from_node(node: Mapping[str, Any]) -> Address:
    """A canonical address of an `AddressFields` node, its first line split into street and number."""
    parts = split_street(node.get("address1") or "") if node.get("address1") else {}
    name = " ".join(p for p in (node.get("firstName"), node.get("lastName")) if p) or None
    return Address(
        name=name,
        company=node.get("company"),
        street=parts.get("street"),
        house_number=parts.get("house_number"),
        house_number_suffix=parts.get("house_number_suffix"),
        postal_code=node.get("zip"),
        city=node.get("city"),
        region=node.get("province"),
        country=node.get("countryCodeV2"),
        phone=node.get("phone"),
    )


def email_query(emails: list[str]) -> str:
    """The customer search for these emails: `email:"a@example.com" OR email:"b@example.com"`."""
    return " OR ".join(f'email:"{email}"' for email in emails)


class Customers:
    """Reads and writes customers, matched by email."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> list[Record]:
        """The customers with these emails, or every customer who has one."""
        emails = [key[0] for key in keys] if keys is not None else None
        found: list[Record] = []
        for chunk in chunks_or_all(emails, CUSTOMERS_PER_READ):
            variables = {"query": email_query(chunk) if chunk else None, "first": CUSTOMERS_PER_READ}
            nodes = self.session.nodes("CustomersByEmail", "customers", variables)
            found += [c for node in nodes if (c := from_node(node)) is not None]
        return found

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """Creates or updates customers by email with `customerSet`, twenty-five to a request."""
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):
            for chunk in chunks(of_type(records, Customer), CUSTOMERS_PER_WRITE):
                variables: dict[str, Any] = {}
                for index, customer in enumerate(chunk):
                    variables[f"identifier{index}"] = {"email": customer.email}
                    variables[f"input{index}"] = customer_set_input(customer)
                result = self.session.request_batch("CustomerSet", len(chunk), ("identifier", "input"), variables)
                for index, customer in enumerate(chunk):
                    payload = result.get(f"c{index}") or {}
                    errors = payload.get("userErrors") or []
                    key = (customer.email,)
                    if errors:
                        outcomes.append(WriteOutcome(key, error=user_errors(errors), response=payload))
                    else:
                        customer_id = (payload.get("customer") or {}).get("id")
                        outcomes.append(WriteOutcome(key, target_id=customer_id, response={"id": customer_id}))
        return outcomes
