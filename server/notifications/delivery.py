"""The mail delivery worker: claims outbox rows, sends them through SMTP, retries with backoff.

A row is sent at most once. A worker claims rows by moving them to ``sending`` (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two workers take disjoint rows); from then on no other worker touches them. After the SMTP exchange
the row is ``sent``, or back to ``pending`` with ``next_attempt_at`` pushed out exponentially when the failure is
temporary (connection refused, 4xx), or ``failed`` when it is permanent (5xx) or the attempts are used up.

If a worker dies between claiming and recording, nobody knows whether the server accepted the mail. Resending would
risk a duplicate, so such a row is marked ``failed`` ("outcome unknown") once its claim is ``STALE_CLAIM`` old, for
staff to look at, rather than sent again.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from server.config import Settings
from server.notifications.mail import render
from server.notifications.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_BACKOFF = timedelta(seconds=30)
STALE_CLAIM = timedelta(minutes=30)

Sender = Callable[[list[tuple[uuid.UUID, EmailMessage]]], dict[uuid.UUID, Exception | None]]


class PermanentFailure(Exception):
    """The server refused the mail for good (5xx)."""


def smtp_sender(settings: Settings) -> Sender:
    """Sends a batch over one SMTP connection; a connection failure fails the whole batch (temporarily)."""

    def send(batch: list[tuple[uuid.UUID, EmailMessage]]) -> dict[uuid.UUID, Exception | None]:
        results: dict[uuid.UUID, Exception | None] = {}
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_username and settings.smtp_password:
                    smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
                for message_id, mail in batch:
                    try:
                        smtp.send_message(mail)
                        results[message_id] = None
                    except smtplib.SMTPRecipientsRefused as error:
                        codes = [code for code, _ in error.recipients.values()]
                        permanent = all(500 <= code < 600 for code in codes)
                        results[message_id] = PermanentFailure(str(error)) if permanent else error
                    except smtplib.SMTPResponseException as error:
                        permanent = 500 <= error.smtp_code < 600
                        results[message_id] = PermanentFailure(str(error)) if permanent else error
        except (OSError, smtplib.SMTPException) as error:
            for message_id, _ in batch:
                results.setdefault(message_id, error)
        return results

    return send


@dataclass
class DeliveryReport:
    sent: list[uuid.UUID] = field(default_factory=list)
    retrying: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)


def claim(session: Session, *, now: datetime, worker: str, batch: int) -> list[uuid.UUID]:
    """Moves up to ``batch`` due rows to ``sending`` for this worker and commits; returns their ids."""
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(status=OutboxStatus.FAILED, last_error="delivery outcome unknown: the worker stopped", updated_at=now)
    )
    due = (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # Two statements on purpose: inside "UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)"
    # PostgreSQL may run the subquery more than once and claim more than n rows.
    ids = list(session.scalars(due))
    if not ids:
        session.commit()
        return []
    claimed = list(
        session.scalars(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING)
            .values(
                status=OutboxStatus.SENDING,
                claimed_by=worker,
                claimed_at=now,
                attempts=OutboxMessage.attempts + 1,
                updated_at=now,
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
    )
    session.commit()
    return claimed


def deliver_pending(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    worker: str = "worker",
    batch: int = 20,
    sender: Sender | None = None,
) -> DeliveryReport:
    """One pass: claim due mails, render, send, record each outcome."""
    send = sender or smtp_sender(settings)
    report = DeliveryReport()
    with session_factory() as session:
        ids = claim(session, now=now, worker=worker, batch=batch)
        if not ids:
            return report
        messages = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()
        rendered: list[tuple[uuid.UUID, EmailMessage]] = []
        results: dict[uuid.UUID, Exception | None] = {}
        for message in messages:
            try:
                mail = render(
                    session,
                    message,
                    mail_from=settings.mail_from,
                    secret_key=settings.secret_key.get_secret_value(),
                    base_url=settings.public_base_url,
                )
                rendered.append((message.id, mail))
            except Exception as error:  # a bug in rendering one mail must not stop the others
                logger.exception("could not render outbox message %s", message.id)
                results[message.id] = PermanentFailure(f"render failed: {error}")
        # No transaction stays open over the network (on SQLite it would hold the write lock).
        session.rollback()
        results.update(send(rendered))
        for message in messages:
            failure = results.get(message.id, PermanentFailure("not sent"))
            if failure is None:
                message.status, message.sent_at, message.last_error = OutboxStatus.SENT, now, None
                report.sent.append(message.id)
            elif isinstance(failure, PermanentFailure) or message.attempts >= MAX_ATTEMPTS:
                message.status, message.last_error = OutboxStatus.FAILED, str(failure)[:2000]
                report.failed.append(message.id)
            else:
                message.status, message.last_error = OutboxStatus.PENDING, str(failure)[:2000]
                message.next_attempt_at = now + FIRST_BACKOFF * 2 ** (message.attempts - 1)
                report.retrying.append(message.id)
            message.updated_at = now
        session.commit()
    return report
