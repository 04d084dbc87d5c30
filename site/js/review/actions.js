// The incident's actions: what was asked, of whom and by when, whether it is done, and for whoever may complete
// one (those it was given to, or the leadership team) a small "Mark as done" form with an optional note. The answer
// to marking one done is the whole review payload again, which the page redraws.

import { api } from "../api.js";
import { clearErrors, preventEnterSubmit, SESSION_ENDED, showErrors, whileBusy } from "../forms.js";
import { CharacterCount } from "../incident/character-count.js";
import { newKey } from "../incident/form-state.js";
import { element, summaryRow } from "./dom.js";
import { dateOnly, listText, shortDateTime } from "./format.js";

// The server's name for the note: its field errors come back under this name.
const NOTE_FIELD = "action-done-note";

const listOf = (value) => (Array.isArray(value) ? value : []);

export class ActionList {
  /** `onDone(payload)` redraws the page from the payload the server answers with. */
  constructor({ list, incidentId, timeZone, noteLimit, onDone }) {
    this.list = list;
    this.noteLimit = noteLimit;
    this.incidentId = incidentId;
    this.timeZone = timeZone;
    this.onDone = onDone;
    // One idempotency key per action's form, made when the form is first shown and kept until it is saved: a
    // second tap, or a retry after a network failure, marks the action done once.
    this.keys = new Map();
  }

  render(actions, { limited }) {
    // What someone was typing in a "Mark as done" form survives a redraw caused by another change on the page.
    const typed = new Map(
      [...this.list.querySelectorAll("textarea[data-action-id]")].map((note) => [note.dataset.actionId, note.value]),
    );
    const items = listOf(actions).map((action) => this.item(action, { limited, typed }));
    this.list.replaceChildren(...items);
  }

  item(action, { typed }) {
    const id = String(action.id ?? "");
    const done = action.done && typeof action.done === "object" ? action.done : null;
    const item = element("li", "app-timeline__item app-action");
    if (id) item.id = `action-${id}`;
    item.tabIndex = -1;
    item.dataset.done = String(Boolean(done));
    item.dataset.overdue = String(Boolean(action.overdue));

    const when = element("time", "", shortDateTime(action.at, this.timeZone));
    when.dateTime = String(action.at ?? "");
    item.append(element("p", "app-timeline__meta", "", "Added by ", String(action.by ?? ""), " on ", when));
    item.append(element("p", "app-account app-action__text", action.text ?? ""));

    const details = element("dl", "app-summary-list app-summary-list--compact");
    details.append(summaryRow("Date of action", action.date ? dateOnly(action.date, this.timeZone) : "Not given"));
    details.append(summaryRow("Tagged", listText(action.tagged, "No one")));
    if (action.follow_up) {
      const followUp = element("span", "", dateOnly(action.follow_up, this.timeZone));
      if (action.overdue) followUp.append(" ", element("strong", "app-tag app-tag--overdue app-action__overdue", "Overdue"));
      details.append(summaryRow("Follow up by", followUp));
    }
    item.append(details);

    if (done) {
      const note = String(done.note ?? "").trim();
      const by = `Done by ${done.by ?? "Unknown"} on ${dateOnly(done.at, this.timeZone)}`;
      item.append(element("p", "app-action__done", note ? `${by}: ${note}` : by));
    } else if (action.may_complete && id) {
      item.append(this.doneForm(action, typed.get(id) ?? ""));
    }
    return item;
  }

  doneForm(action, typed) {
    const id = String(action.id);
    if (!this.keys.has(id)) this.keys.set(id, newKey());
    const noteId = `${NOTE_FIELD}-${id}`;

    const form = element("form", "app-form app-action__done-form app-no-print");
    form.action = "/incident.html";
    form.method = "post";
    form.noValidate = true;

    const group = element("div", "app-form-group app-character-count");
    group.dataset.module = "character-count";
    group.dataset.maxlength = String(this.noteLimit);
    const label = element("label", "app-label", "What was done (optional)");
    label.htmlFor = noteId;
    const note = element("textarea", "app-input app-textarea");
    Object.assign(note, { id: noteId, name: NOTE_FIELD, rows: 3, value: typed });
    note.dataset.actionId = id;
    note.setAttribute("aria-describedby", `${noteId}-info`);
    const info = element("p", "app-hint app-character-count__message", `You can enter up to ${this.noteLimit.toLocaleString("en-GB")} characters`);
    info.id = `${noteId}-info`;
    group.append(label, note, info);

    const button = element("button", "app-button app-button--secondary app-action__done-button", "Mark as done");
    button.type = "submit";
    // Several actions may each have a button: say which one this is to a screen reader.
    const about = String(action.text ?? "").trim();
    if (about) button.append(element("span", "app-visually-hidden", `: ${about.length > 60 ? `${about.slice(0, 60)}…` : about}`));

    form.append(group, button);
    new CharacterCount(group);
    preventEnterSubmit(form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      whileBusy(form, () => this.markDone(form, id, note));
    });
    return form;
  }

  async markDone(form, id, note) {
    clearErrors(form);
    const path = `/incidents/${encodeURIComponent(this.incidentId)}/actions/${encodeURIComponent(id)}/done`;
    const { ok, status, data } = await api("POST", path, { note: note.value, idempotency_key: this.keys.get(id) });
    if (ok) {
      this.keys.delete(id);
      note.value = "";
      this.onDone(data);
      return;
    }
    if (status === 401) {
      showErrors(form, { error: SESSION_ENDED });
    } else if (data.fields && typeof data.fields === "object" && Object.keys(data.fields).length) {
      showErrors(form, data);
    } else {
      showErrors(form, { error: data.error });
    }
  }
}
