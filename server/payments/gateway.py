"""The boundary to the Payments & Financials domain: gateways that take money, and nothing else.

    PaymentGateway (protocol)   charge(...) -> ChargeResult
    ├── ManualGateway           the box office: cash (with change), a card terminal's slip reference, complimentary
    └── FakeGateway             online, for the demo and tests: pays at once, declines, or pays later by webhook

A real provider answers ``pending`` and confirms by webhook (``server.payments.webhook``); the fake one can do the
same (``FakeMode.LATE``), which is how the tests send a payment after a hold expired.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from shared.boxoffice import PaymentRefusal, settle_payment
from shared.wire import PaymentMethod


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    PENDING = "pending"  # the provider will tell us by webhook


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    reference: str
    amount_cents: int
    currency: str
    details: dict[str, Any] = field(default_factory=dict)
    message: str | None = None


class PaymentGateway(Protocol):
    name: str

    def charge(self, *, amount_cents: int, currency: str, description: str, details: dict[str, Any]) -> ChargeResult:
        """Takes ``amount_cents``; ``details`` are what the gateway needs (cash tendered, a terminal slip...)."""
        ...


class ManualMethod(StrEnum):
    CASH = "cash"
    CARD_TERMINAL = "card_terminal"
    COMPLIMENTARY = "complimentary"


class ManualPaymentError(ValueError):
    """Box-office input that cannot settle the amount (too little cash, no terminal reference)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ManualGateway:
    """Money taken at the desk. Nothing leaves the building, so the result is immediate."""

    name = "manual"

    def charge(self, *, amount_cents: int, currency: str, description: str, details: dict[str, Any]) -> ChargeResult:
        """Settled by ``shared.boxoffice.settle_payment``, the rule a kiosk applies to an offline sale."""
        method = ManualMethod(details.get("method", ManualMethod.CASH))
        tendered = details.get("cash_tendered_cents")
        if method is ManualMethod.CASH and (not isinstance(tendered, int) or isinstance(tendered, bool)):
            tendered = None
        settled = settle_payment(
            method=PaymentMethod(method.value),
            amount_cents=amount_cents,
            tendered_cents=tendered,
            terminal_reference=str(details.get("terminal_reference") or ""),
        )
        if isinstance(settled, PaymentRefusal):
            raise ManualPaymentError(settled.value, _REFUSALS[settled].format(amount=amount_cents))
        reference = f"desk_{secrets.token_hex(8)}"
        if method is ManualMethod.COMPLIMENTARY:
            return ChargeResult(ChargeStatus.SUCCEEDED, reference, 0, currency, {"method": method.value})
        if method is ManualMethod.CARD_TERMINAL:
            slip = settled.terminal_reference
            return ChargeResult(
                ChargeStatus.SUCCEEDED,
                f"terminal_{slip}_{secrets.token_hex(3)}",
                amount_cents,
                currency,
                {"method": method.value, "terminal_reference": slip},
            )
        return ChargeResult(
            ChargeStatus.SUCCEEDED,
            reference,
            amount_cents,
            currency,
            {
                "method": method.value,
                "cash_tendered_cents": settled.tendered_cents,
                "change_cents": settled.change_cents,
            },
        )


_REFUSALS = {
    PaymentRefusal.COMPLIMENTARY_NOT_FREE: "A complimentary sale must be quoted at zero.",
    PaymentRefusal.TERMINAL_REFERENCE_REQUIRED: "Give the card terminal's slip reference.",
    PaymentRefusal.INSUFFICIENT_CASH: "Cash tendered must cover {amount} (minor units) for this sale.",
}


class FakeMode(StrEnum):
    PAY = "pay"
    DECLINE = "decline"
    LATE = "late"  # answers pending; the money "arrives" when a webhook is posted


class FakeGateway:
    """An online gateway that talks to nobody. The guest (or test) picks the outcome with ``details['mode']``."""

    name = "fake"

    def charge(self, *, amount_cents: int, currency: str, description: str, details: dict[str, Any]) -> ChargeResult:
        mode = FakeMode(details.get("mode", FakeMode.PAY))
        reference = f"fake_{secrets.token_hex(10)}"
        if mode is FakeMode.DECLINE:
            return ChargeResult(ChargeStatus.DECLINED, reference, amount_cents, currency, message="card declined")
        if mode is FakeMode.LATE:
            return ChargeResult(ChargeStatus.PENDING, reference, amount_cents, currency)
        return ChargeResult(ChargeStatus.SUCCEEDED, reference, amount_cents, currency, {"method": "card"})


GATEWAYS: dict[str, PaymentGateway] = {"manual": ManualGateway(), "fake": FakeGateway()}
