"""The billing service in-process, with a movable clock and a provider the test can inspect."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.gateway import make_settings
from tests.support.service_tokens import authorized
from vodstack.config.settings import BillingSettings, PaymentProviderSettings, Settings
from vodstack.services.billing.app import create_app
from vodstack.services.billing.dunning import Dunning
from vodstack.services.billing.provider import SimulatedProvider

DAY_S = 86400.0


@dataclass
class BillingStack:
    client: TestClient
    clock: FakeClock
    provider: SimulatedProvider
    settings: Settings

    @property
    def dunning(self) -> Dunning:
        dunning: Dunning = self.client.app.state.dunning  # type: ignore[attr-defined]
        return dunning

    def send(self, method: str, path: str, key: str, **kwargs: Any) -> Any:
        """A mutating call with an idempotency key; the JSON answer (asserting a 2xx)."""
        response = self.client.request(method, path, headers={"Idempotency-Key": key}, **kwargs)
        assert response.is_success, response.text
        return response.json()

    def subscribe(self, account_id: int, plan: str = "standard", card: str = "tok_visa") -> Any:
        body = {"account_id": account_id, "plan": plan, "payment_method": card}
        return self.send("POST", "/v1/subscriptions", f"sub-{account_id}", json=body)


def billing_settings(tmp_path: Path, **provider: Any) -> Settings:
    config = BillingSettings(
        dunning_interval_s=0,  # the tests step dunning themselves, on the fake clock
        provider=PaymentProviderSettings(**{"timeout_s": 0.2, **provider}),
    )
    return make_settings(tmp_path, billing=config)


@contextmanager
def billing_stack(tmp_path: Path, **provider: Any) -> Iterator[BillingStack]:
    settings = billing_settings(tmp_path, **provider)
    clock = FakeClock()
    simulated = SimulatedProvider(settings.billing.provider)
    app = create_app(settings, clock=clock, provider=simulated)
    with authorized(TestClient(app), settings, "billing") as client:
        yield BillingStack(client, clock, simulated, settings)
