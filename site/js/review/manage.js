// "Update this incident": six small forms, each saved on its own. Every change is a new entry on the
// server (append-only); the answer to a save is the whole review payload again, which the page redraws.
// A 400 answer's fields are keyed by the inputs' names here, and shown the GOV.UK way.

import { api } from "../api.js";
import { clearErrors, preventEnterSubmit, SESSION_ENDED, showErrors, whileBusy } from "../forms.js";
import { CharacterCount } from "../incident/character-count.js";
import { buildIndex, Combobox } from "../incident/combobox.js";
import { newKey } from "../incident/form-state.js";
import { isLeadership, staffLabel } from "../incident/people.js";
import { ConditionalReveal } from "../incident/reveal.js";
import { element } from "./dom.js";
import { capitalise, todayInSchool } from "./format.js";

const byId = (id) => document.getElementById(id);

/** `<div class="app-checkboxes__item"><input …><label …></div>` (or the radio version). */
function choice(kind, { id, name, value, label, controls = "" }) {
  const block = kind === "radio" ? "app-radios" : "app-checkboxes";
  const item = element("div", `${block}__item`);
  const input = element("input", `${block}__input`);
  Object.assign(input, { type: kind, id, name, value });
  if (controls) input.dataset.ariaControls = controls;
  const text = element("label", `${block}__label`, label);
  text.htmlFor = id;
  item.append(input, text);
  return item;
}

// The first box of a group carries the group's id, so an error summary link for the group lands on it.
const groupId = (base, index) => (index === 0 ? base : `${base}-${index + 1}`);

function inputs(form, name) {
  return [...form.elements].filter((control) => control.name === name);
}

function ticked(form, name) {
  return inputs(form, name)
    .filter((control) => control.checked)
    .map((control) => control.value);
}

const text = (form, name) => form.elements.namedItem(name).value.trim();

/** "Safeguarding (Neglect, Self-harm); Behaviour (Defiance)": what the categories now are, sub-categories too. */
export function categoriesText(categories, subcategories) {
  const parts = (categories || []).map((name) => {
    const subs = subcategories?.[name] || [];
    return subs.length ? `${name} (${subs.join(", ")})` : String(name);
  });
  return parts.join("; ") || "none";
}

const sameList = (a, b) => JSON.stringify([...(a || [])].sort()) === JSON.stringify([...(b || [])].sort());

/** "A", "A and B", "A, B and C". */
function andList(items) {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function tick(form, name, values) {
  const wanted = new Set((values || []).map(String));
  for (const control of inputs(form, name)) control.checked = wanted.has(control.value);
}

export class ManageForms {
  /**
   * `onSaved(payload, {section, message})` redraws the page and says what changed; `section` is the id
   * of the part of the page that the save changed.
   */
  constructor({ incidentId, timeZone, onSaved }) {
    this.incidentId = incidentId;
    this.timeZone = timeZone;
    this.onSaved = onSaved;
    this.built = false;
    this.closed = false;
    this.incident = {};
    this.actionKey = newKey();
    this.forms = {
      action: {
        form: byId("action-form"),
        path: "actions",
        section: "actions-section",
        message: () => "Action added.",
        check: () =>
          this.tagged?.hasUnchosenText()
            ? { "action-tagged": "Choose the member of staff from the list, or clear the box" }
            : {},
        body: (form) => ({
          // One key per shown form (a new one once saved): a second tap or a retry adds the action once.
          idempotency_key: this.actionKey,
          text: form.elements.namedItem("action-text").value,
          date: form.elements.namedItem("action-date").value,
          tagged_ids: this.tagged?.value() ?? [],
          follow_up: form.elements.namedItem("action-follow-up").value || null,
        }),
        reset: (form) => {
          this.actionKey = newKey();
          form.elements.namedItem("action-text").value = "";
          form.elements.namedItem("action-date").value = todayInSchool(this.timeZone);
          form.elements.namedItem("action-follow-up").value = "";
          this.tagged?.setState([]);
          this.tagged?.close();
          this.characterCount?.refresh();
        },
      },
      recategorise: {
        form: byId("recategorise-form"),
        path: "recategorise",
        section: "details-section",
        message: (incident) =>
          `Categories changed to ${categoriesText(incident.categories, incident.subcategories)}. What was first recorded is kept.`,
        check: (form) => {
          const { categories, subcategories, reason } = this.forms.recategorise.body(form);
          const fields = {};
          if (!categories.length) fields["recategorise-categories"] = "Choose at least one category.";
          for (const name of categories) {
            if (!subcategories[name].length) fields[`recategorise-subcategories-${name}`] = `Choose at least one ${name} sub-category.`;
          }
          const now = this.incident;
          const unchanged =
            sameList(categories, now.categories) &&
            categories.every((name) => sameList(subcategories[name], now.subcategories?.[name]));
          if (unchanged && categories.length) {
            fields["recategorise-categories"] = "Change a category or sub-category first: these are the ones the incident has now.";
          }
          if (!reason.trim()) fields["recategorise-reason"] = "Enter why the categories are changing.";
          return fields;
        },
        body: (form) => {
          const categories = ticked(form, "recategorise-categories");
          const subcategories = {};
          for (const category of categories) subcategories[category] = ticked(form, `recategorise-subcategories-${category}`);
          return { categories, subcategories, reason: form.elements.namedItem("recategorise-reason").value };
        },
        reset: (form, incident) => {
          tick(form, "recategorise-categories", incident.categories);
          for (const category of this.categoryNames) {
            tick(form, `recategorise-subcategories-${category}`, incident.subcategories?.[category]);
          }
          form.elements.namedItem("recategorise-reason").value = "";
          this.categoryReveal?.refresh();
        },
      },
      concern: {
        form: byId("concern-form"),
        path: "concern-level",
        section: "details-section",
        message: (incident) =>
          incident.concern_level ? `Concern level changed to ${capitalise(incident.concern_level)}.` : "Concern level saved.",
        check: (form) => (ticked(form, "concern-level").length ? {} : { "concern-level": "Choose a concern level." }),
        body: (form) => ({
          level: ticked(form, "concern-level")[0] ?? null,
          reason: form.elements.namedItem("concern-reason").value,
        }),
        reset: (form, incident) => {
          tick(form, "concern-level", incident.concern_level ? [incident.concern_level] : []);
          form.elements.namedItem("concern-reason").value = "";
        },
      },
      assign: {
        form: byId("assign-form"),
        path: "assign",
        section: "details-section",
        message: (incident) => {
          const names = (incident.assigned || []).map((person) => person?.name).filter(Boolean);
          return names.length
            ? `Assigned to ${andList(names)}. Anyone newly assigned has been alerted.`
            : "Nobody is assigned to this incident now.";
        },
        body: (form) => ({
          assigned_ids: ticked(form, "assign-to"),
          reason: form.elements.namedItem("assign-reason").value,
        }),
        reset: (form, incident) => {
          tick(form, "assign-to", (incident.assigned || []).map((person) => person?.id));
          form.elements.namedItem("assign-reason").value = "";
        },
      },
      status: {
        form: byId("status-form"),
        path: "status",
        section: "review-tags",
        message: (incident) =>
          incident.status === "Closed"
            ? "Incident closed. The decision and the reason are in the history."
            : this.wasClosed
              ? "Incident reopened. The reason is in the history."
              : `Status changed to ${incident.status}.`,
        check: (form) => {
          const { status, decision, reason } = this.forms.status.body(form);
          const fields = {};
          if (this.closed) {
            if (!reason.trim()) fields["status-reason"] = "Enter why the incident is being reopened.";
            return fields;
          }
          if (status === this.incident.status) {
            fields["status-status"] = `The incident is already ${String(status).toLowerCase()}. To close it, choose Closed.`;
            return fields;
          }
          if (status === "Closed") {
            if (!decision.trim()) fields["status-decision"] = "Enter the outcome decision: what was decided about this incident.";
            if (!reason.trim()) fields["status-reason"] = "Enter the reason for closing the incident.";
          }
          return fields;
        },
        body: (form) => {
          // A closed incident can only be reopened: its form asks only why.
          const status = this.closed ? "Active" : (ticked(form, "status-status")[0] ?? null);
          return {
            status,
            // The decision is only asked for (and only sent) when closing.
            decision: status === "Closed" ? form.elements.namedItem("status-decision").value : "",
            reason: form.elements.namedItem("status-reason").value,
          };
        },
        reset: (form, incident) => {
          tick(form, "status-status", [incident.status]);
          form.elements.namedItem("status-decision").value = "";
          form.elements.namedItem("status-reason").value = "";
          this.statusReveal?.refresh();
        },
      },
      agencies: {
        form: byId("agencies-form"),
        path: "agencies",
        section: "details-section",
        message: (incident) =>
          incident.agencies?.length
            ? `Agencies involved: ${incident.agencies.join(", ")}.`
            : "No agencies are recorded as involved now.",
        body: (form) => ({ agencies: ticked(form, "agencies") }),
        reset: (form, incident) => tick(form, "agencies", incident.agencies),
      },
    };

    for (const definition of Object.values(this.forms)) {
      preventEnterSubmit(definition.form);
      definition.form.addEventListener("submit", (event) => {
        event.preventDefault();
        whileBusy(definition.form, () => this.send(definition));
      });
    }
  }

  /** The choices (staff, categories, agencies, levels) are drawn once: they do not change between saves. */
  build(choices) {
    if (this.built) return;
    this.built = true;
    const staff = Array.isArray(choices?.staff) ? choices.staff : [];

    const tagRoot = byId("action-form").querySelector('[data-module="combobox"]');
    this.tagged = new Combobox(tagRoot, { multiple: true, nouns: ["member of staff", "members of staff"] });
    this.tagged.setIndex(buildIndex(staff.map((member) => ({ id: member.id, name: member.name, label: staffLabel(member) }))));
    this.characterCount = new CharacterCount(byId("action-form").querySelector('[data-module="character-count"]'));

    const categories = Array.isArray(choices?.categories) ? choices.categories : [];
    this.categoryNames = categories.map((category) => String(category.name));
    const holder = element("div", "app-checkboxes");
    categories.forEach((category, index) => {
      const name = String(category.name);
      const panelId = `recategorise-conditional-${index + 1}`;
      holder.append(
        choice("checkbox", {
          id: groupId("recategorise-categories", index),
          name: "recategorise-categories",
          value: name,
          label: name,
          controls: panelId,
        }),
      );
      const panel = element("div", "app-conditional");
      panel.id = panelId;
      const group = element("div", "app-form-group");
      const fieldset = element("fieldset", "app-fieldset");
      fieldset.append(element("legend", "app-fieldset__legend app-fieldset__legend--s", `${name}: sub-categories`));
      const boxes = element("div", "app-checkboxes app-checkboxes--small");
      (category.subcategories || []).forEach((sub, subIndex) => {
        boxes.append(
          choice("checkbox", {
            id: groupId(`recategorise-subcategories-${index + 1}`, subIndex),
            name: `recategorise-subcategories-${name}`,
            value: String(sub),
            label: String(sub),
          }),
        );
      });
      fieldset.append(boxes);
      group.append(fieldset);
      panel.append(group);
      holder.append(panel);
    });
    byId("recategorise-options").replaceChildren(holder);
    this.categoryReveal = new ConditionalReveal(holder);

    const levels = Array.isArray(choices?.concern_levels) ? choices.concern_levels : [];
    byId("concern-options").replaceChildren(
      ...levels.map((level, index) =>
        choice("radio", { id: groupId("concern-level", index), name: "concern-level", value: String(level), label: capitalise(level) }),
      ),
    );

    const leaders = staff.filter(isLeadership).sort((a, b) => String(a.name).localeCompare(String(b.name), "en-GB"));
    byId("assign-options").replaceChildren(
      ...leaders.map((member, index) =>
        choice("checkbox", { id: groupId("assign-to", index), name: "assign-to", value: String(member.id), label: staffLabel(member) }),
      ),
    );
    byId("assign-options-none").hidden = leaders.length > 0;

    const agencies = Array.isArray(choices?.agencies) ? choices.agencies : [];
    byId("agencies-options").replaceChildren(
      ...agencies.map((agency, index) =>
        choice("checkbox", { id: groupId("agencies", index), name: "agencies", value: String(agency), label: String(agency) }),
      ),
    );

    this.statusReveal = new ConditionalReveal(byId("status-form").querySelector('[data-module="status-reveal"]'));
  }

  /**
   * A closed incident is read-only until it is reopened: every update form but Status is put away, and Status
   * becomes "Reopen this incident", asking only why (the reopening is recorded in the history like any change).
   */
  setClosed(closed) {
    this.closed = closed;
    for (const details of document.querySelectorAll("details[data-manage]")) {
      if (details.dataset.manage !== "status") {
        details.hidden = closed;
        if (closed) details.open = false;
      }
    }
    const form = byId("status-form");
    byId("status-heading").textContent = closed ? "Reopen this incident" : "Status";
    form.querySelector('[data-module="status-reveal"]').closest(".app-form-group").hidden = closed;
    byId("status-save").textContent = closed ? "Reopen incident" : "Save status";
    byId("status-reason-hint").textContent = closed
      ? "Why the incident is being reopened. This is kept in the history."
      : "Why the status is changing. A reason is needed to close an incident. This is kept in the history.";
  }

  /** Put every form back to the incident as it now is (first load). */
  resetAll(incident) {
    for (const name of Object.keys(this.forms)) this.reset(name, incident);
  }

  /** Put one form back to the incident as it now is; what was typed in the other forms is left alone. */
  reset(name, incident) {
    this.incident = incident || {};
    const definition = this.forms[name];
    clearErrors(definition.form);
    definition.reset(definition.form, incident || {});
  }

  async send(definition) {
    const { form } = definition;
    clearErrors(form);
    const problems = definition.check?.(form) || {};
    if (Object.keys(problems).length) {
      showErrors(form, { fields: problems });
      return;
    }
    const path = `/incidents/${encodeURIComponent(this.incidentId)}/${definition.path}`;
    const { ok, status, data } = await api("POST", path, definition.body(form));
    if (ok) {
      this.wasClosed = this.closed;
      const name = Object.keys(this.forms).find((key) => this.forms[key] === definition);
      const incident = data.incident || {};
      this.onSaved(data, { name, section: definition.section, message: definition.message(incident) });
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
