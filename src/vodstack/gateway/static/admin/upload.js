// The admin upload page: pick or create the title, then upload the file resumably.
import { ResumableUpload } from "./resumable.js";

const form = document.getElementById("upload-form");
const $ = (id) => document.getElementById(id);

function megabytes(bytes) {
  return (bytes / (1024 * 1024)).toFixed(1) + " MB";
}

function showError(text) {
  $("upload-error").textContent = text;
  $("upload-error").hidden = !text;
}

async function chosenTitle() {
  if (!$("target-new").checked) return Number($("title-select").value);
  const genres = $("new-genres").value.split(",").map((g) => g.trim()).filter(Boolean);
  const title = await window.vodstack.api("POST", "/api/admin/titles", {
    name: $("new-name").value.trim(), year: Number($("new-year").value), genres: genres,
    maturity: $("new-maturity").value,
  });
  return title.id;
}

function syncTarget() {
  const isNew = $("target-new").checked;
  $("new-title-fields").hidden = !isNew;
  $("title-select").disabled = isNew;
}

async function submit(event) {
  event.preventDefault();
  const file = $("upload-file").files[0];
  showError("");
  $("upload-done").hidden = true;
  if (!file) { showError("Choose a video file first."); return; }
  $("upload-submit").disabled = true;
  $("upload-progress-box").hidden = false;
  const bar = $("upload-progress");
  const status = $("upload-status");
  try {
    const titleId = await chosenTitle();
    const choice = $("upload-encrypt").value;
    const encrypt = choice === "" ? null : choice === "true";
    const upload = new ResumableUpload(file, titleId, Number(form.dataset.sliceBytes), (sent) => {
      bar.value = file.size ? (100 * sent) / file.size : 100;
      status.textContent = `${megabytes(sent)} of ${megabytes(file.size)} sent` +
        (upload.resumes ? ` (resumed ${upload.resumes}×)` : "");
    }, encrypt);
    const done = await upload.run();
    bar.value = 100;
    const resumed = upload.resumes ? ` (resumed ${upload.resumes}× after a dropped connection)` : "";
    status.textContent = `Uploaded ${megabytes(file.size)}${resumed}; checked and queued for encoding.`;
    const link = document.createElement("a");
    link.href = "/admin/jobs/" + done.job_id;
    link.id = "upload-job-link";
    link.textContent = `Follow job ${done.job_id}`;
    $("upload-done").replaceChildren("Upload complete. ", link);
    $("upload-done").hidden = false;
  } catch (error) {
    showError(error.message);
    status.textContent = "Upload stopped.";
  } finally {
    $("upload-submit").disabled = false;
  }
}

form.addEventListener("submit", submit);
for (const radio of form.querySelectorAll('input[name="target"]')) radio.addEventListener("change", syncTarget);
syncTarget();
