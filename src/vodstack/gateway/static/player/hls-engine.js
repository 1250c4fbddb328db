// HLS playback with hls.js: failover between edges, manual and automatic quality.
import { chooseCodec, familyOf } from "./codecs.js";
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
    // Loading starts once the levels are narrowed to one codec (keepOneCodec).
    autoStartLoad: false,
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
  if (options.licenceUrl) {
    // Encrypted titles (CENC, Clear Key): hls.js reads the key id from the playlists'
    // EXT-X-KEY and posts the CDM's request to the session's licence route. A title without
    // EXT-X-KEY never touches EME.
    config.emeEnabled = true;
    config.drmSystems = {
      "org.w3.clearkey": { licenseUrl: options.licenceUrl, generateRequest: clearKeyRequest },
    };
    config.licenseXhrSetup = (xhr) => { xhr.setRequestHeader("Content-Type", "application/json"); };
  }
  return config;
}

// The init segments carry no `pssh` (ffmpeg writes none, and Clear Key needs none): the
// CDM's request is built from the key id the playlist names, as W3C "keyids" init data.
function clearKeyRequest(initDataType, initData, context) {
  const keyId = context && context.decryptdata && context.decryptdata.keyId;
  if (initData || !keyId) return { initDataType, initData };
  const kid = btoa(String.fromCharCode(...keyId))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return { initDataType: "keyids", initData: new TextEncoder().encode(JSON.stringify({ kids: [kid] })) };
}

// Keep only the levels of the codec this browser plays best; hls.js then adapts within them
// and never switches codec mid-play. Returns the chosen codec family.
function keepOneCodec(hls) {
  const items = hls.levels.map((level, index) => ({ index, codec: level.videoCodec || "" }));
  const { family, keep } = chooseCodec(items);
  const kept = new Set(keep.map((item) => item.index));
  for (let index = hls.levels.length - 1; index >= 0; index -= 1) {
    if (!kept.has(index) && hls.levels.length > 1) hls.removeLevel(index);
  }
  return family || familyOf(hls.levels[0] && hls.levels[0].videoCodec);
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
  const codec = keepOneCodec(hls);
  hls.startLoad(options.startPosition);

  return {
    format: "hls",
    codec() { return codec; },
    abrName: options.abrController ? options.abrName : "hls.js default",
    levels() {
      return hls.levels.map((level, index) => ({
        index, height: Math.min(level.width, level.height) || level.height,
        bitrate: level.bitrate, name: renditionOf(level.url), codec: level.videoCodec,
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
