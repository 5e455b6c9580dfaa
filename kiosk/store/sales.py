"""The box office's part of the replica: what the desk sells from (ticket types, fee policy, allotments), the sales
it made and the tickets they issued, and its shifts.

``record`` writes a whole basket in one transaction: per sale the outbox entry that uploads it (``shared.wire``'s
``SaleMutation``, its sequence number taken in the same transaction), the ``sales`` row that names that entry, and
the ``sold_tickets`` rows with their codes and signed tokens. A crash leaves all of it or none. A sale's state is
its outbox entry's (pending, applied, rejected); the replica's ticket reads merge ``sold_tickets`` in until the
server sends the tickets back, so the desk can find and admit them at once.

Allotment seats: the server's figure (``allotments.seats_used``, downloaded) counts the sales it has applied; the
sales it has not counted yet are this kiosk's ``unreflected`` ones, pending or applied since the allotment row was
last downloaded (``Replica.apply_page`` marks them reflected when it arrives).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kiosk.store.rows import IssuedTicket, SaleFacts, SaleState, SaleToRecord, Shift, TicketTypeRow
from shared import wire
from shared.boxoffice import ShiftSale
from shared.wire import PaymentMethod

if TYPE_CHECKING:
    from kiosk.store.replica import Replica

ms = wire.time_to_wire


def _at(value: int | None) -> datetime | None:
    return None if value is None else wire.time_from_wire(int(value), "at")


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class SalesStore:
    def __init__(self, replica: Replica) -> None:
        self._replica = replica

    # --- what the desk sells from -------------------------------------------------------------------------------

    def sale_facts(self, occurrence_id: uuid.UUID) -> SaleFacts | None:
        occurrence = self._replica.occurrence(occurrence_id)
        if occurrence is None:
            return None
        with self._replica._read() as c:
            event = (
                c.exec_driver_sql("SELECT status, fees FROM events WHERE id = ?", (occurrence.event_id.hex,))
                .mappings()
                .one()
            )
            status = c.exec_driver_sql("SELECT status FROM occurrences WHERE id = ?", (occurrence_id.hex,)).scalar_one()
            types = c.exec_driver_sql(
                "SELECT * FROM ticket_types WHERE event_id = ? ORDER BY price_cents DESC, name",
                (occurrence.event_id.hex,),
            ).mappings()
            ticket_types = tuple(_ticket_type(row) for row in types)
        fees = json.loads(event["fees"]) if event["fees"] else None
        return SaleFacts(
            occurrence=occurrence,
            definition_status=str(event["status"]),
            occurrence_status=str(status),
            fees={"fees": fees} if fees is not None else None,
            ticket_types=ticket_types,
        )

    def allotments(self, occurrence_ids: Iterable[uuid.UUID] | None = None) -> list[wire.Allotment]:
        with self._replica._read() as c:
            rows = c.exec_driver_sql("SELECT * FROM allotments ORDER BY id").mappings().all()
        wanted = None if occurrence_ids is None else {i.hex for i in occurrence_ids}
        return [
            wire.Allotment(
                id=uuid.UUID(hex=row["id"]),
                occurrence_id=uuid.UUID(hex=row["occurrence_id"]),
                ticket_type_id=uuid.UUID(hex=row["ticket_type_id"]) if row["ticket_type_id"] else None,
                seats=int(row["seats"]),
                seats_used=int(row["seats_used"]),
                status=str(row["status"]),
            )
            for row in rows
            if wanted is None or row["occurrence_id"] in wanted
        ]

    def unreflected(self) -> dict[uuid.UUID, int]:
        """Per allotment: seats of this kiosk's sales that the downloaded ``seats_used`` does not include yet."""
        with self._replica._read() as c:
            rows = c.exec_driver_sql(
                """SELECT s.allotment_id, sum(s.allotment_seats) FROM sales s JOIN outbox o ON o.seq = s.seq
                WHERE s.allotment_id IS NOT NULL AND s.reflected = 0 AND o.state IN ('pending', 'applied')
                GROUP BY s.allotment_id"""
            ).all()
        return {uuid.UUID(hex=row[0]): int(row[1]) for row in rows if row[1]}

    def put_allotment(self, allotment: wire.Allotment, *, server_time: datetime) -> bool:
        """The server's answer to a request or release of an allotment, stored as the row a download would bring
        (the next download brings it again: a row replaces the row with its key). Needs a cursor: before the first
        download there is nothing to add it to. Returns whether it was stored."""
        cursor = self._replica.cursor()
        if cursor is None:
            return False
        row = (
            allotment.id.hex,
            allotment.occurrence_id.hex,
            None if allotment.ticket_type_id is None else allotment.ticket_type_id.hex,
            allotment.seats,
            allotment.seats_used,
            allotment.status,
        )
        page = wire.PullPage(server_time=server_time, cursor=cursor, more=False, tables={"allotments": [row]})
        self._replica.apply_page(page)
        return True

    # --- sales ----------------------------------------------------------------------------------------------------

    def record(
        self,
        sales: Sequence[SaleToRecord],
        *,
        basket_id: uuid.UUID,
        shift_id: uuid.UUID | None,
        made_at: datetime,
        clock_offset: timedelta | None,
    ) -> list[int]:
        """A basket: every sale's outbox entry, sale row and ticket rows, in one transaction. Returns the seqs."""
        from kiosk.store.replica import _enqueue

        seqs: list[int] = []
        with self._replica._write() as c:
            for sale in sales:
                body = sale.mutation
                seq = _enqueue(c, body, clock_offset=clock_offset, nonce=None, at=body.device_time)
                seqs.append(seq)
                settlement_tendered = body.cash_tendered_cents
                c.exec_driver_sql(
                    """INSERT INTO sales (order_id, seq, basket_id, shift_id, occurrence_id, ticket_type_id,
                    ticket_type_name, quantity, total_cents, currency, method, tendered_cents, change_cents,
                    terminal_reference, email, path, allotment_id, allotment_seats, made_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        body.order_id.hex,
                        seq,
                        basket_id.hex,
                        None if shift_id is None else shift_id.hex,
                        body.occurrence_id.hex,
                        body.ticket_type_id.hex,
                        sale.ticket_type_name,
                        len(body.tickets),
                        sale.total_cents,
                        sale.currency,
                        body.payment_method.value,
                        settlement_tendered,
                        sale.change_cents,
                        body.terminal_reference,
                        body.email,
                        sale.path,
                        None if body.allotment_id is None else body.allotment_id.hex,
                        sale.allotment_seats,
                        ms(made_at),
                    ),
                )
                c.exec_driver_sql(
                    "INSERT INTO sold_tickets (id, order_id, occurrence_id, ticket_type_id, code, token, name, email,"
                    " price_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            ticket.id.hex,
                            body.order_id.hex,
                            body.occurrence_id.hex,
                            body.ticket_type_id.hex,
                            ticket.confirmation_code,
                            ticket.token,
                            wire.holder_display(
                                given_name=ticket.given_name,
                                family_name=ticket.family_name,
                                email=ticket.email,
                                erased=False,
                            )[0],
                            ticket.email or "",
                            price,
                        )
                        for ticket, price in zip(body.tickets, sale.per_ticket_cents, strict=True)
                    ],
                )
        return seqs

    def states(self, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, SaleState]:
        if not order_ids:
            return {}
        with self._replica._read() as c:
            rows = c.exec_driver_sql(
                f"""SELECT s.order_id, s.seq, o.state, o.result FROM sales s LEFT JOIN outbox o ON o.seq = s.seq
                WHERE s.order_id IN ({_marks(order_ids)})""",  # noqa: S608
                tuple(i.hex for i in order_ids),
            ).all()
        found = {}
        for order, seq, state, result in rows:
            answer: dict[str, Any] = json.loads(result) if result else {}
            found[uuid.UUID(hex=order)] = SaleState(
                uuid.UUID(hex=order), int(seq), str(state or "applied"), answer.get("code"), answer.get("message")
            )
        return found

    def issued(self, order_ids: Sequence[uuid.UUID]) -> list[IssuedTicket]:
        """The tickets of these sales, in the order they were sold, with the code the server kept (it replaces a
        code that clashed with another ticket's)."""
        if not order_ids:
            return []
        with self._replica._read() as c:
            rows = (
                c.exec_driver_sql(
                    f"""SELECT st.*, coalesce(t.code, st.code) AS final_code, s.ticket_type_name, s.currency
                    FROM sold_tickets st JOIN sales s ON s.order_id = st.order_id
                    LEFT JOIN tickets t ON t.id = st.id
                    WHERE st.order_id IN ({_marks(order_ids)}) ORDER BY s.seq, st.rowid""",  # noqa: S608
                    tuple(i.hex for i in order_ids),
                )
                .mappings()
                .all()
            )
        return [
            IssuedTicket(
                id=uuid.UUID(hex=row["id"]),
                order_id=uuid.UUID(hex=row["order_id"]),
                occurrence_id=uuid.UUID(hex=row["occurrence_id"]),
                ticket_type_id=uuid.UUID(hex=row["ticket_type_id"]),
                ticket_type_name=row["ticket_type_name"],
                code=row["final_code"],
                token=row["token"],
                name=row["name"],
                email=row["email"],
                price_cents=int(row["price_cents"]),
                currency=row["currency"],
            )
            for row in rows
        ]

    # --- shifts ---------------------------------------------------------------------------------------------------

    def current_shift(self) -> Shift | None:
        with self._replica._read() as c:
            row = (
                c.exec_driver_sql("SELECT * FROM shifts WHERE closed_at IS NULL ORDER BY opened_at DESC LIMIT 1")
                .mappings()
                .first()
            )
        return None if row is None else _shift(row)

    def open_shift(self, *, at: datetime, opening_float_cents: int = 0) -> Shift:
        """Close the current shift (if any) and open a new one with this float in the drawer."""
        if opening_float_cents < 0:
            raise ValueError("the opening float must not be negative")
        shift = Shift(uuid.uuid4(), at, opening_float_cents)
        with self._replica._write() as c:
            c.exec_driver_sql("UPDATE shifts SET closed_at = ? WHERE closed_at IS NULL", (ms(at),))
            c.exec_driver_sql(
                "INSERT INTO shifts (id, opened_at, opening_float_cents) VALUES (?, ?, ?)",
                (shift.id.hex, ms(at), opening_float_cents),
            )
        return shift

    def shift_sales(self, shift_id: uuid.UUID | None) -> list[ShiftSale]:
        """The sales of a shift, for ``shared.boxoffice.shift_report``; rejected ones are marked refused."""
        with self._replica._read() as c:
            rows = (
                c.exec_driver_sql(
                    """SELECT s.*, o.state FROM sales s LEFT JOIN outbox o ON o.seq = s.seq
                    WHERE s.shift_id IS ? ORDER BY s.seq""",
                    (None if shift_id is None else shift_id.hex,),
                )
                .mappings()
                .all()
            )
        return [
            ShiftSale(
                ticket_type=row["ticket_type_name"],
                method=PaymentMethod(row["method"]),
                quantity=int(row["quantity"]),
                total_cents=int(row["total_cents"]),
                currency=row["currency"],
                tendered_cents=row["tendered_cents"],
                change_cents=int(row["change_cents"]),
                refused=row["state"] == "rejected",
            )
            for row in rows
        ]


def _ticket_type(row: Any) -> TicketTypeRow:
    return TicketTypeRow(
        id=uuid.UUID(hex=row["id"]),
        event_id=uuid.UUID(hex=row["event_id"]),
        name=row["name"],
        price_cents=int(row["price_cents"]),
        currency=row["currency"],
        status=row["status"],
        min_quantity=int(row["min_quantity"]) if row["min_quantity"] is not None else 1,
        max_quantity=int(row["max_quantity"]) if row["max_quantity"] is not None else 10,
        valid_from=_at(row["valid_from"]),
        valid_until=_at(row["valid_until"]),
    )


def _shift(row: Any) -> Shift:
    opened = _at(row["opened_at"])
    assert opened is not None
    return Shift(uuid.UUID(hex=row["id"]), opened, int(row["opening_float_cents"]), _at(row["closed_at"]))
