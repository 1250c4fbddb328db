// DASH playback with dash.js. The MPD lists every ranked edge as a BaseURL, so dash.js moves
// to the next edge by itself when one fails; we only watch which edge answers.

const VIDEO = "video";
const TEXT = "text";
const AUDIO = "audio";

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
    streaming: { abr: { autoSwitchBitrate: { video: true } }, text: { defaultEnabled: false } },
  };
  if (options.maxBuffer > 0) {
    settings.streaming.buffer = {
      bufferTimeDefault: options.maxBuffer, bufferTimeAtTopQuality: options.maxBuffer,
      bufferTimeAtTopQualityLongForm: options.maxBuffer,
    };
  }
  player.updateSettings(settings);
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

  await new Promise((resolve) => {
    player.on(events.STREAM_INITIALIZED, resolve);
    const start = options.startPosition > 0 ? options.startPosition : NaN;
    player.initialize(video, options.manifestUrl, false, start);
  });

  const levels = () => player.getRepresentationsByType(VIDEO).map((rep, index) => ({
    index, height: Math.min(rep.width, rep.height) || rep.height, bitrate: rep.bandwidth,
    name: rep.id,
  }));
  // dash.js numbers text tracks in MPD order, the order getTracksFor lists them in.
  const texts = () => player.getTracksFor(TEXT);
  let subtitle = -1;
  return {
    format: "dash",
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
