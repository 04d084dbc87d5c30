// A pupil's chronology: every incident about them or linking them, with the actions and changes since,
// newest first and paged. Filters reload the first page; "Show older" adds the next page underneath.

import { api } from "./api.js";
import { clearErrors, preventEnterSubmit, showErrors, whileBusy } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { element, incidentHref, link, showNoAccess } from "./review/dom.js";
import { dateOnly, listText, shortDateTime } from "./review/format.js";
import { printedBy } from "./review/print.js";

const settings = JSON.parse(document.getElementById("chronology-settings").textContent);
const timeZone = settings.time_zone;
const params = new URLSearchParams(location.search);
const pupilId = params.get("id") || "";

const byId = (id) => document.getElementById(id);
const filtersForm = byId("chronology-filters");
const list = byId("chronology-list");
const more = byId("chronology-more");
const loading = byId("pupil-loading");

const KINDS = { incident: "Incident", action: "Action", change: "Change" };

let filters = { category: params.get("category") || "", from: params.get("from") || "", to: params.get("to") || "" };
let next = null;

function noAccess() {
  showNoAccess({ heading: byId("pupil-heading"), hide: [loading, byId("pupil-view"), byId("pupil-back")] });
}

function query(cursor) {
  const search = new URLSearchParams();
  // Filters that are not set are left out of the address, not sent empty.
  for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value);
  if (cursor) search.set("cursor", cursor);
  const text = search.toString();
  return `/pupils/${encodeURIComponent(pupilId)}/chronology${text ? `?${text}` : ""}`;
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
  byId("chronology-showing").textContent = `Showing ${category.replace(/^All/, "all")}, ${range}.`;
  byId("print-range").textContent = `${rangeText()} · ${category}`;
}

function setFilterControls() {
  filtersForm.elements.namedItem("category").value = filters.category;
  filtersForm.elements.namedItem("from").value = filters.from;
  filtersForm.elements.namedItem("to").value = filters.to;
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

function entryItem(entry) {
  const item = element("li", `app-timeline__item app-chronology__entry app-chronology__entry--${String(entry.kind || "").replace(/[^a-z]/g, "")}`);
  item.dataset.kind = String(entry.kind ?? "");
  if (entry.incident_id) item.dataset.incidentId = String(entry.incident_id);
  item.tabIndex = -1;

  const when = element("time", "", shortDateTime(entry.at, timeZone));
  when.dateTime = String(entry.at ?? "");
  const meta = element("p", "app-timeline__meta", "", when, " ", element("strong", "app-tag app-tag--kind", KINDS[entry.kind] || "Entry"));
  if (entry.involvement === "linked") meta.append(" ", element("strong", "app-tag app-tag--grey", "Linked pupil"));
  item.append(meta);

  const categories = listText(entry.categories);
  const title = [entry.reference, categories].filter(Boolean).join(" — ") || "Incident";
  const heading = element("p", "app-chronology__title");
  heading.append(entry.incident_id ? link(incidentHref(entry.incident_id), title) : title);
  item.append(heading);
  if (entry.summary) item.append(element("p", "app-timeline__summary", entry.summary));
  if (entry.text) item.append(element("p", "app-account app-chronology__text", entry.text));
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
  if (Object.keys(checkFilters()).length) filters = { category: filters.category, from: "", to: "" };
  await load({ append: false });
});
