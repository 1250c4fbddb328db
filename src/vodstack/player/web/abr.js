// vodstack's ABR algorithms for the browser: a dependency-free port of
// src/vodstack/player/abr/vodstack.py, learned.py, cruise.py and adaptive.py (their docstrings
// give the design).
//
// The port mirrors the Python code operation for operation (same sums in the same order, no
// transcendental functions) so both make bit-identical decisions on the same observations;
// tests/player/test_js_parity.py holds them to it. Objects use the Python field names:
//   observation: {size_bytes, duration_s, latency_s}
//   context:     {chunk_index, chunk_count, buffer_s, last_rendition, ladder_kbps,
//                 chunk_duration_s, upcoming_sizes (array of per-rendition byte arrays, or null)}
// `LearnedAbr` ports player/abr/learned.py: the scenario MPC's first-step values ranked by a
// small network trained on the offline optimum; its weights come from abr-policy.js (generated
// with abr-policy.json by `vodstack abr train`). `VodstackAbr` is the scenario MPC. `AdaptiveAbr`
// (adaptive.py) chooses between them per session and is the default.
// The web player plugs one of them (gateway/static/player/vodstack-abr.js) into hls.js as a
// custom ABR controller: call observe() after each fragment loads and decide() before the next.

import { POLICY } from "./abr-policy.js";

export { POLICY };

export const VOLATILITY_EDGES = Object.freeze([0.0281, 0.0741, 0.1458]);

export const RATIO_QUANTILES = Object.freeze([
  [0.791, 0.923, 0.954, 0.969, 0.977, 0.985, 0.989, 0.993, 0.997, 1.0,
    1.002, 1.004, 1.007, 1.01, 1.015, 1.021, 1.028, 1.037, 1.052, 1.103],
  [0.61, 0.776, 0.857, 0.894, 0.921, 0.943, 0.961, 0.977, 0.992, 1.005,
    1.017, 1.027, 1.039, 1.049, 1.06, 1.074, 1.093, 1.129, 1.182, 1.298],
  [0.559, 0.7, 0.771, 0.819, 0.863, 0.903, 0.94, 0.968, 0.995, 1.019,
    1.045, 1.062, 1.084, 1.102, 1.125, 1.157, 1.189, 1.229, 1.304, 1.494],
  [0.471, 0.594, 0.706, 0.772, 0.854, 0.924, 0.975, 1.028, 1.076, 1.132,
    1.186, 1.232, 1.285, 1.338, 1.407, 1.476, 1.563, 1.68, 1.894, 2.769],
].map((row) => Object.freeze(row)));

export const DEFAULT_PARAMS = Object.freeze({
  horizon: 5,
  window: 5,
  buffer_value_per_s: 1.0,
  buffer_value_cap_s: 15.0,
  rebuffer_penalty: 4.3,
  smoothness_penalty: 1.0,
  volatility_edges: VOLATILITY_EDGES,
  ratio_quantiles: RATIO_QUANTILES,
});

const MIN_TRANSFER_S = 0.001;

const sequenceCache = new Map();

function isMonotone(sequence) {
  let up = true;
  let down = true;
  for (let i = 1; i < sequence.length; i += 1) {
    if (sequence[i] < sequence[i - 1]) up = false;
    if (sequence[i] > sequence[i - 1]) down = false;
  }
  return up || down;
}

/** Monotone rendition sequences of length `horizon`, lexicographic order (as in Python). */
export function monotoneSequences(levels, horizon) {
  const key = `${levels}:${horizon}`;
  if (!sequenceCache.has(key)) {
    const out = [];
    const current = new Array(horizon).fill(0);
    const total = levels ** horizon;
    for (let n = 0; n < total; n += 1) {
      let rest = n;
      for (let i = horizon - 1; i >= 0; i -= 1) {
        current[i] = rest % levels;
        rest = Math.floor(rest / levels);
      }
      if (isMonotone(current)) out.push(current.slice());
    }
    sequenceCache.set(key, out);
  }
  return sequenceCache.get(key);
}

/** Recent link throughputs (bytes/s, request latency excluded). */
export class LinkEstimator {
  constructor(window) {
    this.window = window;
    this.samples = [];
    this.latency_s = 0.0;
  }

  add(observation) {
    const transfer = Math.max(observation.duration_s - (observation.latency_s ?? 0.0), MIN_TRANSFER_S);
    this.samples.push(observation.size_bytes / transfer);
    if (this.samples.length > this.window) this.samples.shift();
    this.latency_s = observation.latency_s ?? 0.0;
  }

  harmonicMean() {
    let inverseSum = 0.0;
    for (const sample of this.samples) inverseSum += 1.0 / sample;
    return this.samples.length / inverseSum;
  }

  volatility() {
    const count = this.samples.length;
    if (count < 2) return Infinity;
    let total = 0.0;
    for (const sample of this.samples) total += sample;
    const mean = total / count;
    let deviation = 0.0;
    for (const sample of this.samples) deviation += Math.abs(sample - mean);
    return deviation / count / mean;
  }
}

function chunkSize(context, ahead, rendition) {
  const upcoming = context.upcoming_sizes;
  if (upcoming && ahead < upcoming.length) return upcoming[ahead][rendition];
  return ((context.ladder_kbps[rendition] * 1000.0) / 8.0) * context.chunk_duration_s;
}

/** Scenario MPC with a volatility-aware error model and a value for the buffer. */
export class VodstackAbr {
  constructor(params = DEFAULT_PARAMS) {
    this.params = { ...DEFAULT_PARAMS, ...params };
    this.link = new LinkEstimator(this.params.window);
  }

  observe(observation) {
    this.link.add(observation);
  }

  scenariosBps() {
    const prediction = this.link.harmonicMean();
    const volatility = this.link.volatility();
    let band = 0;
    for (const edge of this.params.volatility_edges) if (volatility > edge) band += 1;
    return this.params.ratio_quantiles[band].map((ratio) => prediction * ratio);
  }

  /** Every candidate plan and its QoE (plus buffer value) summed over all scenarios. */
  planScores(context) {
    const p = this.params;
    const chunksLeft = context.chunk_count - context.chunk_index;
    const length = Math.max(1, Math.min(p.horizon, chunksLeft));
    const levels = context.ladder_kbps.length;
    const bitrates = context.ladder_kbps.map((kbps) => kbps / 1000.0);
    const sizes = [];
    for (let k = 0; k < length; k += 1) {
      const row = [];
      for (let q = 0; q < levels; q += 1) row.push(chunkSize(context, k, q));
      sizes.push(row);
    }
    const combos = monotoneSequences(levels, length);
    const valuesBuffer = chunksLeft > length;
    const totals = new Float64Array(combos.length);
    const latency = this.link.latency_s;
    const scenarios = this.scenariosBps();
    for (const bandwidth of scenarios) {
      for (let c = 0; c < combos.length; c += 1) {
        const combo = combos[c];
        let buffer = context.buffer_s;
        let rebuffer = 0.0;
        let bitrateSum = 0.0;
        let smoothness = 0.0;
        let previous = bitrates[context.last_rendition];
        for (let step = 0; step < length; step += 1) {
          const chosen = combo[step];
          const download = sizes[step][chosen] / bandwidth + latency;
          rebuffer += Math.max(download - buffer, 0.0);
          buffer = Math.max(buffer - download, 0.0) + context.chunk_duration_s;
          const bitrate = bitrates[chosen];
          bitrateSum += bitrate;
          smoothness += Math.abs(bitrate - previous);
          previous = bitrate;
        }
        let score = bitrateSum - p.rebuffer_penalty * rebuffer - p.smoothness_penalty * smoothness;
        if (valuesBuffer) score += p.buffer_value_per_s * Math.min(buffer, p.buffer_value_cap_s);
        totals[c] += score;
      }
    }
    return { combos, totals, scenarios: scenarios.length };
  }

  decide(context) {
    if (this.link.samples.length === 0) return context.last_rendition;
    const { combos, totals } = this.planScores(context);
    let best = 0;
    for (let c = 1; c < combos.length; c += 1) if (totals[c] > totals[best]) best = c;
    return combos[best][0];
  }
}

/** Constants of learned.py (the parity test compares them). */
export const LEARNED_CONSTANTS = Object.freeze({
  levels: 6,
  rel_floor: -10.0,
  plausible_gap: 1.5,
  plausible_up_gap: 0.25,
  history: 5,
  chunks_left_cap: 48.0,
});
const LEVELS = LEARNED_CONSTANTS.levels;
const REL_FLOOR = LEARNED_CONSTANTS.rel_floor;
const PLAUSIBLE_GAP = LEARNED_CONSTANTS.plausible_gap;
const PLAUSIBLE_UP_GAP = LEARNED_CONSTANTS.plausible_up_gap;
const HISTORY = LEARNED_CONSTANTS.history;
const CHUNKS_LEFT_CAP = LEARNED_CONSTANTS.chunks_left_cap;

/** The plausible rendition with the best predicted value (first wins ties), as learned.choose:
 *  within plausible_gap below the MPC's choice, within upGap above it. */
export function choose(weights, features, upGap = PLAUSIBLE_UP_GAP) {
  const predicted = policyLogits(weights, features);
  let mpcChoice = 0;
  while (features[mpcChoice] !== 0.0) mpcChoice += 1;
  let best = -1;
  for (let q = 0; q < predicted.length; q += 1) {
    const gap = q <= mpcChoice ? PLAUSIBLE_GAP : upGap;
    if (features[q] >= -gap && (best < 0 || predicted[q] > predicted[best])) best = q;
  }
  return best;
}

/** The policy network's logits, summed left to right as in Python. */
export function policyLogits(weights, features) {
  const hidden = [];
  for (let j = 0; j < weights.hidden_w.length; j += 1) {
    const row = weights.hidden_w[j];
    let total = weights.hidden_b[j];
    for (let i = 0; i < row.length; i += 1) total += row[i] * features[i];
    hidden.push(total > 0.0 ? total : 0.0);
  }
  const out = [];
  for (let k = 0; k < weights.out_w.length; k += 1) {
    const row = weights.out_w[k];
    let total = weights.out_b[k];
    for (let j = 0; j < row.length; j += 1) total += row[j] * hidden[j];
    out.push(total);
  }
  return out;
}

/** The scenario MPC's first-step values, ranked by a policy imitating the offline optimum. */
export class LearnedAbr {
  constructor(weights = POLICY.weights, params = DEFAULT_PARAMS) {
    this.weights = weights;
    this.mpc = new VodstackAbr(params);
  }

  observe(observation) {
    this.mpc.observe(observation);
  }

  features(context) {
    const { combos, totals, scenarios } = this.mpc.planScores(context);
    const levels = context.ladder_kbps.length;
    const values = [];
    for (let q = 0; q < levels; q += 1) {
      let best = -Infinity;
      for (let c = 0; c < combos.length; c += 1) {
        if (combos[c][0] === q && totals[c] > best) best = totals[c];
      }
      values.push(best / scenarios);
    }
    let top = values[0];
    for (const v of values) if (v > top) top = v;
    const link = this.mpc.link;
    const samples = link.samples.slice(-HISTORY);
    while (samples.length < HISTORY) samples.unshift(link.samples[0]);
    const volatility = link.volatility();
    const rel = values.map((v) => Math.max(v - top, REL_FLOOR));
    const last = [];
    for (let q = 0; q < LEVELS; q += 1) {
      if (q >= rel.length) rel.push(REL_FLOOR);
      last.push(q === context.last_rendition ? 1.0 : 0.0);
    }
    return [
      ...rel,
      ...last,
      context.buffer_s,
      (link.harmonicMean() * 8.0) / 1e6,
      ...samples.map((s) => (s * 8.0) / 1e6),
      volatility < 1.0 ? volatility : 1.0,
      Math.min(context.chunk_count - context.chunk_index, CHUNKS_LEFT_CAP),
    ];
  }

  decide(context) {
    if (this.mpc.link.samples.length === 0) return context.last_rendition;
    if (context.ladder_kbps.length > LEVELS) return this.mpc.decide(context);
    return choose(this.weights, this.features(context));
  }
}

/** Constants of cruise.py (the parity test compares them). */
export const CRUISE_CONSTANTS = Object.freeze({
  quantile: 6,
  longest: 24,
  reserve_s: 2.0,
});

const twoSegmentCache = new Map();

function lexicographic(a, b) {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Plans of `length` chunks holding one rung and then maybe another, lexicographic (as in
 *  cruise.two_segment_sequences). */
export function twoSegmentSequences(levels, length) {
  const key = `${levels}:${length}`;
  if (!twoSegmentCache.has(key)) {
    const seen = new Set();
    const out = [];
    for (let a = 0; a < levels; a += 1) {
      for (let b = 0; b < levels; b += 1) {
        for (let k = 1; k <= length; k += 1) {
          const plan = [];
          for (let i = 0; i < length; i += 1) plan.push(i < k ? a : b);
          const name = plan.join(",");
          if (!seen.has(name)) {
            seen.add(name);
            out.push(plan);
          }
        }
      }
    }
    out.sort(lexicographic);
    twoSegmentCache.set(key, out);
  }
  return twoSegmentCache.get(key);
}

/** The first rung of the best two-segment plan to the end of the video, at one throughput
 *  (cruise.py: `cruise`). */
export function cruise(mpc, context) {
  const p = mpc.params;
  const chunksLeft = context.chunk_count - context.chunk_index;
  const length = Math.max(1, Math.min(CRUISE_CONSTANTS.longest, chunksLeft));
  const levels = context.ladder_kbps.length;
  const bitrates = context.ladder_kbps.map((kbps) => kbps / 1000.0);
  const sizes = [];
  for (let k = 0; k < length; k += 1) {
    const row = [];
    for (let q = 0; q < levels; q += 1) row.push(chunkSize(context, k, q));
    sizes.push(row);
  }
  const combos = twoSegmentSequences(levels, length);
  const volatility = mpc.link.volatility();
  let band = 0;
  for (const edge of p.volatility_edges) if (volatility > edge) band += 1;
  const bandwidth = mpc.link.harmonicMean() * p.ratio_quantiles[band][CRUISE_CONSTANTS.quantile];
  const latency = mpc.link.latency_s;
  const reserved = context.buffer_s - CRUISE_CONSTANTS.reserve_s;
  const valuesBuffer = chunksLeft > length;
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < combos.length; c += 1) {
    const combo = combos[c];
    let buffer = reserved > 0.0 ? reserved : 0.0;
    let rebuffer = 0.0;
    let bitrateSum = 0.0;
    let smoothness = 0.0;
    let previous = bitrates[context.last_rendition];
    for (let step = 0; step < length; step += 1) {
      const chosen = combo[step];
      const download = sizes[step][chosen] / bandwidth + latency;
      rebuffer += Math.max(download - buffer, 0.0);
      buffer = Math.max(buffer - download, 0.0) + context.chunk_duration_s;
      const bitrate = bitrates[chosen];
      bitrateSum += bitrate;
      smoothness += Math.abs(bitrate - previous);
      previous = bitrate;
    }
    let score = bitrateSum - p.rebuffer_penalty * rebuffer - p.smoothness_penalty * smoothness;
    if (valuesBuffer) score += p.buffer_value_per_s * Math.min(buffer, p.buffer_value_cap_s);
    if (c === 0 || score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return combos[best][0];
}

/** Constants of adaptive.py (the parity test compares them). */
export const ADAPTIVE_CONSTANTS = Object.freeze({
  volatile_above: 0.08,
  min_volatilities: 3,
  steady_buffer_value_per_s: 0.7,
});

/** Per session: the learned policy (under a stall guard) on a volatile link, the cruise plan
 *  (at most one switch, 24 chunks ahead) on a steady one, `VodstackAbr` until there are enough
 *  volatility readings (as adaptive.py). */
export class AdaptiveAbr {
  constructor(weights = POLICY.weights, params = DEFAULT_PARAMS) {
    this.learned = new LearnedAbr(weights, params);
    this.steady = new VodstackAbr({
      ...params,
      buffer_value_per_s: ADAPTIVE_CONSTANTS.steady_buffer_value_per_s,
    });
    this.volatilitySum = 0.0;
    this.volatilityCount = 0;
  }

  observe(observation) {
    this.learned.observe(observation);
    this.steady.observe(observation);
    const link = this.learned.mpc.link;
    if (link.samples.length >= 2) {
      const volatility = link.volatility();
      this.volatilitySum += volatility < 1.0 ? volatility : 1.0;
      this.volatilityCount += 1;
    }
  }

  /** Mean link volatility over the session so far (null until enough readings). */
  sessionVolatility() {
    if (this.volatilityCount < ADAPTIVE_CONSTANTS.min_volatilities) return null;
    return this.volatilitySum / this.volatilityCount;
  }

  /** Whether the next chunk at `rendition` outlasts the buffer at the lowest error ratio. */
  stallsInWorstScenario(context, rendition) {
    const mpc = this.learned.mpc;
    const worst = mpc.scenariosBps()[0];
    const seconds = chunkSize(context, 0, rendition) / worst;
    return seconds + mpc.link.latency_s > context.buffer_s;
  }

  decide(context) {
    if (this.learned.mpc.link.samples.length === 0) return context.last_rendition;
    const volatility = this.sessionVolatility();
    if (volatility === null) return this.learned.mpc.decide(context);
    if (volatility > ADAPTIVE_CONSTANTS.volatile_above) {
      let pick = this.learned.decide(context);
      while (pick > 0 && this.stallsInWorstScenario(context, pick)) pick -= 1;
      return pick;
    }
    return cruise(this.steady, context);
  }
}

/** Every rendition sequence of length `horizon`, in lexicographic order (planning.sequences). */
export function allSequences(levels, horizon) {
  const combos = [[]];
  for (let step = 0; step < horizon; step += 1) {
    const longer = [];
    for (const prefix of combos) for (let q = 0; q < levels; q += 1) longer.push([...prefix, q]);
    combos.splice(0, combos.length, ...longer);
  }
  return combos;
}

/**
 * RobustMPC (player/abr/robust_mpc.py, Pensieve's `mpc.py`), for the `abr-algorithm` A/B
 * experiment (docs/experiments.md): a discounted harmonic-mean prediction and an exhaustive
 * 5-chunk lookahead. The arithmetic is the Python's, operation for operation (MB/s, whole kbps
 * summed then divided by 1000, the later of equal plans wins), so the decisions are identical.
 */
export class RobustMpcAbr {
  constructor(horizon = 5, window = 5) {
    Object.assign(this, { horizon, window, throughputs: [], errors: [], lastPrediction: null });
  }

  observe(observation) {
    const delayMs = observation.duration_s * 1000.0;
    const measured = observation.size_bytes / delayMs / 1000.0;
    const error = this.lastPrediction === null
      ? 0.0 : Math.abs(this.lastPrediction - measured) / measured;
    this.errors.push(error);
    this.throughputs.push(measured);
    if (this.errors.length > this.window) this.errors.shift();
    if (this.throughputs.length > this.window) this.throughputs.shift();
  }

  predictMbytesPerS() {
    let inverseSum = 0.0;
    for (const value of this.throughputs) inverseSum += 1 / value;
    const harmonic = 1.0 / (inverseSum / this.throughputs.length);
    this.lastPrediction = harmonic;
    return harmonic / (1 + Math.max(...this.errors));
  }

  decide(context) {
    if (this.throughputs.length === 0) return context.last_rendition;
    const mbytesPerS = this.predictMbytesPerS();
    const chunksLeft = context.chunk_count - context.chunk_index;
    const length = Math.max(1, Math.min(this.horizon, chunksLeft));
    const ladder = context.ladder_kbps;
    const sizes = [];
    for (let k = 0; k < length; k += 1) sizes.push(ladder.map((_, q) => chunkSize(context, k, q)));
    const combos = allSequences(ladder.length, length);
    let best = 0;
    let bestReward = -Infinity;
    for (let c = 0; c < combos.length; c += 1) {
      let buffer = context.buffer_s;
      let rebuffer = 0.0;
      let bitrateSum = 0;
      let smoothness = 0;
      let last = ladder[context.last_rendition];
      for (let step = 0; step < length; step += 1) {
        const chosen = combos[c][step];
        const download = (sizes[step][chosen] / 1000000.0) / mbytesPerS;
        const starved = buffer < download;
        rebuffer += starved ? download - buffer : 0.0;
        buffer = (starved ? 0.0 : buffer - download) + context.chunk_duration_s;
        bitrateSum += ladder[chosen];
        smoothness += Math.abs(ladder[chosen] - last);
        last = ladder[chosen];
      }
      const reward = (bitrateSum / 1000.0) - (4.3 * rebuffer) - 1.0 * (smoothness / 1000.0);
      if (reward >= bestReward) {
        bestReward = reward;
        best = c;
      }
    }
    return combos[best][0];
  }
}
