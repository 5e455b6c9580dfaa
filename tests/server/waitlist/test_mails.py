"""The waitlist's mails go through a real SMTP server: the place in line, then the offer with a link that works."""

from __future__ import annotations

import re

from server.notifications.delivery import deliver_pending
from tests.support.smtp import smtp_server
from tests.support.waitlist import cancel_ticket, joined, sell_out


def deliver(db, settings, clock, port: int):
    return deliver_pending(session_factory=db, settings=settings.model_copy(update={"smtp_port": port}), now=clock())


def body(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def test_the_guest_is_mailed_their_place_then_an_offer_whose_link_buys_the_seats(
    client, org_slug, event, org, db, settings, clock
) -> None:
    orders = sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "first@example.com")
    second = joined(client, org_slug, event, "second@example.com", quantity=2)

    with smtp_server() as (mailbox, port):
        deliver(db, settings, clock, port)
        positions = {mail["To"]: mail["Subject"] for mail in mailbox.messages}
        for order in orders[:3]:
            cancel_ticket(client, org.headers, order)
        deliver(db, settings, clock, port)

    assert positions["first@example.com"].startswith("You're #1 on the waitlist")
    assert positions["second@example.com"].startswith("You're #2 on the waitlist")
    offer_mails = [mail for mail in mailbox.messages if mail["Subject"].startswith("Seats are waiting")]
    assert sorted(mail["To"] for mail in offer_mails) == ["first@example.com", "second@example.com"]
    offer = next(mail for mail in offer_mails if mail["To"] == "second@example.com")
    text = body(offer)
    assert "2 x General Admission" in text
    link = re.search(r"http\S+/waitlist/(\S+)\?secret=(\S+)", text)
    assert link is not None
    assert link.group(1) == second["id"]
    assert link.group(2) == second["access_secret"]
    path = link.group(0).split("/api/v1", 1)[1]
    seen = client.get(f"/api/v1{path}")
    assert seen.json()["status"] == "notified"
