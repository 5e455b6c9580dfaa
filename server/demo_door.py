"""The door half of ``usher demo``: an evening that is on now, demo tickets to scan, and a kiosk paired with the demo
server, ready to scan without a camera.

- ``ensure_tonight``: the event "Sunset Sessions on the Terrace" with an occurrence starting a quarter of an hour
  from now whose doors (two hours before the start) are already open, so a ticket scans green at once; a demo run
  later reuses it while it is still on, else schedules another.
- ``issue_demo_tickets``: four tickets sold at the box office (complimentary), each written as a PNG of its QR code
  and a PDF ticket (the server's own PDF), plus all of them in one PDF, and a video of them held up to a camera one
  after another (``kiosk.camera.synthetic``), which the kiosk plays as its camera.
- ``pair_demo_kiosk``: a box-office device created with the admin token and paired through the real pairing
  endpoint (``kiosk.sync.client.pair``), its settings preset to tonight's occurrence and a gate.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings import service as bookings_service
from server.bookings.models import Attendee, Ticket
from server.bookings.reservation import AttendeeDetails, ReserveRequest
from server.events import scheduling
from server.events import service as events_service
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.events.schemas import DefinitionCreate, OccurrenceCreate, TicketTypeCreate
from server.notifications.pdf import qr_png, render_tickets
from server.notifications.tickets import ticket_pages
from server.tenancy import service as tenancy_service
from shared.enums import DefinitionStatus, EventCategory, OccurrenceStatus, SalesChannel, TicketTier, VenueType

TONIGHT = "Sunset Sessions on the Terrace"
DOORS_OPEN_MINUTES = 120
GUESTS = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson")


@dataclass(frozen=True)
class Tonight:
    occurrence_id: uuid.UUID
    definition_id: uuid.UUID
    start_at: datetime
    timezone: str


@dataclass(frozen=True)
class DemoTicket:
    name: str
    code: str
    token: str
    png: Path
    pdf: Path


def ensure_tonight(*, session: Session, org_id: uuid.UUID, timezone: str, now: datetime) -> Tonight:
    """The demo's evening: an occurrence of "Sunset Sessions on the Terrace" that is on now (its doors open), made
    when there is none."""
    definition = session.scalar(
        sa.select(EventDefinition).where(EventDefinition.org_id == org_id, EventDefinition.name == TONIGHT)
    )
    if definition is None:
        account_id = tenancy_service.default_account_id(session=session, org_id=org_id)
        created = events_service.create_definition(
            session=session,
            org_id=org_id,
            account_id=account_id,
            data=DefinitionCreate(
                name=TONIGHT,
                category=EventCategory.ENTERTAINMENT,
                duration_minutes=150,
                venue_type=VenueType.OFF_PROPERTY,
                venue_name="Villa Azul terrace",
                max_capacity=60,
                min_capacity=1,
                settings={
                    "check_in": {"doors_open_minutes": DOORS_OPEN_MINUTES},
                    "auto_cancel_below_min_capacity": False,
                },
            ),
            now=now,
        )
        for ticket_type in (
            TicketTypeCreate(name="Adult", price_cents=3000, currency="EUR"),
            TicketTypeCreate(name="Child", tier=TicketTier.CHILD, price_cents=1200, currency="EUR"),
        ):
            events_service.create_ticket_type(
                session=session, org_id=org_id, definition_id=created.id, data=ticket_type, now=now
            )
        events_service.change_definition_status(
            session=session, org_id=org_id, definition_id=created.id, status=DefinitionStatus.ACTIVE, now=now
        )
        session.commit()
        definition = session.get_one(EventDefinition, created.id)
    on_now = session.scalars(
        sa.select(EventOccurrence)
        .where(
            EventOccurrence.event_definition_id == definition.id,
            EventOccurrence.status.not_in([OccurrenceStatus.CANCELED, OccurrenceStatus.COMPLETED]),
            EventOccurrence.start_at <= now + timedelta(minutes=DOORS_OPEN_MINUTES),
            EventOccurrence.end_at >= now + timedelta(minutes=30),
        )
        .order_by(EventOccurrence.start_at)
    ).first()
    if on_now is None:
        (on_now,) = scheduling.schedule_occurrence(
            session=session,
            org_id=org_id,
            definition_id=definition.id,
            data=OccurrenceCreate(start_at=(now + timedelta(minutes=15)).replace(microsecond=0), timezone=timezone),
            now=now,
        )
        session.commit()
    return Tonight(on_now.id, definition.id, on_now.start_at, on_now.timezone)


def issue_demo_tickets(
    *, session: Session, org_id: uuid.UUID, tonight: Tonight, out: Path, secret_key: str, now: datetime
) -> list[DemoTicket]:
    """Sell the demo guests' tickets at the box office and write them into ``out``."""
    adult = session.scalars(
        sa.select(TicketType).where(TicketType.event_definition_id == tonight.definition_id, TicketType.name == "Adult")
    ).one()
    family, given = zip(*(name.split(" ", 1)[::-1] for name in GUESTS), strict=True)
    request = ReserveRequest(
        occurrence_id=tonight.occurrence_id,
        ticket_type_id=adult.id,
        attendees=tuple(AttendeeDetails(given_name=g, family_name=f) for g, f in zip(given, family, strict=True)),
        channel=SalesChannel.BOX_OFFICE,
    )
    order, _ = bookings_service.sell_at_box_office(
        session=session,
        org_id=org_id,
        request=request,
        payment_details={"method": "complimentary"},
        secret_key=secret_key,
        now=now,
    )
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.png"), *out.glob("*.pdf")]:
        old.unlink()
    tickets = session.scalars(sa.select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)).all()
    issued = []
    for ticket, name in zip(tickets, _holders(session, tickets), strict=True):
        assert ticket.confirmation_code is not None
        assert ticket.qr_code_data is not None
        stem = f"{name.lower().replace(' ', '-')}-{ticket.confirmation_code}"
        png, pdf = out / f"{stem}.png", out / f"{stem}.pdf"
        png.write_bytes(qr_png(ticket.qr_code_data, box_size=10))
        pdf.write_bytes(render_tickets(ticket_pages(session, ticket_filter=Ticket.id == ticket.id)))
        issued.append(DemoTicket(name, ticket.confirmation_code, ticket.qr_code_data, png, pdf))
    (out / "all-demo-tickets.pdf").write_bytes(
        render_tickets(ticket_pages(session, ticket_filter=Ticket.order_id == order.id))
    )
    return issued


def _holders(session: Session, tickets: Sequence[Ticket]) -> list[str]:
    names = []
    for ticket in tickets:
        attendee = session.get_one(Attendee, ticket.attendee_id)
        names.append(f"{attendee.given_name} {attendee.family_name or ''}".strip())
    return names


def write_camera_video(tickets: list[DemoTicket], path: Path, *, fps: int = 10) -> Path:
    """The tickets held up to a camera one after another, with a second of nothing between them: played in a loop,
    each scans green the first time round and amber ("already checked in") after that."""
    from kiosk.camera.synthetic import blank_frame, ticket_frame, write_video

    frames = []
    for index, ticket in enumerate(tickets):
        frames += [blank_frame(index)] * fps
        frames += [ticket_frame(ticket.token, index, "phone" if index % 2 else "paper")] * (fps * 2)
    frames += [blank_frame(99)] * fps
    return write_video(path, frames, fps=fps)


def pair_demo_kiosk(
    *, base_url: str, admin_token: str, tonight: Tonight, data_dir: Path, camera: str, gate: str = "Terrace gate"
) -> str:
    """A box-office device for tonight, paired through the real endpoint; the kiosk's data dir is ready to scan.
    Returns the device's name."""
    from kiosk.config import DataDir, KioskSettings
    from kiosk.sync.client import pair
    from shared.qrtoken import SigningKey

    name = "Demo desk"
    response = httpx.post(
        f"{base_url}/api/v1/devices",
        json={"name": name, "role": "box_office", "occurrence_ids": [str(tonight.occurrence_id)]},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=30,
    )
    response.raise_for_status()
    credentials = pair(server_url=base_url, code=response.json()["pairing_code"], key=SigningKey.generate())
    kiosk_dir = DataDir(data_dir)
    kiosk_dir.save_credentials(credentials)
    kiosk_dir.save_settings(
        KioskSettings(occurrence_ids=[str(tonight.occurrence_id)], gate=gate, camera_source=camera, printer="pdf")
    )
    return name
