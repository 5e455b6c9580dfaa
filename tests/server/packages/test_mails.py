"""The package confirmation goes through a real SMTP server: one mail, the itinerary in order, every ticket in the
attached PDF with a QR code that decodes to the ticket's token."""

from __future__ import annotations

from server.notifications.delivery import deliver_pending
from tests.server.notifications.test_delivery import decode_pdf_qr_codes
from tests.support.packages import book, pay_booking, villa_event_package
from tests.support.smtp import smtp_server


def test_the_package_confirmation_carries_the_itinerary_and_every_ticket(
    client, db, org, org_slug, settings, clock
) -> None:
    world = villa_event_package(client, db, org)
    booking = book(client, org_slug, world).json()
    paid = pay_booking(client, org_slug, booking).json()

    with smtp_server() as (mailbox, port):
        report = deliver_pending(
            session_factory=db, settings=settings.model_copy(update={"smtp_port": port}), now=clock()
        )

    assert len(report.sent) == 1
    [mail] = mailbox.messages
    assert mail["To"] == booking["guest_email"]
    assert mail["Subject"] == "Your package is confirmed: Ubud Wellness Retreat"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    lines = [line.strip() for line in text.splitlines()]
    stay = lines.index(next(line for line in lines if line.startswith("Stay at Villa Kembang")))
    cooking = lines.index(next(line for line in lines if "Wednesday 10 June 2026, 17:00" in line))
    wine = lines.index(next(line for line in lines if "Friday 12 June 2026, 09:00" in line))
    assert stay < cooking < wine
    assert "check-in Wednesday 10 June 2026, check-out Saturday 13 June 2026 (3 nights)" in lines[stay]
    assert "Total paid: USD 943.50" in text
    assert "You saved USD 166.50" in text
    assert all(t["confirmation_code"][:4] in text for t in paid["tickets"])
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert sorted(decode_pdf_qr_codes(attachment.get_content())) == sorted(t["qr_code_data"] for t in paid["tickets"])
