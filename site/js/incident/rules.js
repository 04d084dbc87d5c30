// Every rule the server checks an incident against (chalicelib/incidents/form.py), checked in the browser
// first, in the same words, so that a member of staff meets all of their mistakes at once, in one summary,
// before anything is sent. The server still checks everything: this is a courtesy, never the guard.

import { localNow } from "./when.js";

const count = (text) => [...String(text ?? "").trim()].length;
const number = (n) => n.toLocaleString("en-GB");

function tooLong(label, text, limit) {
  const length = count(text);
  return length > limit ? `${label} must be ${number(limit)} characters or fewer. It has ${number(length)}.` : "";
}

function minutesFrom(now, minutes) {
  return new Date(now.getTime() + minutes * 60_000);
}

/**
 * Problems with an incident as the API would take it, keyed by the form's element ids: `{}` when there are none.
 * `incident` is what add-incident.js sends; `extra` holds what the page alone knows (`time_text`, the time as
 * typed, and `specify`, the "(please specify)" boxes: `[{id, ticked, text}]`).
 *
 *   checkIncident({pupil_id: null, categories: [], …}, settings)  // {pupil: "Choose the student …", …}
 */
export function checkIncident(incident, settings, extra = {}, now = new Date()) {
  const limits = settings.limits;
  const fields = {};
  const fail = (field, message) => {
    if (message && !fields[field]) fields[field] = message;
  };

  if (!incident.pupil_id) fail("pupil", "Choose the student from the list: start typing their first name.");
  if (incident.linked_pupil_ids.length > limits.linked) fail("linked-pupils", `Choose ${limits.linked} linked students or fewer.`);

  if (!incident.categories.length) fail("categories", "Choose at least one category.");
  const questions = new Map(settings.categories.flatMap((category) => (category.questions || []).map((q) => [q.id, q])));
  for (const name of incident.categories) {
    if (!incident.subcategories[name]?.length) fail(`subcategories-${name}`, `Choose at least one ${name} sub-category.`);
  }
  for (const [id, value] of Object.entries(incident.answers)) {
    if (typeof value === "string" && questions.get(id)) fail(`question-${id}`, tooLong(questions.get(id).label, value, limits.text_answer));
  }
  for (const box of extra.specify || []) {
    if (!box.ticked) continue;
    if (!count(box.text)) fail(`question-${box.id}`, `Say what “${box.option}” was.`);
    else fail(`question-${box.id}`, tooLong("Please specify", box.text, limits.text_answer));
  }

  const validDate = /^\d{4}-\d{2}-\d{2}$/.test(incident.date);
  if (!validDate) {
    fail("date", "Enter the date and time of the incident, like 27/11/2026 and 10:30.");
  } else if (!incident.time) {
    fail("time", extra.time_text ? "Enter the time on the 24-hour clock, like 14:05 (or 2:05pm)." : "Enter the time of the incident, like 14:05.");
  } else {
    const latest = localNow(settings.time_zone, minutesFrom(now, limits.future_minutes));
    const moment = `${incident.date} ${incident.time}`;
    if (moment > `${latest.date} ${latest.time}`) {
      const current = localNow(settings.time_zone, now);
      const today = current.date === incident.date;
      fail(
        "time",
        `The date and time of the incident cannot be in the future: it is now ${current.time}${today ? " today" : ` on ${current.date.split("-").reverse().join("/")}`}. Check the time is on the 24-hour clock.`,
      );
    } else if (incident.date < "2000-01-01") {
      fail("date", "Check the year of the incident.");
    }
  }
  if (!incident.day) fail("day", "Choose the day of the week.");
  if (!incident.session) fail("session", "Choose the session.");
  if (!incident.location) fail("location", "Choose the location of the incident.");
  if (!count(incident.account)) fail("account", "Write what happened in the incident box.");
  else fail("account", tooLong("Incident", incident.account, limits.account));

  if (incident.body_marks.length > limits.marks) fail("body-map", `Use ${limits.marks} marks or fewer on the body map.`);
  if (incident.assigned_ids.length > limits.assigned) fail("assign-to", `Choose ${limits.assigned} people to assign or fewer.`);
  if (incident.alerted_ids.length > limits.alerted) fail("alert", `Choose ${limits.alerted} people to alert or fewer.`);
  if (incident.upload_ids.length > limits.files) fail("files", `Choose ${limits.files} files or fewer.`);

  const planner = incident.planner;
  if (planner) {
    fail("planner-note", tooLong("Planner note", planner.note, limits.planner_note));
    if (!/^\d{4}-\d{2}-\d{2}$/.test(planner.date) || !planner.time) {
      fail(planner.date ? "planner-time" : "planner-date", "Enter the date and time for your reminder, like 14:05.");
    } else {
      const due = `${planner.date} ${planner.time}`;
      const current = localNow(settings.time_zone, now);
      const yearAhead = localNow(settings.time_zone, minutesFrom(now, 366 * 24 * 60));
      if (due <= `${current.date} ${current.time}`) fail("planner-time", "Choose a date and time in the future for your reminder.");
      else if (due > `${yearAhead.date} ${yearAhead.time}`) fail("planner-date", "Choose a date within the next year for your reminder.");
    }
  }
  return fields;
}
