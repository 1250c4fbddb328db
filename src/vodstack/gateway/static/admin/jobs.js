// The jobs page: every job with live progress, per rendition, polled every 2 s.
import { bar, el, poll, queueNote, renditionBars, stateBadge } from "./progress.js";

const table = document.getElementById("jobs-table");
const body = document.getElementById("jobs-body");
const problem = document.getElementById("jobs-error");

function row(job) {
  const error = job.error || job.task_error;
  const now = job.running.length ? job.running.slice(0, 3).join(", ") + (job.running.length > 3 ? " …" : "") : queueNote(job);
  const state = [stateBadge(job.state)];
  if (job.priority) state.push(el("span", { class: "muted", "data-testid": "job-priority" }, [` priority ${job.priority}`]));
  const title = job.title_name ? el("a", { href: `/admin/titles/${job.title_id}/edit` }, [job.title_name]) : `#${job.title_id}`;
  const cells = [
    el("td", {}, [el("a", { href: `/admin/jobs/${job.id}`, "data-testid": "job-link" }, [`#${job.id}`])]),
    el("td", {}, [title]),
    el("td", {}, state),
    el("td", {}, [bar(job.progress)]),
    el("td", {}, [renditionBars(job.renditions)]),
    el("td", { class: "job-now" }, [now]),
  ];
  const rows = [el("tr", { "data-job-id": job.id, "data-state": job.state }, cells)];
  if (error) {
    const kind = job.error ? "job-error" : "job-warning";
    rows.push(el("tr", { class: kind }, [el("td", { colspan: "6", role: job.error ? "alert" : null }, [error])]));
  }
  return rows;
}

function render(jobs) {
  if (!jobs.length) {
    body.replaceChildren(el("tr", {}, [el("td", { colspan: "6", class: "empty" }, ["No jobs yet: upload a video."])]));
    return;
  }
  body.replaceChildren(...jobs.flatMap(row));
}

render(JSON.parse(table.dataset.initial));
poll(async () => {
  try {
    render(await window.vodstack.api("GET", `/api/admin/jobs?limit=${table.dataset.limit}`));
    problem.hidden = true;
  } catch (error) {
    problem.textContent = error.message;
    problem.hidden = false;
  }
}, 2000);
