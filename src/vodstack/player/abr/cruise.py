"""Cruising on a steady link: the best plan to the end of the video that changes rendition once.

On a steady broadband link the offline optimum has a simple shape: it holds the rung just below
the link's rate while the buffer grows, steps up once to the rung above, and spends the buffer
by the end of the video. A five-chunk MPC cannot see that far: it steps up, drains its buffer to
the level its buffer value asks for, steps down to refill, and pays the switch penalty every
time (on broadband pieces filtered like Pensieve's FCC test set, `vodstack-adaptive` switched
3.4 times as much as the optimum; docs/abr.md, fifth round).

`cruise` plans to the end of the video (at most `CRUISE_LONGEST` chunks) over every plan that
holds one rung and then, possibly, another, played forward at one throughput (the harmonic-mean
prediction times a low quantile of the current volatility band's error ratios) by the same
buffer arithmetic as the scenario MPC (`planning.rollout`), keeping `CRUISE_RESERVE_S` of the
buffer out of the plan. The first rung of the best plan is the decision; the plan is redone at
every chunk, so a link that changes changes the plan. A plan that ends before the video does
is credited the MPC's buffer value for what it leaves.

Ties go to the first plan in lexicographic order (the more cautious one). `web/abr.js` ports
this operation for operation (`cruise`).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from vodstack.player.abr.interface import DecisionContext
from vodstack.player.abr.planning import Horizon, IntArray, rollout
from vodstack.player.abr.vodstack import VodstackAbr

#: Which of the 20 error ratios of the current volatility band the plan assumes (0 = 2.5 %;
#: 6 = the 32.5 % quantile). Chosen on the training split and the synthetic sets (docs/abr.md).
CRUISE_QUANTILE = 6
#: Longest plan, in chunks (a plan that ends before the video is credited the buffer value).
CRUISE_LONGEST = 24
#: Seconds of buffer a plan may not draw on (with none, plans drained the buffer to the last
#: second and the synthetic FCC traces' unannounced outages stalled them: docs/abr.md).
CRUISE_RESERVE_S = 2.0


@cache
def two_segment_sequences(levels: int, length: int) -> IntArray:
    """Every plan of `length` chunks that holds one rung and then maybe another, lexicographic."""
    plans = {
        (a,) * k + (b,) * (length - k)
        for a in range(levels)
        for b in range(levels)
        for k in range(1, length + 1)
    }
    return np.array(sorted(plans), dtype=np.int64).reshape(len(plans), length)


def cruise(mpc: VodstackAbr, context: DecisionContext) -> int:
    """The first rung of the best two-segment plan to the end of the video (module docstring)."""
    p = mpc.params
    horizon = Horizon.ahead(context, CRUISE_LONGEST)
    combos = two_segment_sequences(horizon.levels, horizon.length)
    ratio = p.errors.ratios(mpc.link.volatility())[CRUISE_QUANTILE]
    buffer_s = context.buffer_s - CRUISE_RESERVE_S
    played = rollout(
        horizon,
        buffer_s if buffer_s > 0.0 else 0.0,
        context.last_rendition,
        mpc.link.harmonic_mean() * ratio,
        mpc.link.latency_s,
        combos,
    )
    score = played.qoe(p.qoe)
    if context.chunks_left > horizon.length:
        score = score + p.buffer_value_per_s * np.minimum(played.end_buffer_s, p.buffer_value_cap_s)
    # argmax keeps the first of equal scores: the lexicographically lower, more cautious plan.
    return int(combos[int(np.argmax(score)), 0])
