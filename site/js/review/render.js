// The review page drawn from GET /api/incidents/<id> (and from the answer to every change, which is
// the same payload): what was recorded, what has changed since, and who has seen it. Every piece of
// text from the server goes in with textContent.

import { api } from "../api.js";
import { whileBusy } from "../forms.js";
import { ActionList } from "./actions.js";
import { element, LEADERSHIP, link, pupilHref, summaryRow, textList } from "./dom.js";
import { capitalise, dateTime, fileSize, pupilText, shortDateTime } from "./format.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const byId = (id) => document.getElementById(id);

function svgElement(tag, attributes) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/** A pupil's name, a link to their chronology for those who may read it. */
function pupilNode(pupil, role) {
  const text = pupilText(pupil);
  return LEADERSHIP.has(role) && pupil?.id ? link(pupilHref(pupil.id), text) : document.createTextNode(text);
}

/** [["Behaviour", ["Defiance"]], …] in the order the categories were ticked. */
function categoryPairs(categories, subcategories) {
  return (Array.isArray(categories) ? categories : []).map((name) => [
    String(name),
    Array.isArray(subcategories?.[name]) ? subcategories[name].map(String) : [],
  ]);
}

function sameCategories(a, b) {
  const key = (pairs) =>
    JSON.stringify(pairs.map(([name, subs]) => [name, [...subs].sort()]).sort(([x], [y]) => x.localeCompare(y)));
  return key(a) === key(b);
}

function categoriesNode(pairs) {
  if (!pairs.length) return document.createTextNode("None");
  const list = element("ul", "app-list app-review__categories");
  for (const [name, subs] of pairs) {
    const item = element("li", "", "", element("strong", "", name));
    if (subs.length) item.append(`: ${subs.join(", ")}`);
    list.append(item);
  }
  return list;
}

function answerNode(value) {
  if (Array.isArray(value)) return textList(value.map(String), { none: "None" });
  return element("span", "app-account", String(value ?? ""));
}

/** Keep the reference for My planner, so its form can say which incident a new reminder is about. */
function rememberReference(id, reference) {
  try {
    if (id && reference) sessionStorage.setItem(`lantern:incident-reference:${id}`, reference);
  } catch {
    // Storage can be full or turned off (private browsing): the planner then says "the incident you came from".
  }
}

const hasAnswer = (value) => (Array.isArray(value) ? value.length > 0 : String(value ?? "").trim() !== "");

/** `/planner.html?incident=…`: a reminder about this incident in the reader's own planner. */
const plannerHref = (id) => `/planner.html?incident=${encodeURIComponent(String(id ?? ""))}`;

export class ReviewPage {
  /** `onActionDone(payload)` redraws the page after an action is marked as done (the answer is the payload). */
  constructor({ settings, role, incidentId, onActionDone }) {
    this.settings = settings;
    this.timeZone = settings.time_zone;
    this.role = role;
    this.questions = new Map((settings.questions || []).map((question) => [question.id, question]));
    this.actions = new ActionList({
      list: byId("incident-actions"),
      incidentId,
      timeZone: this.timeZone,
      noteLimit: Number(settings.done_note_max),
      onDone: onActionDone,
    });
  }

  render(payload) {
    const limited = Boolean(payload.limited);
    const incident = payload.incident || {};
    this.incident = incident;

    const reference = String(incident.reference ?? "");
    const heading = byId("review-heading");
    heading.replaceChildren(element("span", "app-caption", "Incident"), " ", element("span", "", reference));
    heading.lastChild.id = "incident-reference";
    document.title = document.title.replace(/^[^–]*–/, `Incident ${reference} –`);
    byId("print-reference").textContent = reference;

    for (const section of document.querySelectorAll("#review [data-full]")) section.hidden = limited;
    byId("review-contents").hidden = limited;
    byId("review-tags").hidden = limited;
    // A reminder in your own planner is for those who follow the whole incident up, not one action in it.
    byId("planner-link").hidden = limited;
    byId("add-reminder").href = plannerHref(incident.id);
    rememberReference(incident.id, reference);

    if (limited) {
      this.renderLimitedDetails(incident);
    } else {
      this.renderTags(incident);
      this.renderDetails(incident);
      this.renderAccount(incident);
      this.renderBodyMap(incident.body_marks);
      this.renderFiles(incident);
      this.renderHistory(payload.history);
    }
    this.renderActions(payload.actions, { limited });
    this.renderViewers(limited ? null : payload.viewers);

    const mayAct = Boolean(payload.may_act) && !limited;
    byId("manage-section").hidden = !mayAct;
    byId("contents-manage").hidden = !mayAct;

    byId("review-loading").hidden = true;
    byId("review").hidden = false;
  }

  renderTags(incident) {
    const status = byId("incident-status");
    status.textContent = String(incident.status ?? "");
    status.className = `app-tag ${incident.status === "Closed" ? "app-tag--grey" : "app-tag--active"}`;
    const concern = byId("incident-concern");
    concern.hidden = !incident.concern_level;
    concern.textContent = incident.concern_level ? `${capitalise(incident.concern_level)} concern` : "";
    concern.className = `app-tag app-tag--concern app-tag--${String(incident.concern_level || "none").replace(/[^a-z]/g, "")}`;
  }

  renderLimitedDetails(incident) {
    const pairs = categoryPairs(incident.categories, incident.subcategories);
    // Someone given an action needs to know which pupil it is about, and nothing more of the record.
    byId("incident-details").replaceChildren(
      summaryRow("Pupil", incident.pupil ? pupilText(incident.pupil) : "Not given", "incident-pupil"),
      summaryRow("Categories", categoriesNode(pairs), "incident-categories"),
      summaryRow("Date and time", dateTime(incident.occurred_at, this.timeZone), "incident-occurred-at"),
    );
  }

  renderDetails(incident) {
    const rows = [];
    rows.push(summaryRow("Pupil", pupilNode(incident.pupil, this.role), "incident-pupil"));
    const linked = Array.isArray(incident.linked_pupils) ? incident.linked_pupils : [];
    let linkedNode = document.createTextNode("None");
    if (linked.length) {
      linkedNode = element("ul", "app-list");
      for (const pupil of linked) linkedNode.append(element("li", "", "", pupilNode(pupil, this.role)));
    }
    rows.push(summaryRow("Linked pupils", linkedNode, "incident-linked-pupils"));

    const original = incident.original || {};
    const now = categoryPairs(incident.categories, incident.subcategories);
    const recorded = categoryPairs(original.categories ?? incident.categories, original.subcategories ?? incident.subcategories);
    if (sameCategories(now, recorded)) {
      rows.push(summaryRow("Categories", categoriesNode(now), "incident-categories"));
    } else {
      rows.push(summaryRow("Recorded as", categoriesNode(recorded), "incident-original-categories"));
      rows.push(summaryRow("Now", categoriesNode(now), "incident-categories"));
    }

    // The extra questions' answers as the member of staff gave them, with any later ones on top.
    const answers = { ...(original.answers || {}), ...(incident.answers || {}) };
    const order = [...this.questions.keys(), ...Object.keys(answers).filter((id) => !this.questions.has(id))];
    for (const id of order) {
      if (!(id in answers) || !hasAnswer(answers[id])) continue;
      // "Other (please specify)" answers (`bullying_other`) are not questions of their own.
      const label = this.questions.get(id)?.label ?? (id.endsWith("_other") ? "Other (please specify)" : id);
      rows.push(summaryRow(label, answerNode(answers[id]), `incident-answer-${id}`));
    }

    rows.push(summaryRow("Date and time", dateTime(incident.occurred_at, this.timeZone), "incident-occurred-at"));
    rows.push(summaryRow("Day", incident.day || "Not given", "incident-day"));
    rows.push(summaryRow("Session", incident.session || "Not given", "incident-session"));
    rows.push(summaryRow("Location", incident.location || "Not given", "incident-location"));
    rows.push(summaryRow("Status", incident.status || "", "incident-status-value"));
    rows.push(
      summaryRow("Concern level", incident.concern_level ? capitalise(incident.concern_level) : "Not set", "incident-concern-level"),
    );
    const names = (people) => (Array.isArray(people) ? people.map((person) => person?.name ?? "") : []);
    rows.push(summaryRow("Assigned to", textList(names(incident.assigned), { none: "No one" }), "incident-assigned"));
    rows.push(summaryRow("Alerted", textList(names(incident.alerted), { none: "No one" }), "incident-alerted"));
    rows.push(summaryRow("Agencies involved", textList(incident.agencies, { none: "None" }), "incident-agencies"));
    byId("incident-details").replaceChildren(...rows);
  }

  renderAccount(incident) {
    byId("incident-account").textContent = String(incident.account ?? "");
    const who = incident.reporter?.name || "Unknown";
    byId("incident-recorded").textContent = `Recorded by ${who} on ${dateTime(incident.recorded_at, this.timeZone)}`;
  }

  renderBodyMap(marks) {
    const list = (Array.isArray(marks) ? marks : []).filter((mark) => mark && typeof mark === "object");
    byId("body-marks-none").hidden = list.length > 0;
    byId("body-map-drawing").hidden = list.length === 0;
    const groups = new Map([...document.querySelectorAll("[data-marks]")].map((group) => [group.dataset.marks, group]));
    for (const group of groups.values()) group.replaceChildren();

    const items = list.map((mark, index) => {
      const number = String(index + 1);
      const group = groups.get(mark.view);
      const x = Number(mark.x);
      const y = Number(mark.y);
      if (group && Number.isFinite(x) && Number.isFinite(y)) {
        const dot = svgElement("g", { class: "app-body-map__dot" });
        dot.append(svgElement("circle", { cx: x, cy: y, r: 7 }));
        const label = svgElement("text", { x, y, "text-anchor": "middle", "dominant-baseline": "central" });
        label.textContent = number;
        dot.append(label);
        group.append(dot);
      }
      // "left forearm, front": the server's name may already end with the view.
      const name = String(mark.name || mark.region || "");
      const place = !mark.view || name.endsWith(`, ${mark.view}`) ? name : `${name}, ${mark.view}`;
      const note = String(mark.note ?? "").trim();
      const item = element("li", "app-body-map__mark");
      const text = element("p", "app-body-map__mark-name", "", element("span", "app-body-map__number", number), ` ${place}`);
      if (note) text.append(element("span", "app-body-map__mark-note", ` — ${note}`));
      item.append(text);
      return item;
    });
    byId("body-marks").replaceChildren(...items);
  }

  renderFiles(incident) {
    const files = Array.isArray(incident.files) ? incident.files : [];
    byId("files-none").hidden = files.length > 0;
    const items = files.map((file) => {
      const item = element("li", "app-files__item");
      const button = element("button", "app-button app-button--secondary app-files__button", `Download ${file.name ?? ""}`);
      button.type = "button";
      button.dataset.index = String(file.index);
      const size = fileSize(file.size);
      const detail = element("span", "app-hint app-files__size", size);
      const problem = element("p", "app-error-message app-files__error");
      problem.setAttribute("role", "alert");
      problem.hidden = true;
      button.addEventListener("click", () =>
        whileBusy(button, async () => {
          problem.hidden = true;
          const path = `/incidents/${encodeURIComponent(incident.id)}/files/${encodeURIComponent(file.index)}`;
          const { ok, data } = await api("GET", path);
          if (ok && typeof data.url === "string" && data.url) {
            location.assign(data.url);
          } else {
            problem.textContent = ok ? "The file could not be found. Try again in a minute." : data.error;
            problem.hidden = false;
          }
        }),
      );
      // On paper the buttons are gone: the file's name is printed instead.
      item.append(button, element("span", "app-print-only", `${file.name ?? ""}${size ? ` (${size})` : ""}`));
      if (size) item.append(detail);
      item.append(problem);
      return item;
    });
    byId("incident-files").replaceChildren(...items);
  }

  renderHistory(history) {
    const entries = Array.isArray(history) ? history : [];
    byId("history-none").hidden = entries.length > 0;
    const items = entries.map((entry) => {
      const item = element("li", "app-timeline__item");
      item.dataset.kind = String(entry.kind ?? "");
      const when = element("time", "", shortDateTime(entry.at, this.timeZone));
      when.dateTime = String(entry.at ?? "");
      item.append(
        element("p", "app-timeline__meta", "", when, ` · ${entry.by ?? ""}`),
        element("p", "app-timeline__summary", entry.summary ?? ""),
      );
      if (entry.reason) item.append(element("p", "app-timeline__text", "", element("strong", "", "Reason:"), ` ${entry.reason}`));
      return item;
    });
    byId("incident-history").replaceChildren(...items);
  }

  renderActions(actions, { limited }) {
    const list = Array.isArray(actions) ? actions : [];
    byId("actions-guidance").hidden = !limited;
    byId("actions-none").hidden = list.length > 0;
    byId("actions-none").textContent = limited ? "You are not tagged in any action on this incident." : "No actions yet.";
    this.actions.render(list, { limited });
  }

  renderViewers(viewers) {
    const show = Array.isArray(viewers);
    byId("viewers-section").hidden = !show;
    byId("contents-viewers").hidden = !show;
    if (!show) return;
    byId("viewers-none").hidden = viewers.length > 0;
    byId("viewers-table").hidden = viewers.length === 0;
    const rows = viewers.map((view) => {
      const row = element("tr", "app-table__row");
      const when = element("time", "", shortDateTime(view.at, this.timeZone));
      when.dateTime = String(view.at ?? "");
      row.append(
        element("td", "app-table__cell", "", when),
        element("td", "app-table__cell", view.name ?? ""),
        element("td", "app-table__cell", view.what ?? ""),
      );
      return row;
    });
    byId("viewers-body").replaceChildren(...rows);
  }
}
