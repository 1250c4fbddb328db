// The QoE dashboard: fetch /api/admin/telemetry/series and draw one SVG line chart per figure,
// one line per split value. No chart library: a polyline per series is all it takes.
const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#e50914", "#2f80ed", "#27ae60", "#f2994a", "#9b51e0", "#56ccf2", "#eb5757", "#6fcf97"];
const W = 400, H = 160, PAD = 24;

const charts = document.getElementById("qoe-charts");
const splitSelect = document.getElementById("qoe-split");
const windowSelect = document.getElementById("qoe-window");
const errorBox = document.getElementById("qoe-error");

function element(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function draw(figure, points) {
  const metric = figure.dataset.metric;
  const svg = figure.querySelector("svg");
  const legend = figure.querySelector(".qoe-legend");
  svg.replaceChildren();
  legend.replaceChildren();
  const values = points.filter((p) => p[metric] !== null);
  if (!values.length) {
    svg.append(Object.assign(element("text", { x: PAD, y: H / 2, class: "qoe-empty" }), { textContent: "no data yet" }));
    return;
  }
  const xs = values.map((p) => p.bucket), ys = values.map((p) => p[metric]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  const yMax = Math.max(...ys) || 1;
  const sx = (x) => PAD + ((x - x0) / Math.max(1, x1 - x0)) * (W - 2 * PAD);
  const sy = (y) => H - PAD - (y / yMax) * (H - 2 * PAD);
  svg.append(element("line", { x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD, class: "qoe-axis" }));
  svg.append(Object.assign(element("text", { x: 2, y: PAD - 6, class: "qoe-max" }), { textContent: String(Math.round(yMax * 1000) / 1000) }));
  const bySplit = new Map();
  for (const p of values) bySplit.set(p.split, [...(bySplit.get(p.split) || []), p]);
  [...bySplit.entries()].forEach(([split, series], i) => {
    const color = COLORS[i % COLORS.length];
    const coords = series.map((p) => `${sx(p.bucket).toFixed(1)},${sy(p[metric]).toFixed(1)}`).join(" ");
    const shape = series.length > 1
      ? element("polyline", { points: coords, fill: "none", stroke: color, "stroke-width": 2, "data-split": split })
      : element("circle", { cx: sx(series[0].bucket), cy: sy(series[0][metric]), r: 3, fill: color, "data-split": split });
    svg.append(shape);
    const item = document.createElement("li");
    item.style.color = color;
    item.textContent = split;
    legend.append(item);
  });
}

async function refresh() {
  const query = `?split=${encodeURIComponent(splitSelect.value)}&window_s=${encodeURIComponent(windowSelect.value)}`;
  try {
    const points = await window.vodstack.api("GET", "/api/admin/telemetry/series" + query);
    charts.querySelectorAll(".qoe-chart").forEach((figure) => draw(figure, points));
    charts.dataset.state = points.length ? "data" : "empty";
    errorBox.hidden = true;
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  }
}

splitSelect.addEventListener("change", refresh);
windowSelect.addEventListener("change", refresh);
refresh();
window.setInterval(refresh, 5000);
