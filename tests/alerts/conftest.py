"""Real alert sinks over loopback: a chat webhook receiver (HTTP) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from connectors.testing.ports import free_port
from tests.engine.conftest import ENVIRONMENT, Repo
from tests.engine.conftest import repo as repo  # the engine tests' repository, shared

TOKEN = "T0KEN-in-the-webhook-url-9f8e7d"
SMTP_USER, SMTP_PASSWORD = "tillsync-alerts", "smtp-pa55word-5ecret"


@dataclass
class Chat:
    """A chat channel's incoming webhook: takes JSON POSTs at /hooks/TOKEN; `answer` is the status it gives."""

    port: int
    posts: list[dict[str, Any]] = field(default_factory=list)
    answer: int = 200
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{TOKEN}"

    def texts(self) -> list[str]:
        return [str(post["text"]) for post in self.posts]

    def start(self) -> None:
        chat = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if chat.answer == 200:
                    chat.posts.append(json.loads(body))
                    reply = b"ok"
                else:  # a refusal that quotes the request, as some proxies do
                    reply = f"no such hook: {self.path}".encode()
                self.send_response(chat.answer)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@dataclass
class Mailbox:
    port: int
    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def authenticate(self, server: object, session: Session, envelope: Envelope, mechanism: str,
                     data: object) -> AuthResult:  # fmt: skip
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (SMTP_USER.encode(),
                                                                                 SMTP_PASSWORD.encode())  # fmt: skip
        if ok:
            self.logins.append(SMTP_USER)
        return AuthResult(success=ok)


@pytest.fixture
def chat() -> Iterator[Chat]:
    running = Chat(free_port())
    running.start()
    yield running
    running.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port, authenticator=box.authenticate,
                            auth_require_tls=False)  # fmt: skip
    controller.start()
    yield box
    controller.stop()


def alerts_environment(chat: Chat | None, mailbox: Mailbox | None) -> str:
    text = ENVIRONMENT + "alerts:\n"
    if chat is not None:
        text += "  chat: {url: env:ALERT_CHAT_URL}\n"
    if mailbox is not None:
        text += (f"  email: {{host: 127.0.0.1, port: {mailbox.port}, starttls: false, "
                 "username: env:ALERT_SMTP_USER, password: env:ALERT_SMTP_PASSWORD, "
                 "from: tillsync@example.com, to: [oncall@example.com]}\n")  # fmt: skip
    return text


@pytest.fixture
def alerted(repo: Repo, chat: Chat, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """The engine's test repository with its environment alerting to the chat receiver and the mailbox."""
    (repo.root / "environments" / "test.yaml").write_text(alerts_environment(chat, mailbox))
    monkeypatch.setenv("ALERT_CHAT_URL", chat.url)
    monkeypatch.setenv("ALERT_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("ALERT_SMTP_PASSWORD", SMTP_PASSWORD)
    return repo
