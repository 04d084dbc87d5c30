// A pupil's chronology: every incident about them or linking them, in the order things happened (newest or
// oldest first), each with what a meeting needs and, beneath it, its actions, decisions and changes in their own
// time order. Filters reload the first page; "Show older" adds the next page underneath. Print shows every account
// in full; "Download PDF" asks the server for the whole chronology as a PDF (audited).

import { api } from "./api.js";
import { clearErrors, preventEnterSubmit, showErrors, whileBusy } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { element, incidentHref, link, pupilHref, showNoAccess } from "./review/dom.js";
import { capitalise, dateOnly, listText, shortDateTime } from "./review/format.js";
import { printedBy } from "./review/print.js";
import { saveBase64 } from "./reports/download.js";

const settings = JSON.parse(document.getElementById("chronology-settings").textContent);
const timeZone = settings.time_zone;
const params = new URLSearchParams(location.search);
const pupilId = params.get("id") || "";

const byId = (id) => document.getElementById(id);
const filtersForm = byId("chronology-filters");
const list = byId("chronology-list");
const more = byId("chronology-more");
const loading = byId("pupil-loading");

const KINDS = { incident: "Incident", action: "Action", "action done": "Action done", recategorised: "Re-categorised", status: "Status", "concern level": "Concern level", assigned: "Assigned", agencies: "Agencies" };
const LONG_ACCOUNT = 320; // characters: longer accounts show their opening, with "Show all"

let filters = {
  category: params.get("category") || "",
  from: params.get("from") || "",
  to: params.get("to") || "",
  order: params.get("order") === "oldest" ? "oldest" : "",
};
let next = null;
let scope = null;

function noAccess() {
  showNoAccess({ heading: byId("pupil-heading"), hide: [loading, byId("pupil-view"), byId("pupil-back")] });
}

function query(cursor, suffix = "") {
  const search = new URLSearchParams();
  // Filters that are not set are left out of the address, not sent empty.
  for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value);
  if (cursor) search.set("cursor", cursor);
  const text = search.toString();
  return `/pupils/${encodeURIComponent(pupilId)}/chronology${suffix}${text ? `?${text}` : ""}`;
}

function rangeText() {
  const { from, to } = filters;
  if (from && to) return `${dateOnly(from)} to ${dateOnly(to)}`;
  if (from) return `From ${dateOnly(from)}`;
  if (to) return `Up to ${dateOnly(to)}`;
  return "All dates";
}

function describeFilters() {
  const category = filters.category || "All categories";
  const range = rangeText().replace(/^(From|Up to|All dates)/, (words) => words.toLowerCase());
  const order = filters.order === "oldest" ? " Oldest first." : "";
  byId("chronology-showing").textContent = `Showing ${category.replace(/^All/, "all")}, ${range}.${order}`;
  byId("print-range").textContent = `${rangeText()} · ${category}${filters.order === "oldest" ? " · oldest first" : ""}`;
}

/** Say plainly which categories are shown; never whether anything else exists. */
function describeScope(data) {
  const readable = Array.isArray(data.readable_categories) ? data.readable_categories.map(String) : [];
  scope = { all: data.all_categories === true, readable };
  byId("chronology-scope").textContent = scope.all
    ? "This chronology shows every category."
    : `This chronology shows only the categories you have access to: ${listText(readable)}.`;
  const select = filtersForm.elements.namedItem("category");
  const chosen = filters.category;
  select.replaceChildren(select.options[0], ...readable.map((name) => {
    const option = element("option", "", name);
    option.value = name;
    return option;
  }));
  select.value = readable.includes(chosen) ? chosen : "";
  byId("chronology-empty").textContent = scope.all
    ? "Nothing has been recorded for these filters."
    : "Nothing has been recorded for these filters in the categories you have access to.";
}

function setFilterControls() {
  filtersForm.elements.namedItem("category").value = filters.category;
  filtersForm.elements.namedItem("from").value = filters.from;
  filtersForm.elements.namedItem("to").value = filters.to;
  filtersForm.elements.namedItem("order").value = filters.order;
}

function rememberFilters() {
  // The address keeps the filters, so a reload or a link shows the same chronology.
  const search = new URLSearchParams({ id: pupilId });
  for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value);
  history.replaceState(null, "", `${location.pathname}?${search}`);
}

function renderPupil(pupil) {
  const name = String(pupil.name ?? "");
  byId("pupil-heading").replaceChildren(element("span", "app-caption", "Chronology"), " ", element("span", "", name));
  byId("pupil-heading").lastChild.id = "pupil-name";
  document.title = document.title.replace(/^[^–]*–/, `${name} – Chronology –`);
  byId("print-pupil-name").textContent = name;
  byId("pupil-year-group").textContent = pupil.year_group || "Not recorded";
  byId("pupil-class").textContent = pupil.class_name || "Not recorded";
  byId("pupil-date-of-birth").textContent = pupil.date_of_birth ? dateOnly(pupil.date_of_birth) : "Not recorded";
  const flags = Array.isArray(pupil.flags) ? pupil.flags.filter(Boolean) : [];
  byId("pupil-flags").replaceChildren(...flags.map((flag) => element("li", "app-flags__item", String(flag))));
  byId("pupil-flags").hidden = flags.length === 0;
  byId("pupil-flags-none").hidden = flags.length > 0;
}

function fact(list, key, value) {
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
  const dd = element("dd");
  if (value instanceof Node) dd.append(value);
  else dd.textContent = String(value);
  list.append(element("dt", "", key), dd);
}

function categoriesText(entry) {
  const subs = entry.subcategories && typeof entry.subcategories === "object" ? entry.subcategories : {};
  return (Array.isArray(entry.categories) ? entry.categories : [])
    .map((name) => {
      const chosen = Array.isArray(subs[name]) ? subs[name] : [];
      return chosen.length ? `${name} (${chosen.join(", ")})` : String(name);
    })
    .join("; ");
}

function pupilsNode(pupils) {
  const others = (Array.isArray(pupils) ? pupils : []).filter((p) => !p.this);
  if (!others.length) return null;
  const span = element("span");
  others.forEach((pupil, index) => {
    if (index) span.append("; ");
    span.append(link(pupilHref(pupil.id), String(pupil.name ?? "")), pupil.involvement === "subject" ? " (the pupil it is about)" : " (linked)");
  });
  return span;
}

function accountNode(entry) {
  const text = String(entry.account ?? "");
  const box = element("div", "app-chronology__account-box");
  const account = element("p", "app-account app-chronology__account", text);
  box.append(element("p", "app-chronology__label", "", element("strong", "", "Account")), account);
  if (text.length > LONG_ACCOUNT) {
    // The whole account is in the page (print shows it all); on screen its opening, until "Show all".
    account.classList.add("app-chronology__account--clamped");
    const more = element("button", "app-button app-button--secondary app-button--small app-no-print", "Show all");
    more.type = "button";
    more.setAttribute("aria-expanded", "false");
    more.addEventListener("click", () => {
      const clamped = account.classList.toggle("app-chronology__account--clamped");
      more.textContent = clamped ? "Show all" : "Show less";
      more.setAttribute("aria-expanded", String(!clamped));
    });
    box.append(more);
  }
  return box;
}

function timelineItem(item) {
  const row = element("li", "app-chronology__event");
  row.dataset.kind = String(item.kind ?? "") === "action" ? "action" : "change";
  const when = element("time", "", shortDateTime(item.at, timeZone));
  when.dateTime = String(item.at ?? "");
  row.append(
    element("p", "app-timeline__meta", "", when, " ", element("strong", "app-tag app-tag--kind", KINDS[item.kind] || capitalise(item.kind)), ` ${String(item.by ?? "")}`),
    element("p", "app-timeline__summary", String(item.text ?? "")),
  );
  return row;
}

function entryItem(entry) {
  const item = element("li", "app-timeline__item app-chronology__entry app-chronology__entry--incident");
  item.dataset.kind = "incident";
  if (entry.incident_id) item.dataset.incidentId = String(entry.incident_id);
  item.tabIndex = -1;

  const when = element("time", "", shortDateTime(entry.at, timeZone));
  when.dateTime = String(entry.at ?? "");
  const meta = element("p", "app-timeline__meta", "", when, " ", element("strong", "app-tag app-tag--kind", "Incident"));
  if (entry.involvement === "linked") meta.append(" ", element("strong", "app-tag app-tag--grey", "Linked pupil"));
  item.append(meta);

  const title = [entry.reference, listText(entry.categories)].filter(Boolean).join(" — ") || "Incident";
  item.append(element("p", "app-chronology__title", "", entry.incident_id ? link(incidentHref(entry.incident_id), title) : title));

  const facts = element("dl", "app-chronology__facts");
  fact(facts, "Categories", categoriesText(entry));
  fact(facts, "Where and when", [entry.location, entry.session, entry.day].filter(Boolean).join(" · "));
  fact(facts, "Recorded by", entry.reporter ? `${entry.reporter}, ${shortDateTime(entry.recorded_at, timeZone)}` : "");
  fact(facts, "Status", [entry.status, entry.concern_level ? `concern level ${entry.concern_level}` : ""].filter(Boolean).join(" · "));
  fact(facts, "Other pupils", pupilsNode(entry.pupils));
  fact(facts, "Body map", Array.isArray(entry.body_marks) ? entry.body_marks.map(String).join("; ") : "");
  item.append(facts, accountNode(entry));

  const events = Array.isArray(entry.timeline) ? entry.timeline : [];
  if (events.length) {
    const list = element("ol", "app-chronology__timeline");
    list.setAttribute("aria-label", `Actions, decisions and changes for ${String(entry.reference ?? "this incident")}`);
    list.append(...events.map(timelineItem));
    item.append(list);
  }
  return item;
}

async function load({ append }) {
  const { ok, status, data } = await api("GET", query(append ? next : null));
  if (status === 401) {
    location.replace(`/index.html?next=${encodeURIComponent(location.pathname + location.search)}`);
    return false;
  }
  if (status === 403 || status === 404) {
    noAccess();
    return false;
  }
  if (!ok) {
    if (status === 400 && data.fields && Object.keys(data.fields).length && !append) {
      showErrors(filtersForm, data);
    } else {
      const box = byId("chronology-error");
      box.textContent = data.error;
      box.hidden = false;
      box.focus();
    }
    return false;
  }
  byId("chronology-error").hidden = true;
  if (data.pupil) renderPupil(data.pupil);
  if (!append) describeScope(data);
  const entries = Array.isArray(data.entries) ? data.entries : [];
  const items = entries.map(entryItem);
  if (append) list.append(...items);
  else list.replaceChildren(...items);
  next = typeof data.next === "string" && data.next ? data.next : null;
  more.hidden = !next;
  byId("print-incomplete").hidden = !next;
  byId("chronology-empty").hidden = list.children.length > 0;
  describeFilters();
  loading.hidden = true;
  byId("pupil-view").hidden = false;
  return items;
}

async function downloadPdf() {
  const { ok, status, data } = await api("GET", query(null, "/pdf"));
  const box = byId("chronology-error");
  if (!ok || typeof data.pdf !== "string") {
    box.textContent = status === 403 ? "You do not have access to this record." : data.error;
    box.hidden = false;
    box.focus();
    return;
  }
  saveBase64(String(data.filename || "chronology.pdf"), data.pdf, "application/pdf");
  byId("chronology-status").textContent = "The PDF has been downloaded.";
}

function checkFilters() {
  const fields = {};
  if (filters.from && filters.to && filters.from > filters.to) fields.to = "The ‘To’ date must be the same as or after the ‘From’ date";
  return fields;
}

async function applyFilters() {
  clearErrors(filtersForm);
  filters = {
    category: filtersForm.elements.namedItem("category").value,
    from: filtersForm.elements.namedItem("from").value,
    to: filtersForm.elements.namedItem("to").value,
    order: filtersForm.elements.namedItem("order").value,
  };
  const problems = checkFilters();
  if (Object.keys(problems).length) {
    showErrors(filtersForm, { fields: problems });
    return;
  }
  rememberFilters();
  const items = await load({ append: false });
  if (items) {
    byId("chronology-status").textContent = `${list.children.length} ${list.children.length === 1 ? "entry" : "entries"} shown`;
    byId("chronology-heading").focus();
  }
}

requireUser().then(async (me) => {
  if (!me) {
    loading.hidden = true;
    return;
  }
  enableLogout(byId("logout"));
  printedBy(me.user?.name, timeZone);
  if (!pupilId) {
    noAccess();
    return;
  }
  setFilterControls();
  preventEnterSubmit(filtersForm);
  filtersForm.addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(filtersForm, applyFilters);
  });
  byId("chronology-clear").addEventListener("click", () => {
    filtersForm.reset();
    whileBusy(filtersForm, applyFilters);
  });
  more.addEventListener("click", () =>
    whileBusy(more, async () => {
      const items = await load({ append: true });
      if (items && items.length) {
        // Focus the first of the older entries, so keyboard and screen reader users carry on from there.
        items[0].focus();
        byId("chronology-status").textContent = `${items.length} older ${items.length === 1 ? "entry" : "entries"} shown`;
      }
    }),
  );
  byId("chronology-print").addEventListener("click", () => window.print());
  byId("chronology-pdf").addEventListener("click", (event) => whileBusy(event.currentTarget, downloadPdf));
  if (Object.keys(checkFilters()).length) filters = { ...filters, from: "", to: "" };
  await load({ append: false });
});
