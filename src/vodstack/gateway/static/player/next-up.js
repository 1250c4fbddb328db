// "Next episode in N s": offered in the last seconds of an episode (or when it ends), with Play
// now and Cancel. At zero it moves to the next episode's watch page; Cancel lets this one end.
const OFFER_BEFORE_END_S = 10;
const COUNTDOWN_S = 10;

export class NextUp {
  constructor(root, video, config) {
    Object.assign(this, { root, video });
    this.nextId = config.nextId;
    this.box = document.getElementById("next-up");
    this.count = document.getElementById("next-up-count");
    this.state = "waiting"; // -> offered -> (cancelled | leaving)
    this.remaining = COUNTDOWN_S;
    this.timer = null;
  }

  install() {
    if (!this.nextId || !this.box) return;
    this.video.addEventListener("timeupdate", () => this.check());
    this.video.addEventListener("ended", () => this.offer());
    document.getElementById("next-up-cancel").addEventListener("click", () => this.cancel());
  }

  check() {
    const left = (this.video.duration || Infinity) - this.video.currentTime;
    if (left <= OFFER_BEFORE_END_S) this.offer();
    else if (this.state === "offered") this.withdraw(); // sought back from the end
  }

  offer() {
    if (this.state !== "waiting") return;
    this.state = "offered";
    this.remaining = COUNTDOWN_S;
    this.count.textContent = String(this.remaining);
    this.box.hidden = false;
    this.timer = window.setInterval(() => this.tick(), 1000);
  }

  tick() {
    this.remaining -= 1;
    this.count.textContent = String(Math.max(0, this.remaining));
    if (this.remaining <= 0) this.go();
  }

  go() {
    window.clearInterval(this.timer);
    this.state = "leaving";
    window.location.assign(`/watch/${this.nextId}`);
  }

  withdraw() {
    window.clearInterval(this.timer);
    this.box.hidden = true;
    this.state = "waiting";
  }

  cancel() {
    window.clearInterval(this.timer);
    this.box.hidden = true;
    this.state = "cancelled";
  }
}
