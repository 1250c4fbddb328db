// One job: per-rendition and per-task progress until it ends; then its VMAF report.
import { TERMINAL, el, percent, poll, queueNote, renditionBars, stateBadge } from "./progress.js";

const box = document.getElementById("job");
const $ = (id) => document.getElementById(id);

function render(job) {
  $("job-state").replaceWith(Object.assign(stateBadge(job.state), { id: "job-state" }));
  $("job-progress").value = job.progress;
  $("job-percent").textContent = percent(job.progress);
  // A preview matters only until the complete version is out.
  $("job-preview").hidden = !job.preview_version || job.state === "succeeded";
  $("job-preview-version").textContent = job.preview_version || "";
  $("job-error").textContent = job.error || "";
  $("job-error").hidden = !job.error;
  $("job-renditions").replaceChildren(renditionBars(job.renditions));
  $("job-queue").textContent = queueNote(job);
  $("job-queue").hidden = !queueNote(job);
  $("job-quality-pending").hidden = !(job.published && job.state === "running");
  $("job-priority-form").hidden = TERMINAL.has(job.state);
  if (document.activeElement !== $("job-priority")) $("job-priority").value = job.priority;
  const rows = job.tasks.map((t) => el("tr", { "data-task": t.name, "data-state": t.state }, [
    el("td", {}, [t.name]), el("td", {}, [stateBadge(t.state)]), el("td", {}, [String(t.attempts)]),
    el("td", {}, [percent(t.progress)]), el("td", { class: t.error ? "task-error" : "" }, [t.error || ""]),
  ]));
  $("job-tasks").tBodies[0].replaceChildren(...rows);
}

async function showQuality(jobId) {
  let report;
  try {
    report = await window.vodstack.api("GET", `/api/admin/jobs/${jobId}/quality`);
  } catch (_) {
    return; // no report (VMAF skipped) or not yet visible
  }
  const rows = report.renditions.map((r) => el("tr", { "data-rendition": r.name }, [
    el("td", {}, [r.name]), el("td", {}, [`${r.width}x${r.height}`]),
    el("td", { class: "vmaf" }, [r.vmaf_mean.toFixed(1)]), el("td", {}, [r.vmaf_min.toFixed(1)]),
  ]));
  $("job-quality").tBodies[0].replaceChildren(...rows);
  // VMAF failed: the version was published without scores, and the report says why.
  $("job-quality-warning").textContent = report.warning || "";
  $("job-quality-warning").hidden = !report.warning;
  $("job-quality-box").hidden = false;
}

$("job-priority-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    render(await window.vodstack.api("PUT", `/api/admin/jobs/${box.dataset.jobId}/priority`,
      { priority: Number($("job-priority").value) }));
    $("job-priority-error").hidden = true;
  } catch (error) {
    $("job-priority-error").textContent = error.message;
    $("job-priority-error").hidden = false;
  }
});

let job = JSON.parse(box.dataset.initial);
render(job);
if (job.state === "succeeded") showQuality(job.id);
if (!TERMINAL.has(job.state)) {
  poll(async () => {
    job = await window.vodstack.api("GET", `/api/admin/jobs/${box.dataset.jobId}`);
    render(job);
    if (job.state === "succeeded") showQuality(job.id);
    return !TERMINAL.has(job.state);
  }, 2000);
}
