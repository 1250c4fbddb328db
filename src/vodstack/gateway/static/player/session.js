// The play session's life on the server: heartbeats while watching, a stop when leaving.

export class PlaySession {
  constructor(start, video, rendition, onEnded) {
    Object.assign(this, { start, video, rendition, onEnded, timer: null, stopped: false });
    this.base = `/api/playback/${encodeURIComponent(start.play_session_id)}`;
  }

  begin() {
    const every = Math.max(2, this.start.heartbeat_interval_s) * 1000;
    this.timer = window.setInterval(() => this.beat(), every);
    // A closed tab, a followed link, a back swipe: all end with pagehide.
    window.addEventListener("pagehide", () => this.stop(false));
    this.video.addEventListener("ended", () => this.stop(true));
  }

  position() {
    return Math.max(0, Math.round(this.video.currentTime * 1000) / 1000);
  }

  async beat() {
    if (this.stopped) return;
    const body = { position_s: this.position(), rendition: this.rendition() || null };
    try {
      await window.vodstack.api("POST", this.base + "/heartbeat", body);
    } catch (error) {
      if (error.status === 409) {
        this.halt();
        this.onEnded(error.message);
      }
    }
  }

  halt() {
    this.stopped = true;
    window.clearInterval(this.timer);
  }

  // keepalive lets the request outlive the page; sendBeacon could not carry the CSRF header.
  stop(completed) {
    if (this.stopped) return;
    this.halt();
    fetch(this.base + "/stop", {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": window.vodstack.csrfToken() },
      body: JSON.stringify({ position_s: this.position(), completed: completed }),
    }).catch(() => {});
  }
}
