// The player's controls: buttons, the progress bar with thumbnail previews, the quality, audio
// and subtitles menus and the keyboard shortcuts (space/k, f, m, arrows, i).
import { qualityLabel } from "./renditions.js";

const SEEK_STEP_S = 10;

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm.padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

function byId(id) {
  return document.getElementById(id);
}

export class Controls {
  constructor(root, video, engine, stats) {
    Object.assign(this, { root, video, engine, stats, thumbnails: null });
    this.progress = byId("progress");
    this.preview = byId("thumb-preview");
  }

  install() {
    const { video } = this;
    byId("play-toggle").addEventListener("click", () => this.togglePlay());
    byId("mute-toggle").addEventListener("click", () => this.toggleMute());
    byId("fullscreen-toggle").addEventListener("click", () => this.toggleFullscreen());
    byId("stats-toggle").addEventListener("click", () => this.stats.toggle());
    video.addEventListener("click", () => this.togglePlay());
    for (const name of ["play", "pause", "timeupdate", "durationchange", "progress", "volumechange"]) {
      video.addEventListener(name, () => this.render());
    }
    this.installQualityMenu();
    this.installSubtitlesMenu();
    this.installAudioMenu();
    this.installProgress();
    document.addEventListener("keydown", (event) => this.onKey(event));
    this.render();
  }

  installQualityMenu() {
    const select = byId("quality-select");
    const options = [new Option("Auto", "-1")];
    for (const level of this.engine.levels()) {
      options.push(new Option(qualityLabel(level), String(level.index)));
    }
    select.replaceChildren(...options);
    select.value = "-1";
    select.addEventListener("change", () => {
      this.engine.setLevel(Number(select.value));
      select.blur(); // give the keyboard shortcuts back
    });
  }

  // Hidden unless the title has more than one audio rendition (languages, 5.1).
  installAudioMenu() {
    const select = byId("audio-select");
    const tracks = this.engine.audioTracks();
    select.hidden = tracks.length < 2;
    select.replaceChildren(...tracks.map((track) => new Option(track.name || track.lang, String(track.index))));
    select.value = String(this.engine.audioTrack());
    select.addEventListener("change", () => {
      this.engine.setAudioTrack(Number(select.value));
      select.blur();
    });
  }

  // Hidden when the title has no subtitles; "Off" first, then one entry per language.
  installSubtitlesMenu() {
    const select = byId("subtitles-select");
    const tracks = this.engine.subtitleTracks();
    select.hidden = tracks.length === 0;
    const options = [new Option("Subtitles off", "-1")];
    for (const track of tracks) options.push(new Option(track.name || track.lang, String(track.index)));
    select.replaceChildren(...options);
    select.value = String(this.engine.subtitleTrack());
    select.addEventListener("change", () => {
      this.engine.setSubtitleTrack(Number(select.value));
      select.blur();
    });
  }

  timeAt(event) {
    const box = this.progress.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    return { fraction, time: fraction * (this.video.duration || 0) };
  }

  installProgress() {
    const bar = this.progress;
    let dragging = false;
    bar.addEventListener("pointerdown", (event) => {
      dragging = true;
      bar.setPointerCapture(event.pointerId);
      this.seekTo(this.timeAt(event).time);
    });
    bar.addEventListener("pointermove", (event) => {
      const at = this.timeAt(event);
      this.showPreview(at);
      if (dragging) this.seekTo(at.time);
    });
    bar.addEventListener("pointerup", () => { dragging = false; });
    bar.addEventListener("pointerleave", () => { if (!dragging) this.preview.hidden = true; });
    bar.addEventListener("keydown", (event) => {
      if (event.key === "Home") this.seekTo(0);
      if (event.key === "End") this.seekTo(this.video.duration || 0);
    });
  }

  showPreview({ fraction, time }) {
    const image = this.preview.querySelector(".thumb-image");
    const painted = this.thumbnails ? this.thumbnails.paint(image, time) : false;
    image.hidden = !painted;
    this.preview.querySelector(".thumb-time").textContent = clock(time);
    this.preview.style.left = `${fraction * 100}%`;
    this.preview.hidden = false;
  }

  seekTo(time) {
    const end = this.video.duration || 0;
    this.video.currentTime = Math.min(Math.max(0, time), Math.max(0, end - 0.25));
  }

  togglePlay() {
    if (this.video.paused) this.video.play().catch(() => {});
    else this.video.pause();
  }

  toggleMute() {
    this.video.muted = !this.video.muted;
  }

  toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (this.root.requestFullscreen) this.root.requestFullscreen().catch(() => {});
  }

  onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, select, textarea")) return;
    const actions = {
      " ": () => this.togglePlay(),
      k: () => this.togglePlay(),
      f: () => this.toggleFullscreen(),
      m: () => this.toggleMute(),
      i: () => this.stats.toggle(),
      ArrowLeft: () => this.seekTo(this.video.currentTime - SEEK_STEP_S),
      ArrowRight: () => this.seekTo(this.video.currentTime + SEEK_STEP_S),
    };
    const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  render() {
    const { video } = this;
    const duration = video.duration || 0;
    byId("play-toggle").textContent = video.paused ? "\u25B6" : "\u275A\u275A";
    byId("play-toggle").setAttribute("aria-label", video.paused ? "Play" : "Pause");
    byId("mute-toggle").classList.toggle("is-muted", video.muted);
    byId("mute-toggle").setAttribute("aria-label", video.muted ? "Unmute" : "Mute");
    byId("time").textContent = `${clock(video.currentTime)} / ${clock(duration)}`;
    const played = duration ? (video.currentTime / duration) * 100 : 0;
    const buffered = duration && video.buffered.length ? (video.buffered.end(video.buffered.length - 1) / duration) * 100 : 0;
    this.progress.querySelector(".progress-played").style.width = `${played}%`;
    this.progress.querySelector(".progress-buffered").style.width = `${buffered}%`;
    this.progress.setAttribute("aria-valuenow", String(Math.floor(video.currentTime)));
    this.progress.setAttribute("aria-valuemax", String(Math.floor(duration)));
    this.progress.setAttribute("aria-valuetext", `${clock(video.currentTime)} of ${clock(duration)}`);
  }
}
