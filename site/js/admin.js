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
const problemList = document.getElementById("csv-problems");
const SHOWN_PROBLEMS = 20;

// A refused file's problems, one to a line under the file's field (the first few; the server says how many more).
function showProblems(problems) {
  const shown = problems.slice(0, SHOWN_PROBLEMS);
  if (problems.length > SHOWN_PROBLEMS) shown.push(`…and ${problems.length - SHOWN_PROBLEMS} more.`);
  problemList.replaceChildren(
    ...shown.map((problem) => {
      const item = document.createElement("li");
      item.textContent = problem;
      return item;
    }),
  );
  problemList.hidden = shown.length === 0;
}

// The part of the page that now says what is happening, below the form: brought on screen (a Chromebook's or a
// landscape iPad's first screen ends at the Import button) and focused, as the button is busy meanwhile.
function bringIntoView(section, heading) {
  heading.focus({ preventScroll: true });
  section.scrollIntoView({ block: "nearest" });
}

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
  bringIntoView(result, document.getElementById("roster-result-heading"));
}

function showProgress(job) {
  const appearing = progress.hidden;
  progress.hidden = false;
  if (appearing) bringIntoView(progress, document.getElementById("roster-progress-heading"));
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
    showProblems([]);
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
      // Said first, where the summary and the field say it: nothing was imported; then each problem by its line.
      const errors = Array.isArray(data.errors) ? data.errors.map(String) : [];
      showProblems(errors);
      const message = errors.length
        ? "Nothing was imported: the file has problems, listed below it by line."
        : `Nothing was imported. ${data.error || "No answer from Lantern."}`;
      return showErrors(form, { error: "Nothing was imported.", fields: { csv: message } });
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
