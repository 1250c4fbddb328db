// QoE events and heartbeats to POST /api/events (docs/events.md): queued, sent every few
// seconds in batches, kept and sent again while the events service is down or asks to wait
// (429 + Retry-After, else a doubling backoff), and handed to navigator.sendBeacon when the page
// is hidden (a beacon cannot carry the CSRF header, so it posts the form /api/events/beacon
// with the csrf_token field). Every event has its own id: resending is safe.

const MAX_QUEUED = 2000;
const BATCH = 50;

function eventId() {
  return (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()).replace(/[^A-Za-z0-9_-]/g, "");
}

function edgeName(url) {
  try { return new URL(url).host.replace(":", "-").slice(0, 64); } catch { return null; }
}

export class EventReporter {
  constructor(start, video, rendition, edges, abr) {
    Object.assign(this, { start, video, rendition, edges, abr });
    this.queue = [];
    this.notBefore = 0;
    this.failures = 0;
    this.sending = false;
    this.sent = 0;
  }

  fields() {
    const level = this.rendition();
    const buffered = this.video.buffered;
    const ahead = buffered.length ? buffered.end(buffered.length - 1) - this.video.currentTime : 0;
    const fields = {
      session_id: this.start.play_session_id,
      title_id: this.start.title_id,
      position_s: Math.max(0, this.video.currentTime || 0),
      buffer_s: Math.max(0, Math.min(3600, ahead)),
      abr: this.abr,
      edge: edgeName(this.edges.current),
    };
    if (this.video.duration > 0 && Number.isFinite(this.video.duration)) fields.duration_s = this.video.duration;
    if (level) fields.rendition = level;
    return fields;
  }

  record(type, extra = {}) {
    this.queue.push({ type, event_id: eventId(), at: new Date().toISOString(), ...this.fields(), ...extra });
    if (this.queue.length > MAX_QUEUED) this.queue.splice(0, this.queue.length - MAX_QUEUED);
  }

  async flush() {
    if (this.sending || !this.queue.length || Date.now() < this.notBefore) return;
    this.sending = true;
    try {
      while (this.queue.length && Date.now() >= this.notBefore) {
        const batch = this.queue.slice(0, BATCH);
        if (!(await this.send(batch))) break;
        this.queue.splice(0, batch.length);
      }
    } finally {
      this.sending = false;
    }
  }

  async send(batch) {
    let response;
    try {
      response = await fetch("/api/events", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": window.vodstack.csrfToken() },
        body: JSON.stringify({ events: batch }),
      });
    } catch {
      return this.wait(null);
    }
    if (response.ok) {
      this.failures = 0;
      this.sent += batch.length;
      return true;
    }
    if (response.status === 429 || response.status >= 500) return this.wait(response.headers.get("Retry-After"));
    return true; // refused for good (signed out, invalid): resending would not help
  }

  wait(retryAfter) {
    this.failures += 1;
    const seconds = Number(retryAfter) || Math.min(30, 2 ** (this.failures - 1));
    this.notBefore = Date.now() + seconds * 1000;
    return false;
  }

  // The page is going away: whatever is queued leaves in one beacon.
  beacon() {
    if (!this.queue.length || !navigator.sendBeacon) return;
    const form = new FormData();
    form.append("events", JSON.stringify({ events: this.queue.slice(-500) }));
    form.append("csrf_token", window.vodstack.csrfToken());
    if (navigator.sendBeacon("/api/events/beacon", form)) this.queue = [];
  }

  // Wire the video element and the edge list: startup, rebuffers, switches, heartbeats, stop.
  begin(pressedAt, intervalS) {
    let started = false;
    let stalledAt = null;
    let level = null;
    this.video.addEventListener("playing", () => {
      if (!started) {
        started = true;
        this.record("play_start", { startup_ms: Math.max(0, performance.now() - pressedAt) });
      } else if (stalledAt !== null) {
        this.record("rebuffer_end", { stall_ms: Math.max(0, performance.now() - stalledAt) });
      }
      stalledAt = null;
    });
    // With a warm cache the engine can start playing before this is wired: count that start now
    // (the listener above then sees `started` and records no second one).
    if (!this.video.paused && this.video.readyState >= 3) {
      started = true;
      this.record("play_start", { startup_ms: Math.max(0, performance.now() - pressedAt) });
    }
    this.video.addEventListener("waiting", () => {
      if (started && stalledAt === null) { stalledAt = performance.now(); this.record("rebuffer_start"); }
    });
    this.video.addEventListener("ended", () => { this.record("stop", { completed: true }); this.flush(); });
    this.edges.onChange((to, from) => this.record("edge_switch", { from_edge: edgeName(from), to_edge: edgeName(to) || "unknown" }));
    window.setInterval(() => {
      const now = this.rendition();
      if (started && now && level && now !== level) this.record("rendition_switch", { from_rendition: level, to_rendition: now });
      level = now || level;
    }, 1000);
    window.setInterval(() => {
      if (started && !this.video.paused && !this.video.ended) this.record("heartbeat");
      this.flush();
    }, Math.max(2, intervalS) * 1000);
    window.addEventListener("pagehide", () => {
      // Left before it played: the video is still at 0, not yet at the resume point, and a stop
      // there would overwrite the viewer's place (opening an episode and backing out keeps it).
      if (started && !this.video.ended) this.record("stop", { completed: false });
      this.beacon();
    });
  }

  error(code, message) {
    this.record("error", { code: code.replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 64) || "error", message: String(message).slice(0, 500) });
  }
}
