// The ranked edge base URLs of a play session and failover between them.
//
// Playback signs segment URLs for the first edge; the token is bound to the path, not the host,
// so moving to another edge means swapping scheme://host:port and keeping path and `?t=`.
// Failover only moves forward (the steering order already puts the best edges first).

export class EdgeList {
  constructor(bases) {
    this.bases = bases.map((b) => b.replace(/\/+$/, ""));
    this.index = 0;
    this.listeners = [];
  }

  get current() {
    return this.bases[this.index];
  }

  get hasNext() {
    return this.index + 1 < this.bases.length;
  }

  // The edge base `url` is on, or null for other URLs (the gateway's manifests).
  baseOf(url) {
    return this.bases.find((base) => url.startsWith(base + "/")) || null;
  }

  // `url` moved onto the current edge (unchanged when it is not an edge URL).
  rewrite(url) {
    const base = this.baseOf(url);
    return base === null || base === this.current ? url : this.current + url.slice(base.length);
  }

  // An edge URL of `path` ("thumbs/thumbs.vtt") under the asset, signed with the session token.
  assetUrl(assetPath, token, path) {
    return this.current + assetPath + path + "?t=" + encodeURIComponent(token);
  }

  // `failed` (a base URL) did not answer: move past it. Several requests failing on the same
  // edge move once. Returns whether there is still an edge to use.
  failover(failed) {
    if (failed !== null && failed !== undefined && failed !== this.current) return true;
    if (!this.hasNext) return false;
    const from = this.current;
    this.index += 1;
    this.listeners.forEach((listener) => listener(this.current, from));
    return true;
  }

  onChange(listener) {
    this.listeners.push(listener);
  }
}

// Host and port of an edge base, for the stats overlay.
export function edgeLabel(base) {
  try {
    return new URL(base).host;
  } catch (_) {
    return String(base);
  }
}
