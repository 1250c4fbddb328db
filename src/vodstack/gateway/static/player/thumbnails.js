// Trick-play previews: the pipeline's `thumbs/thumbs.vtt` maps 10 s spans to regions of sprite
// sheets (`sprite_001.jpg#xywh=x,y,w,h`), fetched from the edges like the video (signed URLs).

function seconds(stamp) {
  const parts = stamp.trim().split(":").map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

export function parseThumbnailVtt(text) {
  const cues = [];
  const blocks = text.replace(/\r/g, "").split(/\n\n+/);
  for (const block of blocks) {
    const lines = block.split("\n").filter((line) => line.trim() !== "");
    const timing = lines.findIndex((line) => line.includes("-->"));
    if (timing < 0 || !lines[timing + 1]) continue;
    const [from, to] = lines[timing].split("-->").map((s) => seconds(s.split(" ").filter(Boolean)[0] || s));
    const match = /^(.*?)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[timing + 1].trim());
    if (!match) continue;
    const [, file, x, y, w, h] = match;
    cues.push({ from, to, file, x: +x, y: +y, w: +w, h: +h });
  }
  return cues;
}

// Fetch `path` from the current edge, moving to the next edge when one does not answer.
export async function fetchFromEdges(edges, assetPath, token, path) {
  for (;;) {
    const base = edges.current;
    try {
      const response = await fetch(edges.assetUrl(assetPath, token, path), { mode: "cors" });
      if (response.ok) return response;
      if (response.status < 500) return null;
    } catch (_) {
      // network error: try the next edge
    }
    if (!edges.failover(base) || edges.current === base) return null;
  }
}

export class ThumbnailTrack {
  constructor(cues, edges, assetPath, token) {
    this.cues = cues;
    this.edges = edges;
    this.assetPath = assetPath;
    this.token = token;
  }

  static async load(edges, assetPath, token) {
    const response = await fetchFromEdges(edges, assetPath, token, "thumbs/thumbs.vtt");
    if (!response) return null;
    const cues = parseThumbnailVtt(await response.text());
    return cues.length ? new ThumbnailTrack(cues, edges, assetPath, token) : null;
  }

  at(time) {
    return this.cues.find((cue) => time >= cue.from && time < cue.to) || this.cues[this.cues.length - 1];
  }

  // Show the thumbnail for `time` in `box` (a div sized by the cue, the sprite as background).
  paint(box, time) {
    const cue = this.at(time);
    if (!cue) return false;
    const url = this.edges.assetUrl(this.assetPath, this.token, "thumbs/" + cue.file);
    box.style.width = cue.w + "px";
    box.style.height = cue.h + "px";
    box.style.backgroundImage = `url("${url}")`;
    box.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    return true;
  }
}
