"""The sandbox shop's customers: found by id, email or phone, with `customerSet`'s checks on email
and phone, and an email no two customers share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.shopify.sandbox.ledger import Ledger, now, user_error

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")


class CustomerStore:
    """Customers by id, with the rules of `customerSet`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.customers: dict[str, dict[str, Any]] = {}

    def customer_set(
        self, identifier: Mapping[str, Any] | None, data: Mapping[str, Any]
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """customerSet: create or update a customer, found by id, email or phone."""
        with self.ledger.changing() as events:
            identifier = identifier or {}
            found = self.find_customer(identifier)
            if identifier.get("id") and found is None:
                return None, [user_error(["identifier", "id"], "Customer does not exist", "NOT_FOUND")]
            email = data.get("email", identifier.get("email"))
            errors = self._errors(identifier, data, email, found)
            if errors:
                return None, errors
            creating = found is None
            customer = self.customers.get(found or "") or {
                "id": self.ledger.new_id("Customer"), "email": None, "firstName": None, "lastName": None,
                "phone": None, "tags": [], "note": None, "addresses": [], "createdAt": now(),
            }  # fmt: skip
            for key in ("email", "firstName", "lastName", "phone", "note"):
                if key in data:
                    customer[key] = data[key]
            if "tags" in data and data["tags"] is not None:
                customer["tags"] = sorted(set(data["tags"]))
            if "addresses" in data and data["addresses"] is not None:
                customer["addresses"] = [dict(a) for a in data["addresses"]]
            customer["updatedAt"] = now()
            self.customers[customer["id"]] = customer
            events.append(("customers/create" if creating else "customers/update",
                           {"admin_graphql_api_id": customer["id"], "email": customer["email"]}))  # fmt: skip
            return customer["id"], []

    def _errors(
        self, identifier: Mapping[str, Any], data: Mapping[str, Any], email: Any, found: str | None
    ) -> list[dict[str, Any]]:
        errors = []
        if email is not None and not _EMAIL.match(str(email)):
            errors.append(user_error(["input", "email"], "Email is invalid", "INVALID"))
        if email and identifier.get("email") and str(email).lower() != str(identifier["email"]).lower():
            errors.append(user_error(["input", "email"], "Email does not match the identifier", "INPUT_MISMATCH"))
        owner = self.find_customer({"email": email}) if email else None
        if owner is not None and owner != found:
            errors.append(user_error(["input", "email"], "Email has already been taken", "TAKEN"))
        if data.get("phone") and not _PHONE.match(str(data["phone"])):
            errors.append(user_error(["input", "phone"], "Phone is invalid", "INVALID"))
        if not (email or data.get("phone") or data.get("firstName") or data.get("lastName")):
            errors.append(user_error(["input"], "A name, phone number or email address is required", "BLANK"))
        return errors

    def find_customer(self, identifier: Mapping[str, Any]) -> str | None:
        """The customer an identifier names: by id, else by email or phone (case-insensitive)."""
        if identifier.get("id"):
            return identifier["id"] if identifier["id"] in self.customers else None
        for field_name in ("email", "phone"):
            value = identifier.get(field_name)
            if value:
                return next(
                    (c for c, v in self.customers.items() if (v.get(field_name) or "").lower() == str(value).lower()),
                    None,
                )
        return None
