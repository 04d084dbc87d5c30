// My planner: reminders Lantern emails to me at the date and time I choose, optionally about an incident. Add one
// (from ?incident=… when I came from an incident page), change or delete an upcoming one, and see past ones.
// A reminder's note is my own words: it goes on the page with textContent.

import { api } from "./api.js";
import { clearErrors, preventEnterSubmit, SESSION_ENDED, showErrors, showPageError, whileBusy } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { CharacterCount } from "./incident/character-count.js";
import { element, incidentHref, link } from "./review/dom.js";
import { dateTime } from "./review/format.js";
import { newKey } from "./incident/form-state.js";

// One key per reminder being added: if Lantern saved it but the answer was lost, "Add" again adds nothing more.
let addKey = newKey();

const TIME_ZONE = JSON.parse(document.getElementById("planner-settings")?.textContent || "{}").time_zone || "Europe/London";

const byId = (id) => document.getElementById(id);
const listOf = (value) => (Array.isArray(value) ? value : []);
const form = byId("planner-form");

/** The incident a new reminder is about (from ?incident=…), until it is removed or the reminder added. */
let incident = null;
let noteCount = null;

function say(message) {
  byId("planner-status").textContent = message;
}

function when(reminder) {
  return dateTime(reminder.due_at, TIME_ZONE);
}

function showFailure(target, status, data) {
  if (status === 401) {
    showErrors(target, { error: SESSION_ENDED });
  } else if (data.fields && typeof data.fields === "object" && Object.keys(data.fields).length) {
    showErrors(target, data);
  } else {
    showErrors(target, { error: data.error });
  }
}

// ---- The lists ----

function refreshEmpty() {
  byId("upcoming-none").hidden = byId("upcoming-list").children.length > 0;
  byId("past-none").hidden = byId("past-list").children.length > 0;
}

/** Put an upcoming reminder's item in date order (soonest first). */
function placeUpcoming(item) {
  const list = byId("upcoming-list");
  const due = item.dataset.dueAt;
  const after = [...list.children].find((other) => other !== item && Date.parse(other.dataset.dueAt) > Date.parse(due));
  list.insertBefore(item, after || null);
  refreshEmpty();
}

function reminderItem(reminder, { upcoming }) {
  const item = element("li", "app-reminder");
  item.dataset.reminderId = String(reminder.id ?? "");
  item.dataset.dueAt = String(reminder.due_at ?? "");
  item.tabIndex = -1;

  const title = element("p", "app-reminder__when", when(reminder));
  if (reminder.kind === "follow-up") title.append(" ", element("strong", "app-tag app-tag--kind", "Action follow-up"));
  item.append(title);
  const note = String(reminder.note ?? "");
  item.append(note ? element("p", "app-reminder__note", note) : element("p", "app-reminder__note app-reminder__note--none", "No note"));
  if (reminder.incident?.id) {
    const reference = reminder.incident.reference;
    const about = element("p", "app-reminder__incident", reference ? "About incident " : "About an incident: ");
    about.append(link(incidentHref(reminder.incident.id), reference || "open the incident"));
    item.append(about);
  }
  if (!upcoming) {
    item.append(element("p", "app-reminder__sent", reminder.sent ? "Emailed to you" : "Not emailed yet"));
    return item;
  }

  // Which reminder a button acts on, for a screen reader that lists buttons out of context.
  const which = ` reminder for ${when(reminder)}`;
  const buttons = element("div", "app-button-group app-reminder__buttons");
  const change = element("button", "app-button app-button--secondary app-button--small", "Change");
  change.type = "button";
  change.append(element("span", "app-visually-hidden", which));
  const remove = element("button", "app-button app-button--secondary app-button--small", "Delete");
  remove.type = "button";
  remove.append(element("span", "app-visually-hidden", which));
  buttons.append(change, remove);
  const problem = element("p", "app-error-message app-reminder__error");
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  item.append(buttons, problem);

  change.addEventListener("click", () => openChange(item, reminder, buttons));
  remove.addEventListener("click", () => deleteReminder(item, reminder, remove, problem));
  return item;
}

// ---- Change and delete ----

let changeCount = 0;

/** The change form from its template, every id made unique to this copy (labels and hints follow). */
function changeForm() {
  changeCount += 1;
  const copy = byId("change-template").content.firstElementChild.cloneNode(true);
  const suffix = `-${changeCount}`;
  for (const node of copy.querySelectorAll("[id]")) node.id += suffix;
  for (const label of copy.querySelectorAll("label[for]")) label.htmlFor += suffix;
  for (const node of copy.querySelectorAll("[aria-describedby]")) {
    const ids = node.getAttribute("aria-describedby").split(/\s+/).filter(Boolean);
    node.setAttribute("aria-describedby", ids.map((id) => id + suffix).join(" "));
  }
  return copy;
}

function openChange(item, reminder, buttons) {
  const change = changeForm();
  change.elements.namedItem("planner-date").value = String(reminder.date ?? "");
  change.elements.namedItem("planner-time").value = String(reminder.time ?? "");
  change.elements.namedItem("planner-note").value = String(reminder.note ?? "");
  buttons.hidden = true;
  item.querySelector(".app-reminder__error").hidden = true;
  item.append(change);
  new CharacterCount(change.querySelector('[data-module="character-count"]'));
  preventEnterSubmit(change);

  const close = () => {
    change.remove();
    buttons.hidden = false;
    buttons.querySelector("button").focus();
  };
  change.querySelector('[data-change="cancel"]').addEventListener("click", close);
  change.addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(change, async () => {
      clearErrors(change);
      const { ok, status, data } = await api("POST", "/planner/change", {
        id: reminder.id,
        date: change.elements.namedItem("planner-date").value,
        time: change.elements.namedItem("planner-time").value,
        note: change.elements.namedItem("planner-note").value,
      });
      if (!ok || !data.reminder) {
        showFailure(change, status, data);
        return;
      }
      const changed = reminderItem(data.reminder, { upcoming: true });
      item.replaceWith(changed);
      placeUpcoming(changed);
      changed.focus();
      say(`Reminder changed to ${when(data.reminder)}.`);
    });
  });
  change.elements.namedItem("planner-date").focus();
}

function deleteReminder(item, reminder, button, problem) {
  return whileBusy(button, async () => {
    problem.hidden = true;
    const { ok, data } = await api("POST", "/planner/delete", { id: reminder.id });
    if (!ok) {
      problem.textContent = data.error;
      problem.hidden = false;
      return;
    }
    item.remove();
    refreshEmpty();
    // The item has gone: focus goes to the list's heading rather than to the top of the page.
    byId("upcoming-heading").focus();
    say(`Reminder for ${when(reminder)} deleted.`);
  });
}

// ---- Add a reminder ----

function knownReference(id, reminders) {
  try {
    const kept = sessionStorage.getItem(`lantern:incident-reference:${id}`);
    if (kept) return kept;
  } catch {
    // No storage (private browsing): look in the reminders instead.
  }
  return reminders.find((reminder) => reminder.incident?.id === id)?.incident?.reference || "";
}

function showIncident(id, reminders) {
  if (!id) return;
  incident = id;
  const reference = knownReference(id, reminders);
  const about = byId("planner-about");
  about.replaceChildren(reference ? "About incident " : "About the incident you came from");
  if (reference) about.append(element("strong", "", reference));
  byId("planner-incident-group").hidden = false;
}

function removeIncident({ focus }) {
  incident = null;
  byId("planner-incident-group").hidden = true;
  // Reloading the page must not bring the incident back.
  history.replaceState(null, "", location.pathname);
  if (focus) {
    form.elements.namedItem("planner-date").focus();
    say("This reminder is no longer about the incident.");
  }
}

async function addReminder() {
  clearErrors(form);
  byId("planner-saved").hidden = true;
  const body = {
    date: form.elements.namedItem("planner-date").value,
    time: form.elements.namedItem("planner-time").value,
    note: form.elements.namedItem("planner-note").value,
  };
  if (incident) body.incident_id = incident;
  body.idempotency_key = addKey;
  const { ok, status, data } = await api("POST", "/planner", body);
  if (!ok || !data.reminder) {
    showFailure(form, status, data);
    return;
  }
  addKey = newKey();
  const item = reminderItem(data.reminder, { upcoming: true });
  placeUpcoming(item);
  for (const name of ["planner-date", "planner-time", "planner-note"]) form.elements.namedItem(name).value = "";
  noteCount.refresh();
  if (incident) removeIncident({ focus: false });
  const saved = byId("planner-saved");
  saved.textContent = `Reminder added for ${when(data.reminder)}. Lantern will email it to you then.`;
  saved.hidden = false;
  saved.focus();
}

requireUser().then(async (me) => {
  if (!me) return;
  enableLogout(byId("logout"));
  if (me.user?.role === "admin") {
    byId("planner-loading").hidden = true;
    byId("planner-not-for-you").hidden = false;
    return;
  }

  const { ok, status, data } = await api("GET", "/planner");
  byId("planner-loading").hidden = true;
  if (!ok) {
    if (status !== 401) showPageError(data.error);
    return;
  }
  const upcoming = listOf(data.upcoming);
  const past = listOf(data.past);
  byId("upcoming-list").replaceChildren(...upcoming.map((reminder) => reminderItem(reminder, { upcoming: true })));
  byId("past-list").replaceChildren(...past.map((reminder) => reminderItem(reminder, { upcoming: false })));
  refreshEmpty();

  noteCount = new CharacterCount(form.querySelector('[data-module="character-count"]'));
  preventEnterSubmit(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(form, addReminder);
  });
  byId("planner-incident").addEventListener("click", () => removeIncident({ focus: true }));
  showIncident(new URLSearchParams(location.search).get("incident") || "", [...upcoming, ...past]);
  byId("planner").hidden = false;
});
