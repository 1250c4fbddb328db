// The stats overlay (toggle with `i`): what is playing, from where, and how well.
import { edgeLabel } from "./edges.js";

function bufferAhead(video) {
  const t = video.currentTime;
  for (let i = 0; i < video.buffered.length; i += 1) {
    if (video.buffered.start(i) <= t + 0.1 && t < video.buffered.end(i)) {
      return video.buffered.end(i) - t;
    }
  }
  return 0;
}

function droppedFrames(video) {
  const quality = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
  return quality ? `${quality.droppedVideoFrames} / ${quality.totalVideoFrames}` : "n/a";
}

export function snapshot(video, engine, edges) {
  const edge = engine.edge() || edges.current;
  const level = engine.levels()[engine.playingLevel()];
  return {
    format: engine.format,
    abr: engine.abrName,
    rendition: engine.rendition(),
    codec: engine.codec ? engine.codec() : null,
    height: level ? level.height : null,
    auto: engine.autoLevel(),
    bandwidth_bps: Math.round(engine.bandwidthEstimate() || 0),
    buffer_s: Math.round(bufferAhead(video) * 10) / 10,
    edge: edge,
    edge_index: edges.index,
    dropped_frames: droppedFrames(video),
    position_s: Math.round(video.currentTime * 10) / 10,
  };
}

export class StatsOverlay {
  constructor(box, video, engine, edges) {
    Object.assign(this, { box, video, engine, edges, timer: null });
  }

  toggle() {
    this.box.hidden = !this.box.hidden;
    window.clearInterval(this.timer);
    if (!this.box.hidden) {
      this.render();
      this.timer = window.setInterval(() => this.render(), 500);
    }
  }

  render() {
    const s = snapshot(this.video, this.engine, this.edges);
    const rows = [
      ["Format", s.format.toUpperCase()],
      ["ABR", s.abr],
      ["Codec", (s.codec || "?").toUpperCase()],
      ["Rendition", `${s.rendition || "?"}${s.height ? ` (${s.height}p)` : ""}${s.auto ? ", auto" : ", manual"}`],
      ["Bandwidth", `${(s.bandwidth_bps / 1e6).toFixed(2)} Mbit/s`],
      ["Buffer", `${s.buffer_s.toFixed(1)} s`],
      ["Edge", `${edgeLabel(s.edge)} (#${s.edge_index + 1} of ${this.edges.bases.length})`],
      ["Dropped frames", s.dropped_frames],
    ];
    const list = document.createElement("dl");
    for (const [name, value] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = value;
      dd.dataset.stat = name.toLowerCase().replace(/ /g, "-");
      list.append(dt, dd);
    }
    this.box.replaceChildren(list);
  }
}
