"""Where alerts go: a chat channel's incoming webhook, and e-mail over SMTP.

The chat webhook is sent `{"text": …}` as JSON: the shape Slack's incoming webhooks and Microsoft
Teams' incoming webhooks both accept. Its URL is the channel's secret, so it comes by reference and
is never said: a failure names the sink ("chat webhook") and what went wrong, never the URL. E-mail
goes by SMTP, upgraded with STARTTLS unless told not to, logging in when a username is given. The
server's certificate is verified, with the system's trust store or the authorities in `ca_file`; one
that does not verify stops the notice before anything is said to that server, the login included.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from engine.spec.environment import Alerts, EmailAlerts

TIMEOUT_S = 10.0  # per attempt: an alert must not hold up a run for long


class DeliveryError(Exception):
    """A sink did not take a notice; the message names the sink, never its URL or credentials."""


class Sink(Protocol):
    @property
    def name(self) -> str:
        """How the sink is named in the state store and in messages: chat, email."""

    def send(self, subject: str, body: str) -> None:
        """Deliver one notice, or raise `DeliveryError`."""


@dataclass(frozen=True)
class ChatWebhook:
    url: str | None  # None: the variable it comes from is not set
    variable: str
    name: str = "chat"

    def send(self, subject: str, body: str) -> None:
        if not self.url:
            raise DeliveryError(f"chat webhook: its URL comes from {self.variable}, which is not set")
        try:
            answer = httpx.post(self.url, json={"text": body}, timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:  # its message may quote the URL: only its kind is said
            raise DeliveryError(f"chat webhook: {type(exc).__name__}") from None
        if not answer.is_success:  # its words, without the URL's parts it may quote (the token is in the path)
            said = answer.text[:200]
            for part in sorted(_url_parts(self.url), key=len, reverse=True):
                said = said.replace(part, "***")
            raise DeliveryError(f"chat webhook: HTTP {answer.status_code}: {said}")


@dataclass(frozen=True)
class Email:
    settings: EmailAlerts
    username: str | None
    password: str | None
    missing: tuple[str, ...] = ()  # variables referred to and not set
    ca_file: Path | None = None  # `settings.ca_file`, resolved against the repository root
    name: str = "email"

    def send(self, subject: str, body: str) -> None:
        where = f"email via {self.settings.host}:{self.settings.port}"
        if self.missing:
            raise DeliveryError(f"{where}: {', '.join(self.missing)} not set")
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, self.settings.sender, ", ".join(self.settings.to)
        message.set_content(body)
        try:
            with smtplib.SMTP(self.settings.host, self.settings.port, timeout=TIMEOUT_S) as smtp:
                if self.settings.starttls:
                    smtp.starttls(context=self._tls(where))
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:  # the server's own words; it never echoes a password
            said = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise DeliveryError(f"{where}: {exc.smtp_code} {said}") from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{where}: the server's certificate did not verify ({exc.verify_message}); nothing was sent to it. "
                "If the server's certificate comes from a private authority, name that authority's certificate "
                "in alerts.email.ca_file"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc.strerror or exc}"
                                if isinstance(exc, OSError) else f"{where}: {exc}") from None  # fmt: skip

    def _tls(self, where: str) -> ssl.SSLContext:
        """What STARTTLS verifies the server with: the system's trust store, or the authorities in `ca_file`."""
        if self.ca_file is None:
            return ssl.create_default_context()
        try:
            return ssl.create_default_context(cafile=str(self.ca_file))
        except (OSError, ssl.SSLError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a PEM certificate"
            raise DeliveryError(f"{where}: cannot read alerts.email.ca_file {self.settings.ca_file}: {why}") from None


def sinks(alerts: Alerts | None, environ: Mapping[str, str], root: Path) -> list[Sink]:
    """The sinks an environment's `alerts` names, their references resolved in `environ` and their
    files in the repository at `root`."""
    found: list[Sink] = []
    if alerts is not None and alerts.chat is not None:
        variable = alerts.chat.url.removeprefix("env:")
        found.append(ChatWebhook(environ.get(variable) or None, variable))
    if alerts is not None and alerts.email is not None:
        email = alerts.email
        username, password = (_variable(email.username), _variable(email.password))
        missing = tuple(name for name in (username, password) if name and not environ.get(name))
        ca_file = root / email.ca_file if email.ca_file else None
        found.append(Email(email, environ.get(username or ""), environ.get(password or ""), missing, ca_file))
    return found


def secret_values(alerts: Alerts | None, environ: Mapping[str, str]) -> list[str]:
    """The values of the alert sinks' secrets (the chat URL, the SMTP password), to mask wherever
    they might show."""
    if alerts is None:
        return []
    names = [_variable(alerts.chat.url) if alerts.chat else None, _variable(alerts.email.password) if alerts.email
             else None]  # fmt: skip
    return [environ[name] for name in names if name and environ.get(name)]


def _url_parts(url: str) -> list[str]:
    """The parts of a webhook URL that may carry its secret: the URL, its path and query, and every
    part of them long enough to be a token."""
    split = urlsplit(url)
    parts = [url, split.path, split.query]
    parts += [part for part in re.split(r"[/?&=]", f"{split.path}?{split.query}") if len(part) >= 8]
    return [part for part in parts if part]


def _variable(reference: str | None) -> str | None:
    return reference.removeprefix("env:") if reference else None
