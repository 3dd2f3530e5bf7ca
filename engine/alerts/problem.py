"""A problem worth an alert, as a value: what happened, to which records, and what to run next.

Every alert says exactly what happened and what to do: the integration and the flow (or the
system), the records with the target system's own words, how many, and the commands that show
more or retry. Problems are made by the run layer (`engine.run.watch`); this module only says them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# What a problem is about; a problem is one alert while it lasts, whatever the kind.
RUN_FAILED = "run_failed"  # the flow could not run, or stopped before writing all it planned
DEAD_LETTERS = "dead_letters"  # records of the flow went to dead letters
PARITY = "parity"  # a fresh plan finds records out of step after a successful apply
BLAST_RADIUS = "blast_radius"  # an unattended run was held at the gate
CREDENTIALS = "credentials"  # a system refused Tillsync's credentials
WEBHOOK_REFUSED = "webhook_refused"  # the receiver refused a system's webhook deliveries
KINDS = (RUN_FAILED, DEAD_LETTERS, PARITY, BLAST_RADIUS, CREDENTIALS, WEBHOOK_REFUSED)
SHOWN_RECORDS = 5  # records named in one alert; the command shows the rest


@dataclass(frozen=True)
class Problem:
    kind: str
    integration: str
    subject: str  # the flow, or the system for credentials and webhook problems
    title: str  # one line: what happened
    details: tuple[str, ...] = ()  # the records, in the target system's own words
    commands: tuple[tuple[str, str], ...] = ()  # (what it does, the command)
    mark: int | None = None  # dead letters: the newest one this problem tells of
    facts: Mapping[str, Any] = field(default_factory=dict)  # for tools: flow, system, count, keys

    def message(self) -> dict[str, Any]:
        """The problem as the state store keeps it, and `tillsync status --format json` shows it."""
        return {"title": self.title, "details": list(self.details),
                "commands": [list(pair) for pair in self.commands], **self.facts}  # fmt: skip


def command(*words: str) -> str:
    """A command line to copy, each word quoted for a shell where it needs to be."""
    return " ".join(shlex.quote(word) for word in words)


def opened_text(environment: str, message: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of the alert that a problem began."""
    subject = f"[tillsync {environment}] {message['title']}"
    lines = [subject, *(f"- {line}" for line in message.get("details", ()))]
    lines += [f"{what}: {line}" for what, line in message.get("commands", ())]
    return subject, "\n".join(lines)


def resolved_text(environment: str, message: Mapping[str, Any], since: str) -> tuple[str, str]:
    """(subject, body) of the notice that a problem cleared."""
    subject = f"[tillsync {environment}] resolved: {message['title']}"
    return subject, f"{subject}\n(open since {since})"


_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)
_URL_QUERY = re.compile(r"(?P<url>[a-z][a-z0-9+.-]*://[^\s?#]+)\?[^\s#]*", re.IGNORECASE)
MASK = "***"


def redact(text: str, secrets: Collection[str]) -> str:
    """`text` without a secret: each of `secrets` masked, a URL's user and password and its query
    (where tokens travel) left out."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _URL_QUERY.sub(lambda m: f"{m['url']}?{MASK}", text)


def first(items: Sequence[str], total: int) -> tuple[str, ...]:
    """The first few `items`, and a line saying how many more there are."""
    shown = tuple(items[:SHOWN_RECORDS])
    return shown + ((f"… and {total - len(shown)} more",) if total > len(shown) else ())
