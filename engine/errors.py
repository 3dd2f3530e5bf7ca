"""Errors, grouped by what the caller should do about them.

- `SpecError`: fix the YAML. Raised before any I/O, carrying every `Diagnostic` at once.
- `RetriableConnectorError`: 429, 5xx, timeouts. Retried in one place by the connector's HTTP layer.
  `AnswerLostError`, one of them: a write that is not safe to send twice reached the system and its
  answer was lost; the connector settles it by looking in the target, never by sending it again.
- `FatalConnectorError`: 401/403 and other 4xx. Stops the run; retrying cannot help.
  `CredentialsRefusedError`, one of them: the system refused the credentials (401/403).
- `RecordError`: one record cannot be synced. It goes to dead letters and the run goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
SHOWN_CHARS = 1_000  # of a path or message, which may quote what a file holds


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in a file, located to the line and column (both 1-based)."""

    file: str
    line: int
    column: int
    message: str
    path: str = ""  # dotted location in the document, e.g. flows.products.mapping.title

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        message = one_line(self.message)
        return f"{where}: {one_line(self.path)}: {message}" if self.path else f"{where}: {message}"


def one_line(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` as one line of at most about `limit` characters: control characters and line breaks
    escaped, the middle of a long text left out. Messages quote keys and values from files."""
    text = _UNPRINTABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"{text[: limit * 2 // 3]}…({cut:,} characters)…{text[-(limit // 3) :]}"


class TillsyncError(Exception):
    """Base of every error Tillsync raises on purpose."""


class UsageError(TillsyncError):
    """The command line asks for something that cannot be done as asked (exit 2)."""


class SpecError(TillsyncError):
    """A spec or environment file is invalid; `diagnostics` holds every problem found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ConnectorError(TillsyncError):
    """A call to an external system failed."""


class RetriableConnectorError(ConnectorError):
    """A temporary failure (rate limit, server error, timeout): trying again later may succeed."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AnswerLostError(RetriableConnectorError):
    """A write that is not safe to send twice may have been made: it reached the system (or may
    have), and its answer was lost to a timeout, a cut connection or a server error. The HTTP layer
    does not send it again; the connector looks in the target by the record's key to settle it."""


class FatalConnectorError(ConnectorError):
    """A failure retrying cannot fix: bad credentials, a missing access scope, a rejected request."""


class CredentialsRefusedError(FatalConnectorError):
    """The system refused Tillsync's credentials (HTTP 401 or 403): they expired, were revoked or
    lack an access scope. An alert names the system and the variables its credentials come from."""


class RecordError(TillsyncError):
    """One record cannot be synced; it goes to dead letters with this reason and the run goes on."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StateError(TillsyncError):
    """The state store cannot be used: unreachable, or at a schema this version does not know."""


class FlowLockedError(StateError):
    """Another process is applying this flow; two applies never write at once."""
