// The Add Incident form: every member of staff's way to report a concern, often in a hurry and upset.
// Each widget starts on its own (one that breaks is reported and left out, the rest still work); this
// file wires them together, keeps a draft of the form in this tab, and sends the incident.

import { api } from "./api.js";
import { clearErrors, markReady, preventEnterSubmit, showErrors, showPageError } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { BlankScreen } from "./incident/blank-screen.js";
import { BodyMap } from "./incident/body-map.js";
import { CharacterCount } from "./incident/character-count.js";
import { buildIndex, buildPupilIndex, Combobox } from "./incident/combobox.js";
import { captureControls, DraftStore, newKey, restoreControls } from "./incident/form-state.js";
import { AssignTo, staffLabel } from "./incident/people.js";
import { QualityPrompts } from "./incident/prompts.js";
import { schoolTime, showReceipt } from "./incident/receipt.js";
import { ConditionalReveal } from "./incident/reveal.js";
import { checkIncident } from "./incident/rules.js";
import { Uploads } from "./incident/uploads.js";
import { parseTime, WhenFields } from "./incident/when.js";

const SAVE_DELAY_MS = 300;
const KEPT = "Nothing you typed has been lost.";

const form = document.getElementById("incident-form");
const settings = JSON.parse(document.getElementById("form-settings").textContent);
const submitButton = document.getElementById("add-incident");
const sendNotice = document.getElementById("send-notice");
const retryButton = document.getElementById("send-retry");
const draftNotice = document.getElementById("draft-notice");

/**
 * Start a widget on every element matching `selector`, as govuk-frontend's createAll does: each in
 * its own try, so a widget that throws is reported and the rest of the form still works.
 */
function createAll(selector, create) {
  const started = [];
  for (const root of document.querySelectorAll(selector)) {
    try {
      started.push(create(root));
    } catch (error) {
      console.error(`Lantern: ${selector} could not start`, error);
    }
  }
  return started;
}

// Draft state, declared before the widgets so their change callbacks can reach it.
let idempotencyKey = newKey();
let store = null;
let dirty = false;
let draftPending = false;
let sending = false;
let sent = false;
let saveTimer = 0;

function changed() {
  dirty = true;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveDraft, SAVE_DELAY_MS);
}

createAll("#blank-screen", (button) => new BlankScreen(button));
const reveals = createAll('[data-module="reveal"]', (root) => new ConditionalReveal(root));
const [when] = createAll('[data-module="when"]', () => new WhenFields(form, { settings }));
const [characterCount] = createAll('[data-module="character-count"]', (root) => new CharacterCount(root));
const [bodyMap] = createAll('[data-module="body-map"]', (root) => new BodyMap(root, { onChange: changed }));
const [assignTo] = createAll('[data-module="assign-to"]', (root) => {
  return new AssignTo(root, { form, settings, onChange: changed });
});
const [uploads] = createAll('[data-module="uploads"]', (root) => new Uploads(root, { onChange: changed }));
createAll('[data-module="quality-prompts"]', (root) => new QualityPrompts(root, { textarea: form.elements.namedItem("account") }));

const comboboxes = {};
const COMBOBOXES = {
  pupil: {
    nouns: ["student", "students"],
    // Typing a name only one pupil has, then moving on, chooses them: one action fewer for a hurried teacher,
    // and never a guess (two or more matches still wait for a choice from the list).
    chooseOnlyMatchOnBlur: true,
    onChange() {
      // The main pupil cannot also be linked to their own incident.
      const chosen = comboboxes.pupil.getState();
      if (chosen && comboboxes["linked-pupils"]?.drop(chosen.id)) {
        const linked = comboboxes["linked-pupils"];
        linked.announce(`${chosen.label} was taken out of Linked Student/s: the incident is about them`);
      }
      changed();
    },
  },
  "linked-pupils": {
    multiple: true,
    nouns: ["student", "students"],
    exclude: () => [comboboxes.pupil?.value()],
    onChange: changed,
  },
  alert: { multiple: true, nouns: ["member of staff", "members of staff"], onChange: changed },
};
createAll('[data-module="combobox"]', (root) => {
  const id = root.querySelector('[role="combobox"]').id;
  comboboxes[id] = new Combobox(root, COMBOBOXES[id]);
  return comboboxes[id];
});

preventEnterSubmit(form);
form.addEventListener("input", changed);
form.addEventListener("change", changed);
window.addEventListener("pagehide", () => saveDraft());
window.addEventListener("lantern:logout", () => {
  sent = true; // nothing more is saved: the draft goes with the session
  clearTimeout(saveTimer);
});

const ROSTER_FAILED =
  "The names of pupils and staff could not be loaded, so the form cannot be sent yet. Reload the page to try again.";

// The roster is fetched once per page (the answer is never cached) and searched in the browser.
async function loadRoster() {
  const { ok, status, data } = await api("GET", "/roster");
  try {
    if (!ok) throw new Error(data.error);
    const staff = data.staff || [];
    const isHead = (member) => member.title === settings.head_of_school_title;
    const entry = (member) => ({ id: member.id, name: member.name, label: staffLabel(member) });
    const pupilIndex = buildPupilIndex(data);
    comboboxes.pupil?.setIndex(pupilIndex);
    comboboxes["linked-pupils"]?.setIndex(pupilIndex);
    comboboxes.alert?.setIndex(buildIndex(staff.filter((member) => !isHead(member)).map(entry)));
    comboboxes.alert?.setFixed(staff.filter(isHead).map(entry));
    assignTo?.setStaff(staff);
  } catch (error) {
    // A 401 is already sending the person to log in (requireUser); anything else is said on the page.
    if (status !== 401) showPageError(`${ROSTER_FAILED} ${ok ? "" : data.error}`.trim());
    if (ok) console.error("Lantern: the roster could not be read", error);
    assignTo?.fail();
  }
}
const roster = loadRoster();

// ---- The incident as the API takes it ----

function checkedValues(name) {
  return [...form.elements]
    .filter((control) => control.name === name && control.checked)
    .map((control) => control.value);
}

function fieldValue(name) {
  return form.elements.namedItem(name)?.value ?? "";
}

// "Other (please specify)": the text box each such sub-category reveals, and whether its box is ticked.
function specifyBoxes(root = form) {
  return [...root.querySelectorAll("input[data-specify]")].map((input) => {
    const category = input.closest("[data-category]").dataset.category;
    const ticked =
      checkedValues("categories").includes(category) &&
      checkedValues(`subcategories-${category}`).includes(input.dataset.option);
    return { id: input.dataset.specify, option: input.dataset.option, ticked, text: input.value };
  });
}

function buildIncident() {
  const categories = checkedValues("categories");
  const subcategories = {};
  const answers = {};
  // Only the ticked categories' sub-categories and questions: hidden answers are kept on the page
  // in case the box is ticked again, but never sent.
  for (const panel of form.querySelectorAll(".app-conditional[data-category]")) {
    const category = panel.dataset.category;
    if (!categories.includes(category)) continue;
    subcategories[category] = checkedValues(`subcategories-${category}`);
    for (const question of panel.querySelectorAll("[data-question]")) {
      const id = question.dataset.question;
      answers[id] = question.dataset.kind === "text" ? fieldValue(`question-${id}`) : checkedValues(`question-${id}`);
    }
    for (const box of specifyBoxes(panel)) if (box.ticked) answers[box.id] = box.text;
  }
  const planner = form.elements.namedItem("planner")?.checked
    ? { date: fieldValue("planner-date"), time: parseTime(fieldValue("planner-time")), note: fieldValue("planner-note") }
    : null;
  return {
    idempotency_key: idempotencyKey,
    pupil_id: comboboxes.pupil?.value() ?? null,
    linked_pupil_ids: comboboxes["linked-pupils"]?.value() ?? [],
    categories,
    subcategories,
    answers,
    date: fieldValue("date"),
    time: when ? when.value() : parseTime(fieldValue("time")),
    day: fieldValue("day"),
    session: fieldValue("session") || null,
    location: fieldValue("location") || null,
    account: fieldValue("account"),
    body_marks: bodyMap?.value() ?? [],
    status: fieldValue("status"),
    assigned_ids: assignTo?.value() ?? [],
    alerted_ids: comboboxes.alert?.value() ?? [],
    agencies: checkedValues("agencies"),
    planner,
    upload_ids: uploads?.value() ?? [],
  };
}

// Problems only the page can see: a name typed but never chosen, a file still on its way.
function pageProblems() {
  const fields = {};
  const unchosen = {
    pupil: "Choose the student from the list, or clear the box and type their name again",
    "linked-pupils": "Choose the linked student from the list, or clear the box",
    alert: "Choose the member of staff to alert from the list, or clear the box",
  };
  for (const [id, message] of Object.entries(unchosen)) {
    if (comboboxes[id]?.hasUnchosenText()) fields[id] = message;
  }
  if (uploads?.busy()) {
    fields.files = "Wait for your files to finish uploading, or remove them, before you add the incident";
  } else if (uploads?.failed().length) {
    fields.files = "Remove the files that could not be uploaded before you add the incident";
  }
  return fields;
}

// ---- Sending ----

function showSendNotice(message, { login = false } = {}) {
  document.getElementById("send-notice-text").textContent = message;
  document.getElementById("send-notice-login").hidden = !login;
  sendNotice.hidden = false;
  sendNotice.focus();
}

async function send() {
  if (sending || sent) return;
  sendNotice.hidden = true;
  clearErrors(form);
  // Every rule at once, in one summary: what only the page can see, then everything the server would refuse.
  const incident = buildIncident();
  const extra = { time_text: fieldValue("time").trim(), specify: specifyBoxes() };
  const problems = { ...checkIncident(incident, settings, extra), ...pageProblems() };
  if (Object.keys(problems).length) {
    if (problems["body-map"]) bodyMap?.setOpen(true);
    showErrors(form, { fields: problems });
    return;
  }

  sending = true;
  submitButton.disabled = true;
  retryButton.disabled = true;
  const label = submitButton.textContent;
  submitButton.textContent = "Adding incident…";
  const { ok, status, data } = await api("POST", "/incidents", incident);
  sending = false;
  submitButton.disabled = false;
  retryButton.disabled = false;
  submitButton.textContent = label;

  if (ok) {
    sent = true;
    clearTimeout(saveTimer);
    // A draft from an earlier form that was never restored or discarded is kept for next time.
    if (!draftPending) store?.clear();
    draftNotice.hidden = true;
    showReceipt(form, data, { timeZone: settings.time_zone });
    return;
  }
  saveDraft();
  if (status === 401) {
    showSendNotice(`Your session has ended, so your incident has not been sent yet. ${KEPT}`, { login: true });
  } else if (status === 0 || status >= 500) {
    const why =
      status === 0
        ? "Lantern could not be reached: check your connection, then choose Try again."
        : "Something went wrong in Lantern. Choose Try again in a moment.";
    showSendNotice(`Your incident has not been sent yet. ${KEPT} ${why}`);
  } else {
    if (data.fields?.["body-map"]) bodyMap?.setOpen(true);
    showErrors(form, data.fields && Object.keys(data.fields).length ? data : { error: data.error });
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
// The same incident and the same idempotency key: if the first try did reach Lantern, it is not added twice.
retryButton.addEventListener("click", send);
markReady(form);

// ---- Drafts ----

function snapshot() {
  return {
    key: idempotencyKey,
    controls: captureControls(form),
    parts: {
      pupil: comboboxes.pupil?.getState() ?? null,
      linked: comboboxes["linked-pupils"]?.getState() ?? [],
      alert: comboboxes.alert?.getState() ?? [],
      when: when?.getState() ?? null,
      assign: assignTo?.getState() ?? null,
      marks: bodyMap?.getState() ?? [],
      uploads: uploads?.getState() ?? [],
    },
  };
}

function saveDraft() {
  clearTimeout(saveTimer);
  // While an older draft waits for Restore or Discard, it is not overwritten by this form.
  if (!store || !dirty || draftPending || sent) return;
  store.save(snapshot());
}

async function restore(draft) {
  await roster; // the Assign to boxes come from the roster
  const parts = draft.parts || {};
  restoreControls(form, draft.controls);
  for (const reveal of reveals) reveal.refresh();
  when?.setState(parts.when);
  comboboxes.pupil?.setState(parts.pupil);
  comboboxes["linked-pupils"]?.setState(parts.linked);
  comboboxes.alert?.setState(parts.alert);
  assignTo?.setState(parts.assign);
  bodyMap?.setState(parts.marks);
  uploads?.setState(parts.uploads);
  characterCount?.refresh();
  if (typeof draft.key === "string" && draft.key) idempotencyKey = draft.key;
}

function settleDraft(button, action) {
  button.addEventListener("click", async () => {
    draftNotice.hidden = true;
    await action();
    draftPending = false;
    saveDraft();
    form.elements.namedItem("pupil").focus();
  });
}

requireUser().then((me) => {
  if (!me) return;
  enableLogout(document.getElementById("logout"));
  // One draft per signed-in person, so someone else signing in on this tab is never offered it.
  store = new DraftStore(me.user?.email || me.user?.name || "me");
  const draft = store.load();
  if (draft && !sent) {
    draftPending = true;
    document.getElementById("draft-saved-at").textContent = schoolTime(draft.saved_at, settings.time_zone);
    draftNotice.hidden = false;
    settleDraft(document.getElementById("draft-restore"), async () => {
      await restore(draft);
      dirty = true;
    });
    settleDraft(document.getElementById("draft-discard"), () => {
      store.clear();
      idempotencyKey = newKey();
    });
  } else {
    saveDraft();
  }
});
