// Rendition names ("v720p") from manifest URLs, and how to label them for people.

// ".../v720p/index.m3u8" -> "v720p" (a variant URL names its rendition's folder).
export function renditionOf(url) {
  const text = Array.isArray(url) ? url[0] : String(url || "");
  const parts = text.split("?")[0].split("/");
  return parts.length >= 2 ? parts[parts.length - 2] : null;
}

export function qualityLabel(level) {
  const kbps = Math.round(level.bitrate / 1000);
  return level.height ? `${level.height}p (${kbps} kbit/s)` : `${kbps} kbit/s`;
}
