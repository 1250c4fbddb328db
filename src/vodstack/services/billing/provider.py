"""Payment providers: the one interface billing charges through, and a local simulated one.

A provider charges an amount to a payment method under a `charge_key`; it must charge a key at
most once, however often it is asked (a retry after a lost answer must never charge twice), and
answer the first outcome again. `tests/services/billing/test_provider_contract.py` holds every
implementation to that.

The simulated provider understands test tokens, like a real processor's test mode:

    tok_visa          succeeds (so does any token not listed here)
    tok_decline       declined: card_declined
    tok_insufficient  declined: insufficient_funds
    tok_timeout       never answers within the timeout (nothing is charged)

and, from settings, declines any charge with probability `decline_rate` (seeded) and answers
after `latency_s` (a timeout when that is over `timeout_s`).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vodstack.config.settings import PaymentProviderSettings
from vodstack.contracts.billing import AttemptOutcome

_DECLINING = {"tok_decline": "card_declined", "tok_insufficient": "insufficient_funds"}
_NEVER_ANSWERS = "tok_timeout"


@dataclass(frozen=True)
class Charge:
    charge_key: str  # the provider's idempotency key: one attempt of one invoice
    payment_method: str
    amount_cents: int


@dataclass(frozen=True)
class ChargeResult:
    outcome: AttemptOutcome
    message: str


class PaymentProvider(Protocol):
    def charge(self, charge: Charge) -> ChargeResult:
        """Charge once per `charge_key`; a repeated key answers the first outcome."""
        ...


class SimulatedProvider:
    """An in-process processor with test tokens, random declines and slow answers."""

    def __init__(
        self,
        settings: PaymentProviderSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._random = random.Random(settings.seed)  # noqa: S311 (a simulation, not a secret)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._results: dict[str, ChargeResult] = {}
        #: Money actually taken, per charge key (what a statement would show).
        self.captured: dict[str, int] = {}

    def charge(self, charge: Charge) -> ChargeResult:
        with self._lock:
            known = self._results.get(charge.charge_key)
        if known is not None:
            return known
        if not self._answers_in_time(charge.payment_method):
            # A timed-out charge is not recorded: the processor never took it.
            self._sleep(self._settings.timeout_s)
            return ChargeResult(AttemptOutcome.TIMED_OUT, "the payment provider did not answer")
        self._sleep(self._settings.latency_s)
        with self._lock:
            return self._settle(charge)

    def _answers_in_time(self, payment_method: str) -> bool:
        return (
            payment_method != _NEVER_ANSWERS and self._settings.latency_s < self._settings.timeout_s
        )

    def _settle(self, charge: Charge) -> ChargeResult:
        known = self._results.get(charge.charge_key)  # a concurrent twin got here first
        if known is not None:
            return known
        reason = _DECLINING.get(charge.payment_method)
        if reason is None and self._random.random() < self._settings.decline_rate:
            reason = "card_declined"
        if reason is not None:
            result = ChargeResult(AttemptOutcome.DECLINED, reason)
        else:
            result = ChargeResult(AttemptOutcome.SUCCEEDED, "paid")
            self.captured[charge.charge_key] = charge.amount_cents
        self._results[charge.charge_key] = result
        return result
