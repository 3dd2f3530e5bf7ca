"""Alerts over real sinks on loopback: each problem once while it lasts, a resolved notice when it
clears, the same from the command line and the event worker, nothing secret, and a sink that is
down neither stops the run nor loses the alert."""

from __future__ import annotations

import logging
from email.message import Message

import pytest

from engine.cli import main
from engine.records import Entity
from engine.webhooks.worker import EventWorker
from tests.alerts.conftest import SMTP_PASSWORD, SMTP_USER, TOKEN, Certificates, Chat, Mailbox
from tests.engine.conftest import ENVIRONMENT, SPEC, Repo
from tests.engine.test_apply import CATALOGUE

HEADER = "sku,title,variants.sku,variants.price,variants.tax_rate\n"
GOOD = "1,Shirt,1,10.00 EUR,21\n2,Mug,2,5.00 EUR,21\n"
BAD = "3,Towel,3,NaN EUR,21\n"


def body(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_dead_letters_are_alerted_once_with_what_to_do_then_resolved(
    alerted: Repo, chat: Chat, mailbox: Mailbox
) -> None:
    (alerted.root / "erp" / "products.csv").write_text(HEADER + GOOD + BAD)
    assert main(["apply", "--env", "test", "--yes"]) == 1
    [text] = chat.texts()
    assert text.startswith("[tillsync test] shop-sync/products: 1 record went to dead letters writing to shop (files)")
    assert "- 3: " in text and "'NaN EUR' is not an amount" in text, "the record's key and the words for it"
    assert "tillsync logs --env test --flow shop-sync/products --key 3" in text
    assert "tillsync retry --env test --flow shop-sync/products" in text
    [mail] = mailbox.messages
    assert " ".join(mail["Subject"].split()) == text.splitlines()[0] and mail["To"] == "oncall@example.com"
    assert "'NaN EUR' is not an amount" in body(mail) and mailbox.logins == [SMTP_USER]

    assert main(["apply", "--env", "test", "--yes"]) == 1
    assert main(["retry", "--env", "test"]) == 1
    assert len(chat.posts) == 1 and len(mailbox.messages) == 1, "the same problem is not alerted again"

    (alerted.root / "erp" / "products.csv").write_text(HEADER + GOOD + BAD + "4,Cap,4,abc EUR,21\n")
    assert main(["apply", "--env", "test", "--yes"]) == 1
    assert len(chat.posts) == 2, "a record newly in dead letters is news"
    assert "1 record went to dead letters" in chat.texts()[1] and "- 4: " in chat.texts()[1]
    assert "- 3: " not in chat.texts()[1] and "; 2 open" in chat.texts()[1]

    (alerted.root / "erp" / "products.csv").write_text(HEADER + GOOD + "3,Towel,3,7.00 EUR,21\n4,Cap,4,8.00 EUR,21\n")
    assert main(["apply", "--env", "test", "--yes"]) == 0
    assert chat.texts()[2].startswith("[tillsync test] resolved: shop-sync/products: 1 record went to dead letters")
    assert mailbox.messages[2]["Subject"].startswith("[tillsync test] resolved: ")
    assert main(["apply", "--env", "test", "--yes"]) == 0
    assert len(chat.posts) == 3 and len(mailbox.messages) == 3


def test_a_sink_that_is_down_never_stops_the_run_and_gets_the_alert_later(
    alerted: Repo, chat: Chat, mailbox: Mailbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.alerts.alerter.Alerter.backoff_s", 0.01)
    chat.stop()
    (alerted.root / "erp" / "products.csv").write_text(HEADER + GOOD + BAD)
    with caplog.at_level(logging.WARNING):
        assert main(["apply", "--env", "test", "--yes"]) == 1, "the run went on and reported its record"
    assert sorted(p.sku for p in alerted.shop().read(Entity.product)) == ["1", "2"]
    [warning] = [r.getMessage() for r in caplog.records if "alert not delivered" in r.getMessage()]
    assert "tried 3 times" in warning and "chat webhook: ConnectError" in warning
    assert len(mailbox.messages) == 1, "the other sink took it"
    with alerted.store() as store:
        [alert] = store.alerts.open()
        assert alert.unsent == (("opened", "chat"),)

    chat.start()
    main(["apply", "--env", "test", "--yes"])
    [text] = chat.texts()
    assert "1 record went to dead letters" in text, "delivered by the next run"
    assert len(mailbox.messages) == 1, "never twice to the sink that took it"
    with alerted.store() as store:
        assert store.alerts.open()[0].unsent == ()


def test_no_alert_or_log_line_carries_a_secret(
    alerted: Repo, chat: Chat, mailbox: Mailbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.alerts.alerter.Alerter.backoff_s", 0.01)
    # records whose error quotes a secret the environment holds, and a URL carrying credentials
    (alerted.root / "erp" / "products.csv").write_text(
        HEADER
        + GOOD
        + f"3,Towel,3,{SMTP_PASSWORD} EUR,21\n4,Cap,4,https://user:hunter2@erp.example/x?token=abc EUR,21\n"
    )
    chat.answer = 404  # and its refusal quotes the URL, token and all
    with caplog.at_level(logging.WARNING):
        main(["apply", "--env", "test", "--yes"])
    [mail] = mailbox.messages
    said = body(mail)
    assert "- 3: " in said and "- 4: " in said
    logged = " ".join(r.getMessage() for r in caplog.records)
    with alerted.store() as store:
        kept = str([(a.message, a.last_error) for a in store.alerts.open()])
    for text in (said, logged, kept):
        for secret in (TOKEN, "hunter2", "token=abc", SMTP_PASSWORD):
            assert secret not in text, (secret, text)
    assert "HTTP 404" in logged and "***" in logged


def test_the_gate_alerts_from_the_event_worker_and_clears_when_a_run_goes_through(
    alerted: Repo, chat: Chat, mailbox: Mailbox
) -> None:
    alerted.write_spec(SPEC + "    gate: {max_change_share: 0.5, min_changes: 1}\n"
                       "    trigger: {webhook: true}\n")  # fmt: skip
    alerted.seed(Entity.product, CATALOGUE)
    with alerted.store() as store:
        store.events.record("shop-sync", "erp", "w-1", "products/update", "product", ["products"], [], {})
        EventWorker(alerted.workspace(), store).drain()
        EventWorker(alerted.workspace(), store).drain()
    [text] = chat.texts()
    assert text.startswith("[tillsync test] shop-sync/products: held at the gate (blast radius), nothing written")
    assert "tillsync plan --env test --flow shop-sync/products" in text
    assert main(["apply", "--env", "test", "--yes"]) == 0
    assert chat.texts()[1].startswith("[tillsync test] resolved: shop-sync/products: held at the gate")


def test_parity_fails_only_after_a_successful_apply(alerted: Repo, chat: Chat, mailbox: Mailbox) -> None:
    alerted.seed(Entity.product, CATALOGUE)
    assert main(["status", "--env", "test"]) == 1
    assert chat.posts == [], "a flow never applied is not out of step: it is to be applied"
    assert main(["apply", "--env", "test", "--yes"]) == 0
    shop = alerted.shop()
    edited = [
        p.model_copy(update={"title": "Edited by hand"}) if p.sku == "2" else p for p in shop.read(Entity.product)
    ]
    alerted.seed(Entity.product, edited, system="shop")
    assert main(["status", "--env", "test"]) == 1
    [text] = chat.texts()
    assert "shop-sync/products: parity check failed: 1 record out of step after the last apply succeeded" in text
    assert "- 2: update" in text and "--refresh-only" in text
    assert main(["status", "--env", "test"]) == 1
    assert len(chat.posts) == 1


def test_email_goes_over_starttls_only_to_a_server_whose_certificate_verifies(
    repo: Repo, secure_mailbox: tuple[Mailbox, Certificates], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    mailbox, made = secure_mailbox
    monkeypatch.setattr("engine.alerts.alerter.Alerter.backoff_s", 0.01)
    monkeypatch.setenv("ALERT_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("ALERT_SMTP_PASSWORD", SMTP_PASSWORD)
    email = (f"  email: {{host: 127.0.0.1, port: {mailbox.port}, username: env:ALERT_SMTP_USER, "
             "password: env:ALERT_SMTP_PASSWORD, from: tillsync@example.com, to: [oncall@example.com]")  # fmt: skip
    environment = repo.root / "environments" / "test.yaml"
    environment.write_text(ENVIRONMENT + "alerts:\n" + email + "}\n")
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD + BAD)
    with caplog.at_level(logging.WARNING):
        assert main(["apply", "--env", "test", "--yes"]) == 1
    [warning] = [r.getMessage() for r in caplog.records if "alert not delivered" in r.getMessage()]
    assert "email via 127.0.0.1:" in warning and "the server's certificate did not verify" in warning
    assert "alerts.email.ca_file" in warning, "what to do"
    assert mailbox.messages == [] and mailbox.logins == [], "no login, no mail to a server not verified"

    (repo.root / "certs").mkdir()
    (repo.root / "certs" / "smtp-ca.pem").write_bytes(made.authority.read_bytes())
    environment.write_text(ENVIRONMENT + "alerts:\n" + email + ", ca_file: certs/smtp-ca.pem}\n")
    main(["apply", "--env", "test", "--yes"])
    [mail] = mailbox.messages
    assert mailbox.logins == [SMTP_USER], "logged in after STARTTLS: the server takes no login before it"
    assert mail["Subject"].startswith("[tillsync test] shop-sync/products: 1 record went to dead letters")


def test_a_ca_file_that_cannot_be_read_is_said_in_words(
    repo: Repo, secure_mailbox: tuple[Mailbox, Certificates], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    mailbox, _ = secure_mailbox
    monkeypatch.setattr("engine.alerts.alerter.Alerter.backoff_s", 0.01)
    (repo.root / "environments" / "test.yaml").write_text(
        ENVIRONMENT + f"alerts:\n  email: {{host: 127.0.0.1, port: {mailbox.port}, from: tillsync@example.com, "
        "to: [oncall@example.com], ca_file: certs/missing.pem}\n"
    )  # fmt: skip
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD + BAD)
    with caplog.at_level(logging.WARNING):
        assert main(["apply", "--env", "test", "--yes"]) == 1
    [warning] = [r.getMessage() for r in caplog.records if "alert not delivered" in r.getMessage()]
    assert "cannot read alerts.email.ca_file certs/missing.pem: No such file or directory" in warning
    assert mailbox.messages == []
