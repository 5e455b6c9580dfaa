"""The PostgreSQL booking statement: take the seats and write the order, attendees and tickets in one round trip.

The lock on the occurrence row (the hot row of a flash sale) is held from its UPDATE until COMMIT, and that window
decides the throughput. In the generic path the inserts follow the UPDATE inside it, one round trip each. Here the
order, attendees and tickets are inserted first and the counters move last, in the same statement, so the window is
the end of one statement plus the commit.

Order of work: data-modifying CTEs run when the final SELECT first reads them, and its select list reads them left
to right: ``ord``, ``att``, ``tix`` (and ``idem``), then ``occ`` (seats, the capacity rule as in
``server.bookings.capacity``), then ``tt`` (ticket-type stock, less what is held for the waitlist; it also waits for
``occ`` through its EXISTS). When either counter refuses, the caller rolls the whole transaction back, inserts included.

Why inserting first does not pile shared locks onto the hot row (which would happen with the same order in separate
statements: every ticket INSERT's foreign-key check takes FOR KEY SHARE on the occurrence row): foreign keys are
checked by triggers that fire at the end of the statement, after ``occ`` holds the row's stronger lock, so the check
finds its own transaction's lock and takes nothing new. Measured in docs/benchmarks.md.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from server.bookings.reservation import ReservationPlan

_CAPACITY = (
    "COALESCE(o.capacity_override, (SELECT d.max_capacity FROM event_definitions d WHERE d.id = o.event_definition_id))"
)

# The f-string interpolates the constant above, never input.
_STATEMENT = f"""
WITH ord AS (
    INSERT INTO orders (id, org_id, account_id, event_occurrence_id, ticket_type_id, booking_id, status, channel,
                        email, quantity, currency, subtotal_cents, fees_cents, discount_cents, total_cents, quote,
                        hold_expires_at, payment_details, created_at, updated_at)
    VALUES (:order_id, :org_id, :account_id, :occurrence_id, :ticket_type_id, :booking_id, 'pending',
            CAST(:channel AS sales_channel), :email, :n, :currency, :subtotal_cents, :fees_cents, :discount_cents,
            :total_cents, CAST(:quote AS jsonb), :hold_expires_at, '{{}}'::jsonb, :now, :now)
 RETURNING id
), att AS (
    INSERT INTO attendees (id, org_id, email, given_name, family_name, phone, emergency_contact,
                           dietary_restrictions, accessibility_needs, notes, created_at, updated_at)
    SELECT a.id, :org_id, a.email, a.given_name, a.family_name, a.phone, a.emergency_contact,
           CASE WHEN jsonb_typeof(a.dietary_restrictions) = 'array'
                THEN ARRAY(SELECT jsonb_array_elements_text(a.dietary_restrictions)) END,
           CASE WHEN jsonb_typeof(a.accessibility_needs) = 'array'
                THEN ARRAY(SELECT jsonb_array_elements_text(a.accessibility_needs)) END,
           a.notes, :now, :now
      FROM jsonb_to_recordset(CAST(:attendees AS jsonb)) AS a(
               id uuid, email text, given_name text, family_name text, phone text, emergency_contact jsonb,
               dietary_restrictions jsonb, accessibility_needs jsonb, notes text)
 RETURNING id
), tix AS (
    INSERT INTO tickets (id, org_id, account_id, event_occurrence_id, ticket_type_id, attendee_id, booking_id,
                         order_id, price_paid_cents, currency, status, reserved_at, refund_amount_cents, settings,
                         created_at, updated_at)
    SELECT x.id, :org_id, :account_id, :occurrence_id, :ticket_type_id, x.attendee_id, :booking_id, :order_id,
           x.price_paid_cents, :currency, 'reserved', :now, 0, '{{}}'::jsonb, :now, :now
      FROM jsonb_to_recordset(CAST(:tickets AS jsonb)) AS x(id uuid, attendee_id uuid, price_paid_cents integer)
 RETURNING id
){{idempotency}}, occ AS (
    UPDATE event_occurrences o
       SET seats_sold = o.seats_sold + :n, updated_at = :now
     WHERE o.id = :occurrence_id
       AND o.status NOT IN ('canceled', 'completed')
       AND ({_CAPACITY} IS NULL OR o.seats_sold + o.seats_blocked + :n <= {_CAPACITY})
 RETURNING o.id
), tt AS (
    UPDATE ticket_types t
       SET quantity_sold = t.quantity_sold + :n,
           status = CASE WHEN t.quantity_available IS NOT NULL AND t.quantity_sold + :n >= t.quantity_available
                         THEN 'sold_out'::ticket_type_status ELSE t.status END,
           updated_at = :now
     WHERE t.id = :ticket_type_id
       AND EXISTS (SELECT 1 FROM occ)
       AND t.status <> 'disabled'
       AND (t.quantity_available IS NULL OR t.quantity_sold + t.quantity_blocked + :n <= t.quantity_available)
 RETURNING t.id
)
SELECT (SELECT count(*) FROM ord) AS orders, (SELECT count(*) FROM att) AS attendees,
       (SELECT count(*) FROM tix) AS made{{idempotency_read}},
       (SELECT count(*) FROM occ) AS occ_ok, (SELECT count(*) FROM tt) AS tt_ok
"""  # noqa: S608

_IDEMPOTENCY = """, idem AS (
    INSERT INTO idempotency_keys (id, org_id, key, request_hash, order_id, created_at)
    SELECT :idempotency_id, :org_id, :idempotency_key, :request_hash, :order_id, :now
      FROM ord
 RETURNING id
)"""

_PLAIN = sa.text(_STATEMENT.replace("{idempotency}", "").replace("{idempotency_read}", ""))
_WITH_IDEMPOTENCY = sa.text(
    _STATEMENT.replace("{idempotency}", _IDEMPOTENCY).replace(
        "{idempotency_read}", ", (SELECT count(*) FROM idem) AS keys"
    )
)


def _attendee_document(plan: ReservationPlan) -> str:
    rows: list[dict[str, Any]] = [
        {
            "id": str(attendee_id),
            "email": details.email or "",
            "given_name": details.given_name,
            "family_name": details.family_name,
            "phone": details.phone,
            "emergency_contact": details.emergency_contact,
            "dietary_restrictions": details.dietary_restrictions,
            "accessibility_needs": details.accessibility_needs,
            "notes": details.notes,
        }
        for attendee_id, details in zip(plan.attendee_ids, plan.request.attendees, strict=True)
    ]
    return json.dumps(rows)


def _ticket_document(plan: ReservationPlan) -> str:
    return json.dumps(
        [
            {"id": str(t), "attendee_id": str(a), "price_paid_cents": p}
            for t, a, p in zip(plan.ticket_ids, plan.attendee_ids, plan.quote.per_ticket_cents, strict=True)
        ]
    )


def reserve_in_one_statement(session: Session, plan: ReservationPlan) -> tuple[bool, str | None]:
    """Runs the statement; ``(True, None)`` when everything was written, else which counter refused."""
    import uuid

    q = plan.quote
    params: dict[str, Any] = {
        "n": plan.quantity,
        "now": plan.now,
        "occurrence_id": plan.request.occurrence_id,
        "ticket_type_id": plan.request.ticket_type_id,
        "order_id": plan.order_id,
        "org_id": plan.org_id,
        "account_id": plan.account_id,
        "booking_id": plan.booking_id,
        "channel": plan.request.channel.value,
        "email": plan.order_email,
        "currency": q.currency,
        "subtotal_cents": q.subtotal_cents,
        "fees_cents": q.fees_cents,
        "discount_cents": q.discount_cents,
        "total_cents": q.total_cents,
        "quote": json.dumps(q.as_document()),
        "hold_expires_at": plan.hold_expires_at,
        "attendees": _attendee_document(plan),
        "tickets": _ticket_document(plan),
    }
    statement = _PLAIN
    if plan.idempotency_key is not None:
        statement = _WITH_IDEMPOTENCY
        params.update(
            idempotency_id=uuid.uuid4(),
            idempotency_key=plan.idempotency_key,
            request_hash=plan.request.fingerprint(),
        )
    row = session.execute(statement, params).one()
    if row.occ_ok and row.tt_ok:
        return True, None
    # The rows were written before the counters refused: the caller rolls the transaction back.
    return False, "occurrence" if row.occ_ok == 0 else "ticket_type"
