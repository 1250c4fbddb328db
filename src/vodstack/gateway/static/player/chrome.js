// The player's title bar and controls fade out while the video plays untouched and come back on
// any pointer move, touch or key. They sit in bands of their own (player.css), so hiding them
// only changes their opacity: the picture never moves and is never covered.
const IDLE_MS = 3000;

export class Chrome {
  constructor(root, video, idleMs = IDLE_MS) {
    Object.assign(this, { root, video, idleMs, timer: null });
  }

  install() {
    const wake = () => this.wake();
    for (const name of ["pointermove", "pointerdown", "keydown", "focusin", "touchstart"]) {
      this.root.addEventListener(name, wake, { passive: true });
    }
    document.addEventListener("keydown", wake);
    for (const name of ["play", "pause", "ended", "seeked"]) this.video.addEventListener(name, wake);
    this.wake();
  }

  get idle() {
    return this.root.classList.contains("idle");
  }

  wake() {
    this.root.classList.remove("idle");
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.sleep(), this.idleMs);
  }

  sleep() {
    // Paused or ended, the controls stay: the viewer is about to use them.
    if (this.video.paused || this.video.ended) return;
    this.root.classList.add("idle");
  }
}
