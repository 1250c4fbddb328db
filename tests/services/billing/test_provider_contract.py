"""The payment-provider contract, run on every implementation."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from vodstack.config.settings import PaymentProviderSettings
from vodstack.contracts.billing import AttemptOutcome
from vodstack.services.billing.provider import Charge, PaymentProvider, SimulatedProvider

Captured = Callable[[], dict[str, int]]


def _simulated() -> tuple[PaymentProvider, Captured]:
    provider = SimulatedProvider(
        PaymentProviderSettings(timeout_s=0.05, latency_s=0.01), sleep=lambda _s: None
    )
    return provider, lambda: dict(provider.captured)


PROVIDERS = {"simulated": _simulated}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> tuple[PaymentProvider, Captured]:
    return PROVIDERS[request.param]()


def test_a_charge_key_is_charged_once(provider: tuple[PaymentProvider, Captured]) -> None:
    payments, captured = provider
    charge = Charge("invoice-1-attempt-1", "tok_visa", 1399)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: payments.charge(charge), range(8)))
    assert {r.outcome for r in results} == {AttemptOutcome.SUCCEEDED}
    assert captured() == {"invoice-1-attempt-1": 1399}


def test_a_declined_card_is_not_charged(provider: tuple[PaymentProvider, Captured]) -> None:
    payments, captured = provider
    result = payments.charge(Charge("invoice-2-attempt-1", "tok_decline", 799))
    assert result.outcome is AttemptOutcome.DECLINED
    assert payments.charge(Charge("invoice-2-attempt-1", "tok_decline", 799)) == result
    assert captured() == {}


def test_a_timeout_charges_nothing(provider: tuple[PaymentProvider, Captured]) -> None:
    payments, captured = provider
    result = payments.charge(Charge("invoice-3-attempt-1", "tok_timeout", 799))
    assert result.outcome is AttemptOutcome.TIMED_OUT
    assert captured() == {}


def test_declines_follow_the_configured_rate() -> None:
    provider = SimulatedProvider(PaymentProviderSettings(decline_rate=0.3, seed=5))
    outcomes = [provider.charge(Charge(f"k{i}", "tok_visa", 100)).outcome for i in range(2000)]
    declined = outcomes.count(AttemptOutcome.DECLINED) / len(outcomes)
    assert 0.26 < declined < 0.34
