// HLS playback with hls.js: failover between edges, manual and automatic quality.
import { renditionOf } from "./renditions.js";

// Segment requests give up quickly on a dead edge: the retry goes to the next one.
const FRAGMENT_POLICY = {
  default: {
    maxTimeToFirstByteMs: 4000,
    maxLoadTimeMs: 60000,
    timeoutRetry: { maxNumRetry: 4, retryDelayMs: 0, maxRetryDelayMs: 0 },
    errorRetry: { maxNumRetry: 6, retryDelayMs: 200, maxRetryDelayMs: 2000 },
  },
};

function hlsConfig(Hls, options, edgeOfRequest) {
  const config = {
    startPosition: options.startPosition,
    workerPath: options.workerUrl,
    fragLoadPolicy: FRAGMENT_POLICY,
    // Every request passes here: edge URLs move to the current edge; the token stays.
    xhrSetup(xhr, url, context) {
      context.url = options.edges.rewrite(url);
      edgeOfRequest.set(xhr, options.edges.baseOf(context.url));
    },
  };
  if (options.maxBuffer > 0) {
    config.maxBufferLength = options.maxBuffer;
    config.maxMaxBufferLength = options.maxBuffer;
  }
  if (options.abrController) config.abrController = options.abrController(Hls);
  return config;
}

const EDGE_ERRORS = new Set(["fragLoadError", "fragLoadTimeOut", "keyLoadError", "keyLoadTimeOut"]);

export async function createHlsEngine(options) {
  const { default: Hls } = await import(options.moduleUrl);
  if (!Hls.isSupported()) {
    throw new Error("This browser cannot play HLS here (no Media Source Extensions).");
  }
  const edgeOfRequest = new WeakMap();
  const hls = new Hls(hlsConfig(Hls, options, edgeOfRequest));
  const { video, edges } = options;
  let playingLevel = -1;
  let lastEdge = null;

  hls.on(Hls.Events.LEVEL_SWITCHED, (_, data) => { playingLevel = data.level; });
  hls.on(Hls.Events.FRAG_LOADED, (_, data) => {
    const base = edges.baseOf(data.frag.url) && edgeOfRequest.get(data.networkDetails);
    if (base) lastEdge = base;
  });
  hls.on(Hls.Events.ERROR, (_, data) => {
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && EDGE_ERRORS.has(data.details)) {
      const failed = data.networkDetails ? edgeOfRequest.get(data.networkDetails) : edges.current;
      const more = edges.failover(failed === undefined ? edges.current : failed);
      if (data.fatal && more) { hls.startLoad(video.currentTime); return; }
    }
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
    options.onFatal(`Playback failed (${data.details}).`);
  });

  await new Promise((resolve, reject) => {
    hls.once(Hls.Events.MANIFEST_PARSED, resolve);
    hls.once(Hls.Events.ERROR, (_, data) => { if (data.fatal) reject(new Error(data.details)); });
    hls.loadSource(options.manifestUrl);
    hls.attachMedia(video);
  });

  return {
    format: "hls",
    abrName: options.abrController ? options.abrName : "hls.js default",
    levels() {
      return hls.levels.map((level, index) => ({
        index, height: Math.min(level.width, level.height) || level.height,
        bitrate: level.bitrate, name: renditionOf(level.url),
      }));
    },
    playingLevel() { return playingLevel; },
    autoLevel() { return hls.autoLevelEnabled; },
    // -1: automatic. A manual choice applies at once (the buffer ahead is replaced).
    setLevel(index) { hls.currentLevel = index; },
    bandwidthEstimate() { return hls.bandwidthEstimate; },
    edge() { return lastEdge; },
    // Audio renditions (languages, 5.1): switching keeps the position, hls.js swaps the track.
    audioTracks() {
      return hls.audioTracks.map((track, index) => ({ index, lang: track.lang, name: track.name }));
    },
    audioTrack() { return hls.audioTrack; },
    setAudioTrack(index) { hls.audioTrack = index; },
    // Subtitles: hls.js loads the chosen track's WebVTT into a text track of the video element.
    subtitleTracks() {
      return hls.subtitleTracks.map((track, index) => ({ index, lang: track.lang, name: track.name }));
    },
    subtitleTrack() { return hls.subtitleTrack; },
    setSubtitleTrack(index) {
      hls.subtitleDisplay = index >= 0;
      hls.subtitleTrack = index;
    },
    rendition() {
      const level = hls.levels[playingLevel];
      return level ? renditionOf(level.url) : null;
    },
    destroy() { hls.destroy(); },
  };
}
