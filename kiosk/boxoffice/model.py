"""What a desk sale asks for and what comes out of it, as plain values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from kiosk.store.rows import IssuedTicket, SaleState
from shared.boxoffice import SalePath, TicketPrices
from shared.wire import PaymentMethod


@dataclass(frozen=True)
class BasketLine:
    ticket_type_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class SaleRequest:
    """One basket at the desk: one occurrence, one or more ticket types. Name and email are optional (walk-ups
    often give neither); the tickets are mailed when an email is given. ``override``: a supervisor allowed a sale
    beyond the allotment while offline (the PIN was checked before)."""

    occurrence_id: uuid.UUID
    lines: tuple[BasketLine, ...]
    method: PaymentMethod = PaymentMethod.CASH
    tendered_cents: int | None = None
    terminal_reference: str | None = None
    name: str = ""
    email: str = ""
    check_in_now: bool = False
    override: bool = False

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class PricedLine:
    ticket_type_id: uuid.UUID
    name: str
    prices: TicketPrices


@dataclass(frozen=True)
class BasketQuote:
    """What the basket costs, line by line, and how many seats the desk can still sell without the server."""

    lines: tuple[PricedLine, ...]
    currency: str
    total_cents: int
    fee_cents: int
    seats_left_offline: int


@dataclass(frozen=True)
class Refusal:
    """Why the desk cannot make this sale; ``code`` is stable, ``message`` is for staff. ``needs_override``: a
    supervisor could allow it (offline, beyond the allotment)."""

    code: str
    message: str
    needs_override: bool = False


@dataclass(frozen=True)
class SaleResult:
    """A recorded basket: its sales (one per ticket type), the tickets it issued, the change to give, and the path
    its seats took. ``states`` are the outbox's at the time of asking; ``refused`` is set when the server said no."""

    basket_id: uuid.UUID
    order_ids: tuple[uuid.UUID, ...]
    tickets: tuple[IssuedTicket, ...]
    total_cents: int
    currency: str
    change_cents: int
    method: PaymentMethod
    paths: tuple[SalePath, ...]
    check_in_now: bool = False
    states: tuple[SaleState, ...] = field(default_factory=tuple)

    @property
    def needs_server(self) -> bool:
        return SalePath.SERVER in self.paths

    @property
    def provisional(self) -> bool:
        return SalePath.PROVISIONAL in self.paths or (
            self.needs_server and any(state.state == "pending" for state in self.states)
        )

    @property
    def refused(self) -> SaleState | None:
        return next((state for state in self.states if state.state == "rejected"), None)
