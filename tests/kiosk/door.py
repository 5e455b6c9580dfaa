"""A small door for kiosk tests: an org key, two events with an occurrence each, ticket types and tickets, put in a
replica through ``shared.wire`` pull pages exactly as the server would send them, and tokens to scan."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.store.replica import Replica
from kiosk.tools.sample import SampleDoor, catalog, row
from shared import wire
from shared.checkin import Gate
from shared.qrtoken import SigningKey, TicketClaims, sign_ticket

DOORS_OPEN = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)  # Jazz Night starts; doors open 30 minutes earlier
DEVICE_ID = uuid.UUID("00000000-0000-4000-8000-00000000d001")
ORG_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
ms = wire.time_to_wire


wire_row = row  # a row in the table's column order, as the replica stores it


def page(cursor: str = "c", **tables: list[tuple[Any, ...]]) -> wire.PullPage:
    return wire.PullPage(server_time=DOORS_OPEN, cursor=cursor, more=False, tables=tables)


@dataclass
class Ticket:
    id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    name: str


@dataclass
class Door:
    replica: Replica
    key: SigningKey
    jazz: uuid.UUID
    tango: uuid.UUID
    general: uuid.UUID
    vip: uuid.UUID
    tickets: dict[str, Ticket] = field(default_factory=dict)

    @property
    def gate(self) -> Gate:
        return Gate(device_id=DEVICE_ID, name="Main door", occurrence_ids=frozenset({self.jazz}))

    def token(self, ticket: Ticket | str, *, key: SigningKey | None = None) -> str:
        row = self.tickets[ticket] if isinstance(ticket, str) else ticket
        claims = TicketClaims(
            ticket_id=row.id,
            occurrence_id=row.occurrence_id,
            ticket_type_id=row.ticket_type_id,
            valid_from=DOORS_OPEN - timedelta(days=30),
            valid_until=DOORS_OPEN + timedelta(days=1),
            issued_at=DOORS_OPEN - timedelta(days=10),
        )
        return sign_ticket(claims, key=key or self.key)

    def unsynced_ticket(self, name: str = "Walk Up") -> Ticket:
        """A ticket sold after the replica's last sync: the door only has its token."""
        return Ticket(uuid.uuid4(), self.jazz, self.general, name)

    def add(self, name: str, *, ticket_id: uuid.UUID | None = None, **columns: Any) -> Ticket:
        """Send (or send again) a ticket as the server would."""
        existing = self.tickets.get(name)
        ticket = Ticket(
            ticket_id or (existing.id if existing else uuid.uuid4()),
            columns.pop("occurrence_id", existing.occurrence_id if existing else self.jazz),
            columns.pop("ticket_type_id", existing.ticket_type_id if existing else self.general),
            name,
        )
        values: dict[str, Any] = {
            "id": ticket.id.hex,
            "occurrence_id": ticket.occurrence_id.hex,
            "ticket_type_id": ticket.ticket_type_id.hex,
            "status": "confirmed",
            "name": name,
            "email": f"{name.lower().replace(' ', '.')}@example.org",
            "notes": "[]",
            "revoked": 0,
        }
        values.update(columns)
        self.replica.apply_page(page(tickets=[wire_row(wire.TICKETS, **values)]))
        self.tickets[name] = ticket
        return ticket

    def server_check_in(
        self, name: str, at: datetime, *, gate: str = "Garden gate", nonce: str | None = None, **columns: Any
    ) -> None:
        """A check-in the server reports (made at another kiosk, or an upload of this one coming back)."""
        ticket = self.tickets[name]
        values: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "nonce": nonce or uuid.uuid4().hex,
            "ticket_id": ticket.id.hex,
            "occurrence_id": ticket.occurrence_id.hex,
            "direction": "entry",
            "at": ms(at),
            "gate": gate,
            "device_id": uuid.uuid4().hex,
            "counted": 1,
        }
        values.update(columns)
        self.replica.apply_page(page(check_ins=[wire_row(wire.CHECK_INS, **values)]))


def catalog_page(
    key: SigningKey, jazz: uuid.UUID, tango: uuid.UUID, general: uuid.UUID, vip: uuid.UUID
) -> wire.PullPage:
    """The demo's catalog (``kiosk.tools.sample``), in UTC so that tests read times as written."""
    return catalog(SampleDoor(key, ORG_ID, jazz, tango, general, vip, DOORS_OPEN), timezone="UTC")


def open_door(path: Path) -> Door:
    replica = Replica.open(path / "replica.sqlite3")
    key = SigningKey.generate()
    jazz, tango, general, vip = (uuid.uuid4() for _ in range(4))
    replica.apply_page(catalog_page(key, jazz, tango, general, vip))
    door = Door(replica, key, jazz, tango, general, vip)
    door.add("Ada Lovelace", ticket_type_id=vip, code="K7MXQ2P9RT", notes=json.dumps(["Accessibility: wheelchair"]))
    door.add("Grace Hopper")
    door.add("Alan Turing", status="canceled")
    door.add("Tango Dancer", occurrence_id=tango)
    return door
