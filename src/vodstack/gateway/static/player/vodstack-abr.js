// vodstack's ABR (player/web/abr.js, a port of the Python algorithm) inside hls.js, as a
// custom `abrController`. hls.js asks `nextAutoLevel` before each fragment; we answer with
// the algorithm's decision, fed by every main-rendition fragment hls.js buffers.
//
// The interface matches hls.js 1.7's AbrComponentAPI (firstAutoLevel, forcedAutoLevel,
// nextAutoLevel get/set, bwEstimator, resetEstimator, destroy).

const EWMA_WEIGHT = 0.3;

// Throughput and time-to-first-byte averages, for the stats overlay and hls.bandwidthEstimate.
class ThroughputEstimate {
  constructor(defaultEstimate) {
    Object.assign(this, { defaultEstimate, bps: 0, ttfbMs: 0, samples: 0 });
  }

  sample(durationMs, bytes, ttfbMs) {
    if (durationMs <= 0) return;
    const bps = (bytes * 8 * 1000) / durationMs;
    this.bps = this.samples ? EWMA_WEIGHT * bps + (1 - EWMA_WEIGHT) * this.bps : bps;
    this.ttfbMs = this.samples ? EWMA_WEIGHT * ttfbMs + (1 - EWMA_WEIGHT) * this.ttfbMs : ttfbMs;
    this.samples += 1;
  }

  canEstimate() { return this.samples > 0; }
  getEstimate() { return this.samples ? this.bps : this.defaultEstimate; }
  getEstimateTTFB() { return this.ttfbMs; }
}

// Seconds of stall (the video waiting for data), taken out in pieces per observation.
class StallClock {
  constructor(media) {
    this.total = 0;
    this.since = null;
    this.onWaiting = () => { if (this.since === null) this.since = performance.now(); };
    this.onPlaying = () => {
      if (this.since !== null) this.total += (performance.now() - this.since) / 1000;
      this.since = null;
    };
    this.media = media;
    media.addEventListener("waiting", this.onWaiting);
    media.addEventListener("playing", this.onPlaying);
  }

  take() {
    this.onPlaying();
    const stalled = this.total;
    this.total = 0;
    return stalled;
  }

  detach() {
    this.media.removeEventListener("waiting", this.onWaiting);
    this.media.removeEventListener("playing", this.onPlaying);
  }
}

function bufferAhead(media) {
  if (!media) return 0;
  const t = media.currentTime;
  for (let i = 0; i < media.buffered.length; i += 1) {
    if (media.buffered.start(i) <= t + 0.1 && t < media.buffered.end(i)) return media.buffered.end(i) - t;
  }
  return 0;
}

// The algorithms of abr.js by their platform names (player/abr/registry.py).
const ALGORITHMS = {
  "vodstack-adaptive": "AdaptiveAbr",
  "vodstack-learned": "LearnedAbr",
  vodstack: "VodstackAbr",
  robustmpc: "RobustMpcAbr",
};
// The platform's default (registry.DEFAULT_ALGORITHM).
export const DEFAULT_ALGORITHM = "vodstack-adaptive";

// The algorithm to run: the platform's choice (the start answer's `abr`, an A/B experiment's
// cell) when abr.js has it, else the default.
export function algorithmName(chosen) {
  return Object.hasOwn(ALGORITHMS, chosen ?? "") ? chosen : DEFAULT_ALGORITHM;
}

// A fresh instance (abr.js) per playback: the algorithm keeps per-session state.
export function algorithmFactory(module, name = DEFAULT_ALGORITHM) {
  const Algorithm = module[ALGORITHMS[algorithmName(name)]];
  return typeof Algorithm === "function" ? () => new Algorithm() : null;
}

export function vodstackAbrController(makeAlgorithm) {
  return (Hls) => class VodstackAbrController {
    constructor(hls) {
      this.hls = hls;
      this.algorithm = makeAlgorithm();
      this.bwEstimator = new ThroughputEstimate(hls.config.abrEwmaDefaultEstimate);
      this.forced = -1;
      this.lastLevel = -1;
      this.nextIndex = 0;
      this.observed = 0;
      this.cached = { key: -1, level: -1 };
      this.stalls = null;
      hls.on(Hls.Events.MEDIA_ATTACHED, this.onMediaAttached, this);
      hls.on(Hls.Events.FRAG_LOADED, this.onFragLoaded, this);
      hls.on(Hls.Events.FRAG_BUFFERED, this.onFragBuffered, this);
      hls.on(Hls.Events.MANIFEST_LOADING, this.onManifestLoading, this);
    }

    onMediaAttached(_, data) {
      if (this.stalls) this.stalls.detach();
      this.stalls = new StallClock(data.media);
    }

    onManifestLoading() {
      Object.assign(this, { forced: -1, lastLevel: -1, nextIndex: 0, observed: 0 });
      this.cached = { key: -1, level: -1 };
    }

    isMain(frag) {
      return frag.type === "main" && frag.sn !== "initSegment";
    }

    onFragLoaded(_, data) {
      const { frag } = data;
      if (!this.isMain(frag)) return;
      if (frag.level === this.forced) this.forced = -1; // a forced level holds for one fragment
      const { loading, loaded } = frag.stats;
      this.bwEstimator.sample(loading.end - loading.start, loaded, loading.first - loading.start);
    }

    onFragBuffered(_, data) {
      const { frag } = data;
      if (!this.isMain(frag) || frag.stats.aborted) return;
      const { loading, loaded } = frag.stats;
      const details = this.details();
      const index = details ? frag.sn - details.startSN : this.nextIndex;
      this.algorithm.observe({
        chunk_index: index,
        rendition: frag.level,
        size_bytes: loaded,
        duration_s: Math.max(0.001, (loading.end - loading.start) / 1000),
        buffer_s: bufferAhead(this.hls.media),
        latency_s: Math.max(0, (loading.first - loading.start) / 1000),
        rebuffer_s: this.stalls ? this.stalls.take() : 0,
      });
      this.lastLevel = frag.level;
      this.nextIndex = index + 1;
      this.observed += 1;
    }

    details() {
      const levels = this.hls.levels || [];
      const withDetails = levels.find((level) => level.details);
      return withDetails ? withDetails.details : null;
    }

    decide() {
      const { hls } = this;
      const levels = hls.levels || [];
      if (levels.length <= 1) return 0;
      const details = this.details();
      const fragments = details ? details.fragments : [];
      const chunkDuration = fragments.length ? details.totalduration / fragments.length : 4;
      // Field names are the Python interface's (player/abr/interface.py), as abr.js expects.
      const chosen = this.algorithm.decide({
        chunk_index: Math.min(this.nextIndex, Math.max(0, fragments.length - 1)),
        chunk_count: Math.max(fragments.length, this.nextIndex + 1),
        buffer_s: bufferAhead(hls.media),
        last_rendition: Math.max(0, this.lastLevel),
        ladder_kbps: levels.map((level) => Math.max(1, Math.round(level.bitrate / 1000))),
        chunk_duration_s: chunkDuration,
        upcoming_sizes: null,
      });
      return Math.min(hls.maxAutoLevel, Math.max(hls.minAutoLevel, Math.round(chosen)));
    }

    get firstAutoLevel() {
      if (!this.hls || !this.hls.levels || !this.hls.levels.length) return 0;
      return this.nextAutoLevel;
    }

    get forcedAutoLevel() {
      return this.forced;
    }

    get nextAutoLevel() {
      if (!this.hls) return -1;
      if (this.forced !== -1) return this.forced;
      // One decision per buffered fragment: hls.js asks many times between fragments.
      if (this.cached.key !== this.observed) {
        this.cached = { key: this.observed, level: this.decide() };
      }
      return this.cached.level;
    }

    set nextAutoLevel(level) {
      this.forced = level;
      if (level !== -1) this.cached = { key: -1, level: -1 };
    }

    resetEstimator(defaultEstimate) {
      this.bwEstimator = new ThroughputEstimate(defaultEstimate || this.bwEstimator.defaultEstimate);
    }

    destroy() {
      const { hls } = this;
      if (hls) {
        hls.off(Hls.Events.MEDIA_ATTACHED, this.onMediaAttached, this);
        hls.off(Hls.Events.FRAG_LOADED, this.onFragLoaded, this);
        hls.off(Hls.Events.FRAG_BUFFERED, this.onFragBuffered, this);
        hls.off(Hls.Events.MANIFEST_LOADING, this.onManifestLoading, this);
      }
      if (this.stalls) this.stalls.detach();
      this.hls = this.algorithm = this.stalls = null;
    }
  };
}
