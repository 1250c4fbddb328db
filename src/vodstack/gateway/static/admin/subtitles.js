// The title page's subtitles section: list the languages, upload an SRT or WebVTT file as one.
// A refused file shows the API's message and every problem line it lists (422 details).
const section = document.getElementById("title-subtitles");
const titleId = section.dataset.titleId;
const base = `/api/admin/titles/${titleId}/subtitles`;
const list = document.getElementById("subtitle-list");
const error = document.getElementById("subtitle-error");
const done = document.getElementById("subtitle-done");

async function refresh() {
  const tracks = await window.vodstack.api("GET", base);
  if (!tracks.length) return;
  list.replaceChildren(...tracks.map((track) => {
    const item = document.createElement("li");
    item.dataset.lang = track.lang;
    item.textContent = `${track.name} (${track.lang})`;
    return item;
  }));
}

function showError(message, details) {
  const lines = (details || []).map((d) => {
    const item = document.createElement("li");
    item.textContent = d.line ? `line ${d.line}: ${d.message}` : d.message;
    return item;
  });
  const text = document.createElement("p");
  text.textContent = message;
  const problems = document.createElement("ul");
  problems.replaceChildren(...lines);
  error.replaceChildren(text, ...(lines.length ? [problems] : []));
  error.hidden = false;
}

async function upload(event) {
  event.preventDefault();
  error.hidden = true;
  done.hidden = true;
  const lang = document.getElementById("subtitle-lang").value.trim();
  const name = document.getElementById("subtitle-name").value.trim();
  const file = document.getElementById("subtitle-file").files[0];
  if (!lang || !file) { showError("Choose a language and a file."); return; }
  const query = name ? `?name=${encodeURIComponent(name)}` : "";
  const response = await fetch(`${base}/${encodeURIComponent(lang)}${query}`, {
    method: "PUT", body: file, credentials: "same-origin",
    headers: { "Content-Type": "application/octet-stream", "X-CSRF-Token": window.vodstack.csrfToken(), Accept: "application/json" },
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = (data && data.error) || {};
    showError(problem.message || `Upload failed (${response.status}).`, problem.details);
    return;
  }
  done.textContent = `${data.name} (${data.lang}): ${data.cues} cues.`;
  done.hidden = false;
  await refresh();
}

document.getElementById("subtitle-form").addEventListener("submit", upload);
refresh().catch(() => {});
