"""Mail goes through a real SMTP server: the confirmation carries a readable PDF whose QR code is the ticket's token;
each outbox row is sent once, even with two workers; failures are retried with backoff, then given up."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pypdfium2
import pytest
import sqlalchemy as sa
import zxingcpp

from server.config import Settings
from server.db.engine import create_db_engine, create_session_factory
from server.notifications.delivery import FIRST_BACKOFF, MAX_ATTEMPTS, deliver_pending
from server.notifications.models import MessageKind, OutboxMessage, OutboxStatus
from server.notifications.service import enqueue
from tests.support.sales import pay, reserve
from tests.support.smtp import smtp_server


def outbox(db) -> list[OutboxMessage]:
    with db() as session:
        return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.created_at)))


def decode_pdf_qr_codes(document: bytes) -> list[str]:
    pdf = pypdfium2.PdfDocument(io.BytesIO(document))
    texts = []
    for index in range(len(pdf)):
        image = pdf[index].render(scale=3).to_pil()
        texts.extend(result.text for result in zxingcpp.read_barcodes(image))
    pdf.close()
    return texts


def test_confirmation_mail_carries_a_pdf_whose_qr_decodes_to_the_tickets_token(
    client, org_slug, event, db, settings, clock
) -> None:
    order = reserve(client, org_slug, event, quantity=2).json()
    paid = pay(client, org_slug, order).json()

    with smtp_server() as (mailbox, port):
        report = deliver_pending(
            session_factory=db, settings=settings.model_copy(update={"smtp_port": port}), now=clock()
        )

    assert len(report.sent) == 1
    [mail] = mailbox.messages
    assert mail["To"] == paid["email"]
    assert "Your tickets" in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert all(t["confirmation_code"][:5] in body for t in paid["tickets"])
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    document = attachment.get_content()
    assert document.startswith(b"%PDF")
    assert sorted(decode_pdf_qr_codes(document)) == sorted(t["qr_code_data"] for t in paid["tickets"])
    assert [m.status for m in outbox(db)] == [OutboxStatus.SENT]


def test_guest_downloads_the_same_pdf_by_code_and_email(client, org_slug, event) -> None:
    paid = pay(client, org_slug, reserve(client, org_slug, event).json()).json()
    ticket = paid["tickets"][0]
    lookup = {"confirmation_code": ticket["confirmation_code"].lower(), "email": paid["email"].upper()}

    found = client.post(f"/api/v1/public/{org_slug}/tickets/lookup", json=lookup)
    document = client.post(f"/api/v1/public/{org_slug}/tickets/pdf", json=lookup)
    wrong = client.post(f"/api/v1/public/{org_slug}/tickets/lookup", json={**lookup, "email": "other@example.com"})

    assert found.json()["id"] == ticket["id"]
    assert decode_pdf_qr_codes(document.content) == [ticket["qr_code_data"]]
    assert wrong.status_code == 404


def test_unreachable_smtp_server_is_retried_with_growing_backoff_then_given_up(
    client, org_slug, event, db, settings, clock
) -> None:
    pay(client, org_slug, reserve(client, org_slug, event).json())
    from tests.support.live_server import free_port

    closed = settings.model_copy(update={"smtp_port": free_port()})
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_pending(session_factory=db, settings=closed, now=clock())
        [message] = outbox(db)
        assert message.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.retrying == [message.id]
            waits.append(message.next_attempt_at - clock())
            assert deliver_pending(session_factory=db, settings=closed, now=clock()).retrying == []  # not due yet
            clock.set(message.next_attempt_at)

    assert waits == [FIRST_BACKOFF * 2**n for n in range(MAX_ATTEMPTS - 1)]
    assert report.failed == [message.id]
    assert message.status is OutboxStatus.FAILED


def test_permanent_refusal_fails_at_once(client, org_slug, event, db, settings, clock) -> None:
    pay(client, org_slug, reserve(client, org_slug, event).json())

    with smtp_server() as (mailbox, port):
        mailbox.refuse_with = "550 mailbox unavailable"
        report = deliver_pending(
            session_factory=db, settings=settings.model_copy(update={"smtp_port": port}), now=clock()
        )

    assert len(report.failed) == 1
    assert outbox(db)[0].status is OutboxStatus.FAILED


@pytest.mark.slow
def test_two_workers_never_send_one_row_twice(postgres_url, clock) -> None:
    from tests.support.orgs import make_org

    engine = create_db_engine(postgres_url, pool_size=6)
    db = create_session_factory(engine)
    org = make_org(db, clock)
    with db() as session:
        for i in range(40):
            enqueue(
                session=session,
                org_id=org.org_id,
                kind=MessageKind.REFUND_ISSUED,
                recipient=f"guest{i}@example.com",
                payload={"amount_cents": 100, "currency": "USD"},
                now=clock(),
            )
        session.commit()
    barrier = threading.Barrier(2)

    with smtp_server() as (mailbox, port):
        settings = Settings(database_url=postgres_url, smtp_port=port, run_jobs=False)

        def work(name: str) -> None:
            barrier.wait()
            while deliver_pending(session_factory=db, settings=settings, now=clock(), worker=name, batch=3).sent:
                pass

        threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    recipients = [m["To"] for m in mailbox.messages]
    assert len(recipients) == 40
    assert len(set(recipients)) == 40
    with db() as session:
        assert set(session.scalars(sa.select(OutboxMessage.status))) == {OutboxStatus.SENT}
        assert len(set(session.scalars(sa.select(OutboxMessage.claimed_by)))) == 2
    engine.dispose()


def test_cancellation_and_refund_mails_are_queued_with_the_change(client, org_slug, event, org, db, clock) -> None:
    paid = pay(client, org_slug, reserve(client, org_slug, event).json()).json()

    client.post("/api/v1/tickets/cancel", json={"ticket_ids": [paid["tickets"][0]["id"]]}, headers=org.headers)

    assert [m.kind for m in outbox(db)] == [MessageKind.TICKETS_CONFIRMED, MessageKind.TICKETS_CANCELED]
    assert clock() - outbox(db)[1].next_attempt_at == timedelta(0)
