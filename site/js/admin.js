// Import the roster: the chosen CSV is read in the browser and sent as text; the server checks the whole
// file before writing anything, and answers with the problems by line, or (staff) a summary, or (pupils) a job
// with its exact summary, which this page then runs step by step with a progress bar. A page closed mid-import
// carries on from where it stopped when it is opened again.

import { api } from "./api.js";
import { clearErrors, showErrors, whileBusy } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";

const MAX_BYTES = 2 * 1024 * 1024;
const form = document.getElementById("roster-form");
const result = document.getElementById("roster-result");
const progress = document.getElementById("roster-progress");
const bar = document.getElementById("roster-bar");
const count = document.getElementById("roster-count");

function summaryText(summary) {
  const parts = [`${summary.added} added`, `${summary.updated} updated`, `${summary.unchanged} unchanged`];
  if (summary.left) parts.push(`${summary.left} left`);
  if (summary.rejoined) parts.push(`${summary.rejoined} back on roll`);
  return `${parts.join(", ")}.`;
}

function showSummary(summary) {
  progress.hidden = true;
  document.getElementById("roster-summary").textContent = summary.summary || summaryText(summary);
  const warnings = document.getElementById("roster-warnings");
  warnings.replaceChildren(
    ...(summary.warnings || []).map((warning) => {
      const item = document.createElement("li");
      item.textContent = warning;
      return item;
    }),
  );
  result.hidden = false;
}

function showProgress(job) {
  progress.hidden = false;
  document.getElementById("roster-plan").textContent = job.summary ? job.summary.summary : "";
  bar.max = Math.max(job.total, 1);
  bar.value = job.done;
  count.textContent = `${job.done.toLocaleString("en-GB")} of ${job.total.toLocaleString("en-GB")} changes written.`;
}

// Step the job until it is done; a failed step (a dropped connection) is tried again a few times.
async function run(job) {
  let failures = 0;
  while (job.state === "running") {
    showProgress(job);
    const { ok, status, data } = await api("POST", "/admin/roster/step", { job_id: job.job_id });
    if (ok) {
      job = data;
      failures = 0;
    } else if (status === 401 || status === 403 || ++failures > 3) {
      return showErrors(form, {
        error: "The import stopped before it finished.",
        fields: { csv: `${data.error || "No answer from Lantern."} Open this page again to carry on.` },
      });
    } else {
      await new Promise((resolve) => setTimeout(resolve, 2000 * failures));
    }
  }
  if (job.state === "replaced") {
    return showErrors(form, { error: "Another import replaced this one.", fields: {} });
  }
  showProgress(job);
  return showSummary(job.summary);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  whileBusy(button, async () => {
    clearErrors(form);
    result.hidden = true;
    progress.hidden = true;
    const file = form.elements.csv.files[0];
    if (!file) return showErrors(form, { error: "Choose a CSV file.", fields: { csv: "Choose a CSV file." } });
    if (file.size > MAX_BYTES) {
      return showErrors(form, { error: "The file is too large.", fields: { csv: "Choose a file of 2 MB or less." } });
    }
    const { ok, data } = await api("POST", "/admin/roster", {
      kind: form.elements.kind.value,
      csv: await file.text(),
      full: form.elements.full.checked,
    });
    if (!ok) {
      const errors = Array.isArray(data.errors) ? data.errors : [];
      const more = errors.length > 20 ? ` · and ${errors.length - 20} more` : "";
      const problems = errors.length ? errors.slice(0, 20).join(" · ") + more : data.error;
      return showErrors(form, { error: "Nothing was imported.", fields: { csv: problems } });
    }
    if (data.job_id !== undefined) return run(data); // pupils: a job (already done if nothing changes)
    return showSummary(data);
  });
});

requireUser().then(async (me) => {
  if (!me) return;
  enableLogout(document.getElementById("logout"));
  const { ok, data } = await api("GET", "/admin/roster");
  if (ok && data.job && data.job.state === "running") {
    whileBusy(form.querySelector('button[type="submit"]'), () => run(data.job));
  }
});
