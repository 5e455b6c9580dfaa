"""A sample door, put into a replica through ``shared.wire`` pull pages as the server would send it: an evening with
two events, a few hundred tickets, an org key, some entries from another gate. For screenshots, demos and
benchmarks (``bench/scan.py --verdict`` builds its 100,000 tickets with ``sample_tickets``)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.store.replica import Replica
from shared import wire
from shared.qrtoken import SigningKey, TicketClaims, sign_ticket

ms = wire.time_to_wire
FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Edsger",
    "Barbara",
    "Tim",
    "Frances",
    "Dennis",
    "Radia",
    "Ken",
    "Hedy",
    "Donald",
    "Sophie",
    "John",
    "Mary",
    "Claude",
    "Anita",
    "José",
    "Ingrid",
    "Noor",
    "Kenji",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Dijkstra",
    "Liskov",
    "Berners-Lee",
    "Allen",
    "Ritchie",
    "Perlman",
    "Thompson",
    "Lamarr",
    "Knuth",
    "Wilson",
    "Backus",
    "Keller",
    "Shannon",
    "Borg",
    "Álvarez",
    "Svensson",
    "Haddad",
    "Tanaka",
]


def row(table: wire.Table, **values: Any) -> tuple[Any, ...]:
    """A row in the table's column order, as the replica stores it; columns not given are null."""
    unknown = set(values) - set(table.column_names)
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    return tuple(values.get(column) for column in table.column_names)


@dataclass(frozen=True)
class SampleDoor:
    key: SigningKey
    org_id: uuid.UUID
    jazz: uuid.UUID
    tango: uuid.UUID
    general: uuid.UUID
    vip: uuid.UUID
    start: datetime

    def token(
        self, ticket_id: uuid.UUID, *, occurrence: uuid.UUID | None = None, ticket_type: uuid.UUID | None = None
    ) -> str:
        claims = TicketClaims(
            ticket_id=ticket_id,
            occurrence_id=occurrence or self.jazz,
            ticket_type_id=ticket_type or self.general,
            valid_from=self.start - timedelta(days=30),
            valid_until=self.start + timedelta(days=2),
            issued_at=self.start - timedelta(days=7),
        )
        return sign_ticket(claims, key=self.key)


def catalog(door: SampleDoor, *, timezone: str = "Europe/Lisbon") -> wire.PullPage:
    jazz_event, tango_event = uuid.uuid5(door.jazz, "event"), uuid.uuid5(door.tango, "event")
    events = [
        row(
            wire.EVENTS,
            id=jazz_event.hex,
            name="Jazz Night on the Terrace",
            status="active",
            check_in=json.dumps({"doors_open_minutes": 30}),
        ),
        row(wire.EVENTS, id=tango_event.hex, name="Tango Evening", status="active"),
    ]
    common = {"timezone": timezone, "status": "confirmed"}
    occurrences = [
        row(
            wire.OCCURRENCES,
            id=door.jazz.hex,
            event_id=jazz_event.hex,
            start_at=ms(door.start),
            end_at=ms(door.start + timedelta(hours=3)),
            **common,
        ),
        row(
            wire.OCCURRENCES,
            id=door.tango.hex,
            event_id=tango_event.hex,
            start_at=ms(door.start + timedelta(days=1, hours=2)),
            end_at=ms(door.start + timedelta(days=1, hours=5)),
            **common,
        ),
    ]
    types = [
        row(
            wire.TICKET_TYPES,
            id=door.general.hex,
            event_id=jazz_event.hex,
            name="General admission",
            tier="general",
            price_cents=2500,
            currency="EUR",
            status="active",
        ),
        row(
            wire.TICKET_TYPES,
            id=door.vip.hex,
            event_id=jazz_event.hex,
            name="VIP table",
            tier="vip",
            price_cents=6000,
            currency="EUR",
            status="active",
        ),
    ]
    keys = [
        row(
            wire.KEYS,
            key_id=door.key.key_id.hex(),
            public_key=door.key.public_bytes().hex(),
            owner_kind="organization",
            owner_id=door.org_id.hex,
        )
    ]
    return wire.PullPage(
        server_time=door.start,
        cursor="catalog",
        more=True,
        tables={"events": events, "occurrences": occurrences, "ticket_types": types, "keys": keys},
    )


def sample_tickets(door: SampleDoor, count: int, *, seed: int = 0) -> Iterator[tuple[Any, ...]]:
    """``count`` ticket rows of Jazz Night (one in 25 canceled, one in 10 VIP), deterministic by ``seed``."""
    rng = random.Random(seed)
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        ticket_id = uuid.UUID(int=rng.getrandbits(128) | (1 << 127))
        notes = []
        if index % 17 == 3 or index % 20 == 0:
            notes.append("Accessibility: wheelchair, step-free entrance")
        if index % 23 == 5:
            notes.append("Dietary: vegetarian")
        yield row(
            wire.TICKETS,
            id=ticket_id.hex,
            occurrence_id=door.jazz.hex,
            ticket_type_id=(door.vip if index % 10 == 0 else door.general).hex,
            status="canceled" if index % 25 == 7 else "confirmed",
            code="".join(rng.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(10)),
            name=f"{first} {last}",
            email=f"{first.lower()}.{last.lower()}{index}@example.org",
            notes=json.dumps(notes),
            revoked=0,
        )


def make_door(start: datetime | None = None) -> SampleDoor:
    rng = random.Random(42)
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(5)]
    return SampleDoor(
        key=SigningKey.from_private_bytes(bytes(range(32))),
        org_id=ids[0],
        jazz=ids[1],
        tango=ids[2],
        general=ids[3],
        vip=ids[4],
        start=start or datetime(2026, 6, 12, 19, 0, tzinfo=UTC),
    )


def fill(replica: Replica, door: SampleDoor, *, tickets: int = 180, page_size: int = 20_000) -> None:
    replica.apply_page(catalog(door))
    batch: list[tuple[Any, ...]] = []
    for ticket in sample_tickets(door, tickets):
        batch.append(ticket)
        if len(batch) == page_size:
            replica.apply_page(wire.PullPage(server_time=door.start, cursor="t", more=True, tables={"tickets": batch}))
            batch = []
    replica.apply_page(wire.PullPage(server_time=door.start, cursor="done", more=False, tables={"tickets": batch}))
