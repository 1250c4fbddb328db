// The watch page: press play through the API, then play with hls.js (or dash.js), with edge
// failover, a quality menu, stats, thumbnails, heartbeats and resume.
//
// window.vodstackPlayer exposes the state for tests and the time-to-first-frame benchmark.
import { Chrome } from "./chrome.js";
import { Controls } from "./controls.js";
import { EdgeList } from "./edges.js";
import { EventReporter } from "./events.js";
import { NextUp } from "./next-up.js";
import { PlaySession } from "./session.js";
import { StatsOverlay, snapshot } from "./stats.js";
import { ThumbnailTrack } from "./thumbnails.js";
import { algorithmFactory, algorithmName, vodstackAbrController } from "./vodstack-abr.js";

const root = document.getElementById("player");
const video = document.getElementById("video");
const message = document.getElementById("player-message");
const config = root.dataset;
const probe = {
  errors: [],
  ttffMs: null, // page navigation start -> first decoded frame shown
  startApiMs: null, // the playback start API call alone
  playRequestedMs: null, // when the start API was called, from navigation start
  state: () => null,
};
window.vodstackPlayer = probe;

function show(text) {
  message.textContent = text;
  message.hidden = !text;
}

function fail(text) {
  probe.errors.push(text);
  show(text);
  if (probe.events) probe.events.error("player_fatal", text);
}

function watchFirstFrame() {
  const record = () => { if (probe.ttffMs === null) probe.ttffMs = performance.now(); };
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(record);
  else video.addEventListener("playing", record, { once: true });
}

// One Idempotency-Key per press of play: a start whose answer was lost (the connection dropped,
// or the gateway shed it with 503) is asked again once with the same key, and the playback
// service answers the session it already opened instead of opening a second one.
async function requestStart(url) {
  const key = { "Idempotency-Key": idempotencyKey() };
  try {
    return await window.vodstack.api("POST", url, undefined, key);
  } catch (error) {
    const retriable = error.status === undefined || error.status === 503;
    if (!retriable) throw error;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return window.vodstack.api("POST", url, undefined, key);
  }
}

function idempotencyKey() {
  if (window.crypto && window.crypto.randomUUID) return `play-${window.crypto.randomUUID()}`;
  return `play-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

async function startPlayback() {
  const region = new URLSearchParams(window.location.search).get("region");
  const query = region ? "?region=" + encodeURIComponent(region) : "";
  probe.playRequestedMs = performance.now();
  const start = await requestStart(`/api/playback/${config.titleId}/start${query}`);
  probe.startApiMs = performance.now() - probe.playRequestedMs;
  probe.start = start;
  return start;
}

// The vodstack ABR (or the experiment's `name`) when abr.js is installed; null: hls.js's own.
async function loadAbr(name) {
  if (!config.abrUrl) return null;
  try {
    const factory = algorithmFactory(await import(config.abrUrl), name);
    return factory ? vodstackAbrController(factory) : null;
  } catch (error) {
    console.warn("vodstack ABR unavailable, using hls.js's:", error);
    return null;
  }
}

// Where to start: `?t=S` (seconds) wins over the resume point, so `?t=0` (the title page's "From
// the beginning") starts at the top; -1 lets the engine start at its own default, the top.
function startAt(resumeS) {
  const t = new URLSearchParams(window.location.search).get("t");
  const asked = t === null || t.trim() === "" ? NaN : Number(t);
  const at = Number.isFinite(asked) && asked >= 0 ? asked : resumeS;
  return at > 0 ? at : -1;
}

function absolute(path) {
  return new URL(path, window.location.href).href;
}

async function createEngine(start, edges) {
  const options = {
    video, edges, onFatal: fail,
    startPosition: startAt(start.resume_position_s),
    maxBuffer: Number(config.maxBuffer || 0),
    // An encrypted title's keys come from this session's Clear Key licence route (EME).
    // Asked on this page's origin: the answer's absolute URL may name another host for the
    // same gateway (public_url), and a cross-origin licence POST would need CORS.
    licenceUrl: start.licence_url ? absolute(new URL(start.licence_url, location.href).pathname) : null,
  };
  if (config.format === "dash") {
    const { createDashEngine } = await import("./dash-engine.js");
    return createDashEngine({ ...options, moduleUrl: config.dashUrl, manifestUrl: absolute(start.dash_url) });
  }
  const { createHlsEngine } = await import("./hls-engine.js");
  return createHlsEngine({
    ...options, moduleUrl: config.hlsUrl, workerUrl: config.hlsWorkerUrl,
    manifestUrl: absolute(start.hls_url), abrController: await loadAbr(algorithmName(start.abr)),
    abrName: algorithmName(start.abr),
  });
}

// Browsers may refuse sound without a click; then start muted rather than not at all.
function autoplay() {
  video.play().catch(() => {
    video.muted = true;
    video.play()
      .then(() => show("Playing muted: press m (or the speaker button) for sound."))
      .catch(() => show("Press play (or the space bar) to start."));
  });
}

async function main() {
  if (config.vendorMissing) { fail(config.vendorMissing); return; }
  watchFirstFrame();
  let start;
  try {
    start = await startPlayback();
  } catch (error) {
    fail(error.message);
    return;
  }
  const edges = new EdgeList(start.edges);
  let engine;
  try {
    engine = await createEngine(start, edges);
  } catch (error) {
    fail(`The player could not start: ${error.message}`);
    return;
  }
  const stats = new StatsOverlay(document.getElementById("player-stats"), video, engine, edges);
  const controls = new Controls(root, video, engine, stats);
  controls.install();
  const chrome = new Chrome(root, video);
  chrome.install();
  const nextUp = new NextUp(root, video, config);
  nextUp.install();
  probe.chrome = chrome;
  probe.nextUp = nextUp;
  probe.state = () => ({ ...snapshot(video, engine, edges), playing_level: engine.playingLevel(), levels: engine.levels() });
  probe.setLevel = (index) => engine.setLevel(index);
  probe.subtitleTracks = () => engine.subtitleTracks();
  probe.audioTracks = () => engine.audioTracks();
  probe.audioTrack = () => engine.audioTrack();
  const session = new PlaySession(start, video, () => engine.rendition(), (why) => { video.pause(); fail(why); });
  session.begin();
  const events = new EventReporter(start, video, () => engine.rendition(), edges, config.abrUrl ? algorithmName(start.abr) : "default");
  events.begin(probe.playRequestedMs, start.heartbeat_interval_s);
  probe.events = events;
  // A preview version has no thumbnails: asking would only log 404s.
  const preview = config.previewSuffix && start.asset_version.endsWith(config.previewSuffix);
  if (!preview) {
    ThumbnailTrack.load(edges, start.asset_path, start.token)
      .then((track) => { controls.thumbnails = track; })
      .catch(() => {});
  }
  autoplay();
  video.addEventListener("play", () => { if (!probe.errors.length) show(""); });
}

main();
