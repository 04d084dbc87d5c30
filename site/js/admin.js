// Import the roster: the chosen CSV is read in the browser and sent as text; the server checks the whole
// file before writing anything, and answers with a summary or the problems by line.

import { api } from "./api.js";
import { clearErrors, showErrors, whileBusy } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";

const MAX_BYTES = 2 * 1024 * 1024;
const form = document.getElementById("roster-form");
const result = document.getElementById("roster-result");

function summaryText(summary) {
  const parts = [`${summary.added} added`, `${summary.updated} updated`, `${summary.unchanged} unchanged`];
  if (summary.left) parts.push(`${summary.left} left`);
  if (summary.rejoined) parts.push(`${summary.rejoined} back on roll`);
  return `${parts.join(", ")}.`;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  whileBusy(button, async () => {
    clearErrors(form);
    result.hidden = true;
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
    document.getElementById("roster-summary").textContent = data.summary || summaryText(data);
    const warnings = document.getElementById("roster-warnings");
    warnings.replaceChildren(
      ...(data.warnings || []).map((warning) => {
        const item = document.createElement("li");
        item.textContent = warning;
        return item;
      }),
    );
    result.hidden = false;
  });
});

requireUser().then((me) => {
  if (me) enableLogout(document.getElementById("logout"));
});
