"""A small door for kiosk tests: an org key, two occurrences, ticket types and tickets in a replica, and tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.store.replica import Replica
from kiosk.store.rows import OccurrenceRow, TicketRow, TicketTypeRow
from shared.checkin import CheckInSettings, Gate
from shared.enums import OccurrenceStatus, TicketStatus
from shared.qrtoken import KeyOwner, KeyOwnerKind, SigningKey, TicketClaims, sign_ticket

DOORS_OPEN = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
DEVICE_ID = uuid.UUID("00000000-0000-4000-8000-00000000d001")
ORG_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a1")


@dataclass
class Door:
    replica: Replica
    key: SigningKey
    jazz: OccurrenceRow
    tango: OccurrenceRow
    general: TicketTypeRow
    vip: TicketTypeRow
    tickets: dict[str, TicketRow] = field(default_factory=dict)

    @property
    def gate(self) -> Gate:
        return Gate(device_id=DEVICE_ID, name="Main door", occurrence_ids=frozenset({self.jazz.id}))

    def token(self, ticket: TicketRow | str, *, issued_at: datetime | None = None) -> str:
        row = self.tickets[ticket] if isinstance(ticket, str) else ticket
        claims = TicketClaims(
            ticket_id=row.id,
            occurrence_id=row.occurrence_id,
            ticket_type_id=row.ticket_type_id,
            valid_from=DOORS_OPEN - timedelta(days=30),
            valid_until=DOORS_OPEN + timedelta(days=1),
            issued_at=issued_at or DOORS_OPEN - timedelta(days=10),
        )
        return sign_ticket(claims, key=self.key)

    def unsynced_ticket(self, name: str = "Walk Up") -> TicketRow:
        """A ticket sold after the replica's last sync: the door only has its token."""
        return TicketRow(
            id=uuid.uuid4(),
            occurrence_id=self.jazz.id,
            ticket_type_id=self.general.id,
            status=TicketStatus.CONFIRMED,
            holder_name=name,
        )

    def add(self, key: str, **changes: object) -> TicketRow:
        base = TicketRow(
            id=uuid.uuid4(),
            occurrence_id=self.jazz.id,
            ticket_type_id=self.general.id,
            status=TicketStatus.CONFIRMED,
            holder_name=key,
            holder_email=f"{key.lower().replace(' ', '.')}@example.org",
        )
        row = replace(base, **changes)  # type: ignore[arg-type]
        self.replica.apply_pull(tickets=[row])
        self.tickets[key] = row
        return row


def open_door(path: Path) -> Door:
    replica = Replica.open(path / "replica.sqlite3")
    key = SigningKey.generate()
    jazz = OccurrenceRow(
        id=uuid.uuid4(),
        title="Jazz Night",
        venue="Terrace",
        start_at=DOORS_OPEN,
        end_at=DOORS_OPEN + timedelta(hours=3),
        status=OccurrenceStatus.CONFIRMED,
        capacity=120,
        check_in=CheckInSettings(doors_open_minutes=30),
    )
    tango = replace(
        jazz,
        id=uuid.uuid4(),
        title="Tango Evening",
        start_at=DOORS_OPEN + timedelta(days=1, hours=2),
        end_at=DOORS_OPEN + timedelta(days=1, hours=5),
    )
    general = TicketTypeRow(id=uuid.uuid4(), name="General admission", occurrence_id=jazz.id)
    vip = TicketTypeRow(id=uuid.uuid4(), name="VIP", occurrence_id=jazz.id)
    replica.apply_pull(
        occurrences=[jazz, tango],
        ticket_types=[general, vip],
        keys=[key.trusted(owner=KeyOwner(KeyOwnerKind.ORGANIZATION, ORG_ID))],
    )
    door = Door(replica, key, jazz, tango, general, vip)
    door.add("Ada Lovelace", ticket_type_id=vip.id, confirmation_code="K7MXQ2P9RT", notes=("Wheelchair user",))
    door.add("Grace Hopper")
    door.add("Alan Turing", status=TicketStatus.CANCELED)
    door.add("Tango Dancer", occurrence_id=tango.id)
    return door
