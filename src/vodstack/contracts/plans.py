"""The plan catalogue: what each plan may stream and what it costs.

Written once here because two services read it: accounts (stream limits, resolution) and
billing (prices, proration). Neither may import the other.
"""

from __future__ import annotations

from vodstack.contracts.accounts import Plan, PlanCode

PLANS: tuple[Plan, ...] = (
    Plan(code=PlanCode.BASIC, name="Basic", max_height=720, max_streams=1, price_cents=799),
    Plan(code=PlanCode.STANDARD, name="Standard", max_height=1080, max_streams=2, price_cents=1399),
    Plan(code=PlanCode.PREMIUM, name="Premium", max_height=2160, max_streams=4, price_cents=1999),
)


def plan_by_code(code: PlanCode) -> Plan:
    return next(plan for plan in PLANS if plan.code == code)
