"""A delivery's body, read within the receiver's limits and parsed as a JSON object.

The signature covers the whole body, so nothing can be verified before it is read: what an unsigned
sender can make the receiver read is bounded here instead. A declared `Content-Length` over the
limit is refused (413) before a byte is read; a body that grows past it is cut off there (413); one
that has not arrived whole within the read timeout is dropped (408). Each of these answers closes
the connection, so what the sender still sends is not read either. A sender that goes away while
its body is read is logged in one line by the receiver: `ClientDisconnect` is caught here, so
uvicorn, which logs any exception an app lets out with its traceback, never sees it, and every
other error still reaches it.

Shopify sends `Content-Type: application/json` for subscriptions in JSON, the format Tillsync's
`subscribe` asks for; one made by hand in Shopify's other format, XML, is refused with 415, as is any
type other than JSON, before the body is read.

The limits, and why they are what they are:

- **Body size: 10 MiB.** Shopify documents no maximum for HTTPS deliveries. The largest size it does
  document is the 1,000,000-byte cap it puts on deliveries through Amazon EventBridge, above which it
  sends only `{"id": …}` instead (changelog, 2026-11-17: "Large resources such as products with many
  variants or orders with many line items now arrive inline"); a Shopify engineer on its forum put
  some bodies "upwards of a megabyte". Measured on Shopify's example payloads, an order line item is
  about 1 KB and a variant about 0.5 KB: a product with the most variants Shopify allows (2,048) is
  about 1 MB, and an order of 500 lines whose fulfillments and refunds repeat them a few MB. Refusing
  a real delivery costs dearly (Shopify retries it 8 times over 4 hours, then gives up, and removes a
  subscription that keeps failing), so the limit leaves several times that; it bounds what an
  unsigned sender can make the receiver hold, too.
- **Body read timeout: 5 s.** Shopify gives up on a delivery 5 s after sending it (1 s to connect),
  and retries it later; a body still arriving after that is from nobody waiting for the answer.

Starlette and asyncio are imported only when a body is read, so the command line reads the limits
without loading a web server or an event loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.requests import Request

MAX_BODY = 10 * 1024 * 1024
READ_TIMEOUT_S = 5.0

_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "kib": 1024, "mib": 1024**2}


@dataclass(frozen=True)
class Limits:
    """What the receiver accepts: bodies of at most `max_body` bytes, arriving within `read_timeout_s`."""

    max_body: int = MAX_BODY
    read_timeout_s: float = READ_TIMEOUT_S


def parse_size(text: str) -> int:
    """A size such as `10MiB`, `512KiB`, `2MB` or `4096` (bytes) in bytes; `ValueError` otherwise."""
    found = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = found.group(2).lower() if found else ""
    if found is None or unit not in _UNITS or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a size; give bytes, or a number with KiB, MiB, KB or MB, e.g. 10MiB")
    return int(found.group(1)) * _UNITS[unit]


def format_size(size: int) -> str:
    """`10485760` as `10 MiB`, `2048` as `2 KiB`, `1500` as `1500 bytes`: for messages."""
    for unit, factor in (("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


class Refused(Exception):
    """A delivery the receiver does not take: the status to answer, why (one line), and whether its
    body was left unread (then the connection is closed rather than drained)."""

    def __init__(self, status: int, reason: str, *, unread: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.unread = status, reason, unread


class SenderGone(Exception):
    """The sender closed the connection before its body arrived whole; nobody is left to answer."""

    def __init__(self, received: int) -> None:
        super().__init__(f"the sender went away after {received} bytes of the body")
        self.received = received


def require_json(headers: Mapping[str, str]) -> None:
    """Refuse (415) a content type other than JSON, before the body is read."""
    given = headers.get("content-type", "")
    media = given.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        shown = f"'{given}'" if given else "none"
        raise Refused(415, f"the content type is {shown}, not application/json", unread=True)


async def read_body(request: Request, limits: Limits) -> bytes:
    """The whole body, at most `limits.max_body` bytes, arrived within `limits.read_timeout_s`;
    `Refused` (413, 408) or `SenderGone` otherwise."""
    import asyncio  # here, not above: `tillsync --help` reads the limits and should not load it

    from starlette.requests import ClientDisconnect

    limit = format_size(limits.max_body)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.strip().isdigit() or int(declared) > limits.max_body):
        raise Refused(413, f"the body ({declared} bytes declared) is over the {limit} limit", unread=True)
    body = bytearray()
    try:
        async with asyncio.timeout(limits.read_timeout_s):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limits.max_body:
                    raise Refused(413, f"the body is over the {limit} limit", unread=True)
    except TimeoutError:
        raise Refused(408, f"the body did not arrive within {limits.read_timeout_s:g} s "
                      f"({len(body)} bytes came)", unread=True) from None  # fmt: skip
    except ClientDisconnect:
        raise SenderGone(len(body)) from None
    return bytes(body)


def parse_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; `Refused` (400) with a one-line reason otherwise. NaN and the
    infinities are refused too: they are not JSON, and PostgreSQL would refuse to keep them."""
    try:
        payload = json.loads(body, parse_constant=_not_json)
    except RecursionError:
        raise Refused(400, "the body is JSON nested too deeply") from None
    except ValueError as exc:  # not UTF-8, not JSON, or a number too long to read
        raise Refused(400, f"the body is not JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(payload, dict):
        raise Refused(400, f"the body is a JSON {_kind(payload)}, not an object")
    return payload


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON value")


def _kind(value: Any) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)
