// Which video codec to play: the most efficient one this browser decodes, kept for the whole
// playback (switching codec mid-play would reset the decoder and the buffer ahead).
//
// The manifests list every codec's rungs with their exact RFC 6381 CODECS strings; the
// browser's MediaSource.isTypeSupported answers for each string (profile, level and bit depth
// included), so a device that decodes AV1 only up to some level keeps the rungs it can.

// Most efficient first (the packager's CODEC_PREFERENCE).
export const PREFERENCE = ["av1", "vp9", "h264"];
const FAMILY_OF_ENTRY = { av01: "av1", vp09: "vp9", avc1: "h264", avc3: "h264" };

// "av01.0.04M.08" (or a whole CODECS list, or `video/mp4;codecs="..."`) -> "av1"; null if none.
export function familyOf(codecs) {
  const text = String(codecs || "").replace(/^.*codecs=/i, "").replace(/"/g, "");
  for (const codec of text.split(",")) {
    const family = FAMILY_OF_ENTRY[codec.trim().split(".")[0].toLowerCase()];
    if (family) return family;
  }
  return null;
}

function mediaSource() {
  return window.ManagedMediaSource || window.MediaSource || window.WebKitMediaSource;
}

export function canDecode(codec) {
  const source = mediaSource();
  return Boolean(source && source.isTypeSupported(`video/mp4; codecs="${codec}"`));
}

// items: [{ codec: "av01.0.04M.08", ... }]. Returns { family, keep } where keep are the items
// of the chosen family the browser decodes; H.264 (listed in every title) is the fallback.
export function chooseCodec(items) {
  for (const family of PREFERENCE) {
    const keep = items.filter((item) => familyOf(item.codec) === family && canDecode(item.codec));
    if (keep.length) return { family, keep };
  }
  const fallback = items.filter((item) => familyOf(item.codec) === "h264");
  return { family: fallback.length ? "h264" : null, keep: fallback.length ? fallback : items };
}
