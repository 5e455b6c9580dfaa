"""``BoxOfficeService``: a basket in, a recorded sale (or the reason there is none) out. No Qt, no network.

Every rule is ``shared.boxoffice``'s, fed from the replica at the server's time (device time plus the clock offset):
``door_sale_refusal`` per ticket type, ``price_tickets`` per sale with the event's fee policy (what the server will
charge), ``settle_payment`` for the basket, ``split_tendered`` over its sales, and ``choose_sale_path`` for the
seats (``pick_allotment`` per sale, the basket's earlier sales counted against the same allotment).

The sale issues its tickets here: a random ticket id, a confirmation code, and a token signed with this device's key
over ``claims_for_ticket`` (the window every issuer signs). The whole basket is recorded by
``SalesStore.record`` in one transaction; uploading it, and for a sale that needs the server's answer waiting for it,
is the controller's business.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from kiosk.boxoffice.model import BasketQuote, PricedLine, Refusal, SaleRequest, SaleResult
from kiosk.store.replica import Replica
from kiosk.store.rows import SaleFacts, SaleToRecord, TicketTypeRow
from shared import wire
from shared.boxoffice import (
    CapacityRefusal,
    PaymentRefusal,
    SalePath,
    choose_sale_path,
    door_sale_refusal,
    format_money,
    offline_seats_left,
    pick_allotment,
    price_tickets,
    settle_payment,
    split_tendered,
)
from shared.codes import new_confirmation_code
from shared.enums import DefinitionStatus, OccurrenceStatus, TicketTypeStatus
from shared.lifecycle import PurchaseRefusal, SaleRefusal, TicketTypeSnapshot
from shared.pricing import FeePolicy, parse_fee_policy
from shared.qrtoken import SigningKey, claims_for_ticket, sign_ticket
from shared.wire import PaymentMethod

WORDS: dict[str, str] = {
    SaleRefusal.EVENT_NOT_ON_SALE: "This event is not on sale.",
    SaleRefusal.OCCURRENCE_NOT_ON_SALE: "This occurrence is not on sale (canceled or over).",
    SaleRefusal.OCCURRENCE_STARTED: "This occurrence has started.",
    SaleRefusal.OCCURRENCE_ENDED: "This occurrence is over: the door no longer sells.",
    PurchaseRefusal.DISABLED: "{type} is not on sale.",
    PurchaseRefusal.NOT_ON_SALE_YET: "{type} is not on sale yet.",
    PurchaseRefusal.EXPIRED: "{type} is no longer on sale.",
    PurchaseRefusal.SOLD_OUT: "{type} is sold out.",
    PurchaseRefusal.BELOW_MIN_QUANTITY: "{type}: at least {min} per sale.",
    PurchaseRefusal.ABOVE_MAX_QUANTITY: "{type}: at most {max} per sale.",
    PurchaseRefusal.NOT_ENOUGH_LEFT: "{type}: not enough left.",
    PaymentRefusal.INSUFFICIENT_CASH: "The cash tendered does not cover {total}.",
    PaymentRefusal.TERMINAL_REFERENCE_REQUIRED: "Type the card terminal's slip reference.",
    PaymentRefusal.COMPLIMENTARY_NOT_FREE: "A complimentary sale must be free.",
    CapacityRefusal.BEYOND_ALLOTMENT: (
        "Offline, only {left} seat(s) left to sell from this desk's allotment. Ask for more seats when the network "
        "is back, or a supervisor can allow a provisional sale (the server decides at the next sync)."
    ),
}


class BoxOfficeService:
    def __init__(
        self,
        replica: Replica,
        *,
        signing_key: SigningKey,
        clock_offset: Callable[[], timedelta] = timedelta,
    ) -> None:
        self._replica = replica
        self._key = signing_key
        self._clock_offset = clock_offset

    def ticket_types(self, occurrence_id: uuid.UUID) -> list[TicketTypeRow]:
        facts = self._replica.sales.sale_facts(occurrence_id)
        return list(facts.ticket_types) if facts is not None else []

    def seats_left_offline(self, occurrence_id: uuid.UUID, ticket_type_id: uuid.UUID | None = None) -> int:
        """ "N seats left to sell offline": this desk's allotments of the occurrence, less its sales not yet counted."""
        sales = self._replica.sales
        return offline_seats_left(
            sales.allotments([occurrence_id]),
            occurrence_id=occurrence_id,
            ticket_type_id=ticket_type_id,
            unreflected=sales.unreflected(),
        )

    # --- quote ----------------------------------------------------------------------------------------------------

    def quote(self, request: SaleRequest, *, device_time: datetime) -> BasketQuote | Refusal:
        """The basket's price, or why it cannot be sold (the occurrence's and the ticket types' rules)."""
        facts = self._replica.sales.sale_facts(request.occurrence_id)
        if facts is None:
            return Refusal("not_synced", "This kiosk has no data for that occurrence yet: sync first.")
        if not request.lines or request.quantity < 1:
            return Refusal("empty", "Choose at least one ticket.")
        now = device_time + self._clock_offset()
        types = {t.id: t for t in facts.ticket_types}
        fees = _fees(facts)
        lines = []
        for line in request.lines:
            ticket_type = types.get(line.ticket_type_id)
            if ticket_type is None:
                return Refusal("ticket_type_not_found", "That ticket type is not sold for this occurrence.")
            refusal = door_sale_refusal(
                definition_status=DefinitionStatus(facts.definition_status),
                occurrence_status=OccurrenceStatus(facts.occurrence_status),
                start_at=facts.occurrence.snapshot.start_at,
                end_at=facts.occurrence.snapshot.end_at,
                ticket_type=_snapshot(ticket_type),
                quantity=line.quantity,
                now=now,
            )
            if refusal is not None:
                words = WORDS[refusal].format(
                    type=ticket_type.name, min=ticket_type.min_quantity, max=ticket_type.max_quantity
                )
                return Refusal(str(refusal), words)
            prices = price_tickets(
                unit_price_cents=ticket_type.price_cents,
                quantity=line.quantity,
                currency=ticket_type.currency,
                fees=fees,
                label=f"{facts.occurrence.title}: {ticket_type.name}",
                complimentary=request.method is PaymentMethod.COMPLIMENTARY,
            )
            lines.append(PricedLine(ticket_type.id, ticket_type.name, prices))
        currencies = {line.prices.currency for line in lines}
        if len(currencies) > 1:
            return Refusal("currency_mismatch", "These ticket types are priced in different currencies: sell apart.")
        return BasketQuote(
            lines=tuple(lines),
            currency=lines[0].prices.currency,
            total_cents=sum(line.prices.total_cents for line in lines),
            fee_cents=sum(line.prices.fee_cents for line in lines),
            seats_left_offline=self.seats_left_offline(request.occurrence_id),
        )

    # --- sell -----------------------------------------------------------------------------------------------------

    def sell(
        self, request: SaleRequest, *, device_time: datetime, online: bool, shift_id: uuid.UUID | None
    ) -> SaleResult | Refusal:
        """Judge, price, settle and record the basket, issuing its tickets; or say why not (nothing is written)."""
        quote = self.quote(request, device_time=device_time)
        if isinstance(quote, Refusal):
            return quote
        settled = settle_payment(
            method=request.method,
            amount_cents=quote.total_cents,
            tendered_cents=request.tendered_cents,
            terminal_reference=request.terminal_reference,
        )
        if isinstance(settled, PaymentRefusal):
            return Refusal(str(settled), WORDS[settled].format(total=format_money(quote.total_cents, quote.currency)))
        totals = [line.prices.total_cents for line in quote.lines]
        tendered = split_tendered(totals, settled.tendered_cents or 0) if request.method is PaymentMethod.CASH else None
        offset = self._clock_offset()
        now = device_time + offset
        facts = self._replica.sales.sale_facts(request.occurrence_id)
        assert facts is not None  # the quote found them
        allotments = self._replica.sales.allotments([request.occurrence_id])
        used = dict(self._replica.sales.unreflected())
        records: list[SaleToRecord] = []
        paths: list[SalePath] = []
        for index, line in enumerate(quote.lines):
            quantity = line.prices.quantity
            allotment, left = pick_allotment(
                allotments, occurrence_id=request.occurrence_id, ticket_type_id=line.ticket_type_id, unreflected=used
            )
            path = _path(quantity, left, online=online, override=request.override)
            if isinstance(path, Refusal):
                return path
            from_allotment = min(quantity, left)
            if allotment is not None and from_allotment:
                used[allotment.id] = used.get(allotment.id, 0) + from_allotment
            paths.append(path)
            records.append(
                SaleToRecord(
                    mutation=self._mutation(
                        request,
                        facts,
                        line,
                        device_time=device_time,
                        issued_at=now,
                        allotment_id=allotment.id if allotment is not None and from_allotment else None,
                        tendered=tendered[index] if tendered is not None else None,
                        override=path is SalePath.PROVISIONAL,
                    ),
                    ticket_type_name=line.name,
                    total_cents=line.prices.total_cents,
                    currency=line.prices.currency,
                    per_ticket_cents=line.prices.per_ticket_cents,
                    change_cents=(tendered[index] - line.prices.total_cents) if tendered is not None else 0,
                    path=path.value,
                    allotment_seats=from_allotment if allotment is not None else 0,
                )
            )
        basket_id = uuid.uuid4()
        sales = self._replica.sales
        sales.record(records, basket_id=basket_id, shift_id=shift_id, made_at=now, clock_offset=offset)
        order_ids = tuple(record.mutation.order_id for record in records)
        return SaleResult(
            basket_id=basket_id,
            order_ids=order_ids,
            tickets=tuple(sales.issued(order_ids)),
            total_cents=quote.total_cents,
            currency=quote.currency,
            change_cents=settled.change_cents,
            method=request.method,
            paths=tuple(paths),
            check_in_now=request.check_in_now,
            states=tuple(sales.states(order_ids).values()),
        )

    def _mutation(
        self,
        request: SaleRequest,
        facts: SaleFacts,
        line: PricedLine,
        *,
        device_time: datetime,
        issued_at: datetime,
        allotment_id: uuid.UUID | None,
        tendered: int | None,
        override: bool,
    ) -> wire.SaleMutation:
        tickets = []
        email = request.email.strip() or None
        for _ in range(line.prices.quantity):
            ticket_id = uuid.uuid4()
            claims = claims_for_ticket(
                ticket_id=ticket_id,
                occurrence_id=request.occurrence_id,
                ticket_type_id=line.ticket_type_id,
                start_at=facts.occurrence.snapshot.start_at,
                end_at=facts.occurrence.snapshot.end_at,
                issued_at=issued_at,
            )
            tickets.append(
                wire.SoldTicket(
                    id=ticket_id,
                    confirmation_code=new_confirmation_code(),
                    token=sign_ticket(claims, key=self._key),
                    given_name=request.name.strip(),
                    email=email,
                )
            )
        return wire.SaleMutation(
            order_id=uuid.uuid4(),
            occurrence_id=request.occurrence_id,
            ticket_type_id=line.ticket_type_id,
            tickets=tuple(tickets),
            payment_method=request.method,
            device_time=device_time,
            allotment_id=allotment_id,
            cash_tendered_cents=tendered,
            terminal_reference=(request.terminal_reference or "").strip() or None,
            email=email,
            override=override,
        )


def _path(quantity: int, left: int, *, online: bool, override: bool) -> SalePath | Refusal:
    path = choose_sale_path(quantity=quantity, seats_left_offline=left, online=online, override=override)
    if isinstance(path, CapacityRefusal):
        return Refusal(str(path), WORDS[path].format(left=left), needs_override=True)
    return path


def _fees(facts: SaleFacts) -> FeePolicy:
    parsed = parse_fee_policy(facts.fees)
    return parsed.value if parsed.value is not None else FeePolicy()


def _snapshot(ticket_type: TicketTypeRow) -> TicketTypeSnapshot:
    return TicketTypeSnapshot(
        status=TicketTypeStatus(ticket_type.status),
        quantity_available=None,  # not downloaded: the allotment, then the server, decide capacity
        quantity_sold=0,
        valid_from=ticket_type.valid_from,
        valid_until=ticket_type.valid_until,
        min_quantity=ticket_type.min_quantity,
        max_quantity=ticket_type.max_quantity,
    )
