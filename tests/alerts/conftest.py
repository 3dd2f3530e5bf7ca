"""Real alert sinks over loopback: a chat webhook receiver (HTTP) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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


@dataclass(frozen=True)
class Certificates:
    """A private certificate authority made for one test, and the server certificate it signed."""

    authority: Path  # the authority's certificate (PEM): what a client trusts
    server: ssl.SSLContext  # the server's side: its certificate, for 127.0.0.1, and key


def certificates(folder: Path) -> Certificates:
    """A self-signed authority and a certificate it signed for 127.0.0.1, valid for a day."""
    now = datetime.datetime.now(datetime.UTC)

    def signed(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: ec.EllipticCurvePrivateKey,
               authority: bool) -> x509.Certificate:  # fmt: skip
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key())
        builder = builder.serial_number(x509.random_serial_number())
        builder = builder.not_valid_before(now - datetime.timedelta(minutes=5))
        builder = builder.not_valid_after(now + datetime.timedelta(days=1))
        builder = builder.add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        issued_by = x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key())
        builder = builder.add_extension(issued_by, critical=False)
        if authority:
            usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                  key_encipherment=False, data_encipherment=False, key_agreement=False,
                                  encipher_only=False, decipher_only=False)  # fmt: skip
            builder = builder.add_extension(usage, critical=True)
        else:
            here = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
            builder = builder.add_extension(here, critical=False)
            server = x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH])
            builder = builder.add_extension(server, critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tillsync test authority")])
    ca = signed("Tillsync test authority", ca_key, ca_name, ca_key, authority=True)
    server = signed("127.0.0.1", server_key, ca_name, ca_key, authority=False)
    pem = serialization.Encoding.PEM
    (folder / "authority.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(server.public_bytes(pem))
    (folder / "server.key").write_bytes(server_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return Certificates(folder / "authority.pem", context)


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


@pytest.fixture
def secure_mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mailbox, Certificates]]:
    """An SMTP server that takes mail and logins only after STARTTLS, with a certificate from a
    private authority made for the test."""
    made = certificates(tmp_path_factory.mktemp("tls"))
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port, authenticator=box.authenticate,
                            tls_context=made.server, require_starttls=True, auth_require_tls=True)  # fmt: skip
    controller.start()
    yield box, made
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
