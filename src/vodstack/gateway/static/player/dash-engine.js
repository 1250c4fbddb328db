// DASH playback with dash.js. The MPD lists every ranked edge as a BaseURL, so dash.js moves
// to the next edge by itself when one fails; we only watch which edge answers.
// Each video codec is an AdaptationSet of its own: dash.js adapts within the set it plays, and
// we start on the set of the codec this browser plays best (codecs.js).
import { chooseCodec, familyOf } from "./codecs.js";

const VIDEO = "video";
const TEXT = "text";
const AUDIO = "audio";

// `video/mp4;codecs="av01.0.04M.08"` -> "av01.0.04M.08" (a set's first representation's).
function trackCodec(track) {
  const text = track.codec || (track.representations && track.representations[0]
    && track.representations[0].codecs) || "";
  return String(text).replace(/^.*codecs=/i, "").replace(/"/g, "");
}

export async function createDashEngine(options) {
  const dashjs = await import(options.moduleUrl);
  if (!dashjs.supportsMediaSource()) {
    throw new Error("This browser cannot play DASH here (no Media Source Extensions).");
  }
  const { video, edges } = options;
  const player = dashjs.MediaPlayer().create();
  const events = dashjs.MediaPlayer.events;
  // Subtitles start off (as with hls.js); the menu turns a language on.
  const settings = {
    streaming: {
      abr: { autoSwitchBitrate: { video: true } },
      // Which codecs play is MediaSource.isTypeSupported's answer, as for hls.js and our choice.
      capabilities: { useMediaCapabilitiesApi: false },
      text: { defaultEnabled: false },
    },
  };
  // The initial video track is the set of the codec this browser plays best (the MPD's
  // selectionPriority says the same to other players); dash.js then adapts within that set.
  let codec = null;
  player.setCustomInitialTrackSelectionFunction((tracks) => {
    if (!tracks.length || tracks[0].type !== VIDEO) return tracks;
    const items = tracks.map((track) => ({ track, codec: trackCodec(track) }));
    const { keep } = chooseCodec(items);
    return keep.length ? keep.map((item) => item.track) : tracks;
  });
  if (options.maxBuffer > 0) {
    settings.streaming.buffer = {
      bufferTimeDefault: options.maxBuffer, bufferTimeAtTopQuality: options.maxBuffer,
      bufferTimeAtTopQualityLongForm: options.maxBuffer,
    };
  }
  player.updateSettings(settings);
  if (options.licenceUrl) {
    // Encrypted titles: the MPD's ContentProtection names Clear Key; dash.js asks the
    // session's licence route. An MPD without ContentProtection never touches EME.
    player.setProtectionData({
      "org.w3.clearkey": {
        serverURL: options.licenceUrl,
        httpRequestHeaders: { "Content-Type": "application/json" },
      },
    });
  }
  let lastEdge = null;

  player.on(events.FRAGMENT_LOADING_COMPLETED, (event) => {
    const url = event.request && event.request.url;
    const base = url ? edges.baseOf(url) : null;
    if (base) lastEdge = base;
  });
  player.on(events.ERROR, (event) => {
    const error = event.error || {};
    options.onFatal(`Playback failed (${error.message || error.code || "DASH error"}).`);
  });

  player.on(events.STREAM_INITIALIZED, () => {
    const current = player.getCurrentTrackFor(VIDEO);
    codec = current ? familyOf(current.codec) : null;
  });
  await new Promise((resolve) => {
    player.on(events.STREAM_INITIALIZED, resolve);
    const start = options.startPosition > 0 ? options.startPosition : NaN;
    player.initialize(video, options.manifestUrl, false, start);
  });

  const levels = () => player.getRepresentationsByType(VIDEO).map((rep, index) => ({
    index, height: Math.min(rep.width, rep.height) || rep.height, bitrate: rep.bandwidth,
    name: rep.id, codec: trackCodec({ codec: rep.codecs }),
  }));
  // dash.js numbers text tracks in MPD order, the order getTracksFor lists them in.
  const texts = () => player.getTracksFor(TEXT);
  let subtitle = -1;
  return {
    format: "dash",
    codec() { return codec; },
    abrName: "dash.js default",
    levels,
    playingLevel() {
      const current = player.getCurrentRepresentationForType(VIDEO);
      return current ? levels().findIndex((l) => l.name === current.id) : -1;
    },
    autoLevel() {
      return player.getSettings().streaming.abr.autoSwitchBitrate.video;
    },
    setLevel(index) {
      const auto = index < 0;
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: auto } } } });
      if (!auto) player.setRepresentationForTypeByIndex(VIDEO, index, true);
    },
    bandwidthEstimate() { return player.getAverageThroughput(VIDEO) * 1000; },
    edge() { return lastEdge; },
    // One audio AdaptationSet per language (its layouts are representations of it).
    audioTracks() {
      return player.getTracksFor(AUDIO).map((track, index) => ({
        index, lang: track.lang, name: (track.labels && track.labels[0] && track.labels[0].text) || track.lang,
      }));
    },
    audioTrack() {
      const current = player.getCurrentTrackFor(AUDIO);
      return current ? player.getTracksFor(AUDIO).findIndex((t) => t.id === current.id && t.lang === current.lang) : -1;
    },
    setAudioTrack(index) {
      const track = player.getTracksFor(AUDIO)[index];
      if (track) player.setCurrentTrack(track);
    },
    subtitleTracks() {
      return texts().map((track, index) => ({
        index, lang: track.lang, name: (track.labels && track.labels[0] && track.labels[0].text) || track.lang,
      }));
    },
    subtitleTrack() { return subtitle; },
    setSubtitleTrack(index) {
      subtitle = index;
      player.enableText(index >= 0);
      player.setTextTrack(index);
    },
    rendition() {
      const current = player.getCurrentRepresentationForType(VIDEO);
      return current ? current.id : null;
    },
    destroy() { player.destroy(); },
  };
}
