// Small DOM builders shared by the jobs pages, and a poller that never overlaps itself.

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(key, String(value));
  }
  for (const child of children || []) node.append(child);
  return node;
}

export function percent(fraction) {
  return `${(100 * (fraction || 0)).toFixed(1)} %`;
}

export function bar(fraction, label) {
  return el("span", { class: "bar", title: label || percent(fraction) }, [
    el("progress", { max: "1", value: String(fraction || 0) }),
    el("span", { class: "bar-label" }, [label || percent(fraction)]),
  ]);
}

export function stateBadge(state) {
  return el("span", { class: `badge job-${state}`, "data-state": state }, [state]);
}

export function renditionBars(renditions) {
  return el("div", { class: "rendition-bars" }, renditions.map((r) => el("div", {
    class: "rendition", "data-rendition": r.rendition,
  }, [el("span", { class: "rendition-name" }, [r.rendition]), bar(r.progress, `${r.chunks_done}/${r.chunks_total}`)])));
}

export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

// Calls `tick` every `everyMs`, after the previous call has finished (a slow answer never
// stacks requests up). `tick` returns false to stop.
export function poll(tick, everyMs) {
  const loop = async () => {
    let again = true;
    try {
      again = (await tick()) !== false;
    } catch (error) {
      console.warn("poll failed", error);
    }
    if (again) window.setTimeout(loop, everyMs);
  };
  window.setTimeout(loop, everyMs);
}

// Where a job that has not started stands: "#2 in queue · starts in ~3 min" (an estimate).
export function queueNote(job) {
  if (job.queue_position == null) return "";
  let note = `#${job.queue_position} in queue`;
  if (job.estimated_start != null) {
    const wait = Math.max(0, job.estimated_start - Date.now() / 1000);
    note += wait >= 90 ? ` · starts in ~${Math.round(wait / 60)} min` : ` · starts in ~${Math.round(wait)} s`;
  }
  return note;
}
