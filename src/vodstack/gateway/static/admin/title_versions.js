// The title page's changes that publish a new version: an added audio language (the file is
// the body) and the title's encryption. The answer names the job to follow.
const section = document.getElementById("title-versioned");
const titleId = section.dataset.titleId;
const error = document.getElementById("versioned-error");
const done = document.getElementById("versioned-done");

function report(message, jobId) {
  error.hidden = true;
  const parts = [message];
  if (jobId) {
    const link = document.createElement("a");
    link.href = `/admin/jobs/${jobId}`;
    link.textContent = ` Follow job ${jobId}.`;
    parts.push(link);
  }
  done.replaceChildren(...parts);
  done.hidden = false;
}

function fail(message) {
  done.hidden = true;
  error.textContent = message;
  error.hidden = false;
}

async function send(method, url, body, type) {
  const response = await fetch(url, {
    method, body, credentials: "same-origin",
    headers: { "Content-Type": type, "X-CSRF-Token": window.vodstack.csrfToken(), Accept: "application/json" },
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(((data && data.error) || {}).message || `Failed (${response.status}).`);
  return data;
}

async function addAudio(event) {
  event.preventDefault();
  const lang = document.getElementById("audio-lang").value.trim();
  const name = document.getElementById("audio-name").value.trim();
  const file = document.getElementById("audio-file").files[0];
  if (!lang || !file) { fail("Choose a language and a file."); return; }
  const query = new URLSearchParams({ language: lang, ...(name ? { name } : {}) });
  try {
    const job = await send("POST", `/api/admin/audio/${titleId}?${query}`, file, "application/octet-stream");
    report(`${lang} accepted; version ${job.asset_version} is being encoded.`, job.id);
  } catch (problem) { fail(problem.message); }
}

async function setEncryption(event) {
  event.preventDefault();
  const encrypt = document.getElementById("encryption-choice").value === "true";
  try {
    const change = await send("PUT", `/api/admin/titles/${titleId}/encryption`,
      JSON.stringify({ encrypt }), "application/json");
    const state = change.encrypt ? "encrypted" : "clear";
    report(change.job_id ? `The title becomes ${state} with its next version.` : `The title is ${state}.`, change.job_id);
  } catch (problem) { fail(problem.message); }
}

async function showEncryption() {
  const current = await window.vodstack.api("GET", `/api/admin/titles/${titleId}/encryption`);
  document.getElementById("encryption-choice").value = String(current.encrypt);
}

document.getElementById("audio-form").addEventListener("submit", addAudio);
document.getElementById("encryption-form").addEventListener("submit", setEncryption);
showEncryption().catch(() => {});
