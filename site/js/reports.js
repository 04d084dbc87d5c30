// Reports: where and when concerns cluster, for what the reader may read. Filters reload the report; each chart
// is drawn in SVG beside the table it pictures (the table is for screen readers and copying, and downloads as CSV).

import { api } from "./api.js";
import { clearErrors, preventEnterSubmit, showErrors, whileBusy } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { element, LEADERSHIP, link, pupilHref, showNoAccess } from "./review/dom.js";
import { dateOnly, listText } from "./review/format.js";
import { printedBy } from "./review/print.js";
import { barChart, columnChart, heatMap } from "./reports/charts.js";
import { saveCsv, saveFile } from "./reports/download.js";

const settings = JSON.parse(document.getElementById("report-settings").textContent);
const timeZone = settings.time_zone;
const byId = (id) => document.getElementById(id);
const form = byId("report-filters");
const charts = byId("report-charts");
const FIELDS = ["preset", "from", "to", "category", "subcategory", "year_group", "class_name", "flag", "location", "session", "status", "interval"];

let filters = Object.fromEntries(FIELDS.map((key) => [key, new URLSearchParams(location.search).get(key) || ""]));
let current = null;

function query(extra = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...extra })) if (value) search.set(key, value);
  return search.toString();
}

function options(select, items, { keepFirst = true } = {}) {
  const first = keepFirst ? select.options[0] : null;
  const nodes = items.map(({ value, label }) => {
    const option = element("option", "", label);
    option.value = value;
    return option;
  });
  select.replaceChildren(...(first ? [first] : []), ...nodes);
}

const plainOptions = (values) => values.map((value) => ({ value, label: value }));

function fillChoices(choices) {
  options(form.elements.namedItem("preset"), choices.presets.map((p) => ({ value: p.value, label: p.label })), { keepFirst: false });
  options(form.elements.namedItem("category"), plainOptions(choices.categories.map((c) => c.name)));
  options(form.elements.namedItem("year_group"), plainOptions(choices.year_groups));
  options(form.elements.namedItem("class_name"), plainOptions(choices.classes));
  options(form.elements.namedItem("flag"), choices.flags);
  options(form.elements.namedItem("location"), plainOptions(choices.locations));
  options(form.elements.namedItem("session"), plainOptions(choices.sessions));
  options(form.elements.namedItem("status"), plainOptions(choices.statuses));
  fillSubcategories();
}

function fillSubcategories() {
  const category = form.elements.namedItem("category").value;
  const chosen = (current?.choices.categories || []).find((c) => c.name === category);
  const select = form.elements.namedItem("subcategory");
  options(select, plainOptions(chosen ? chosen.subcategories : []));
  select.disabled = !chosen;
}

function showCustomDates() {
  const custom = form.elements.namedItem("preset").value === "custom";
  byId("report-custom-from").hidden = !custom;
  byId("report-custom-to").hidden = !custom;
}

function setControls() {
  for (const key of FIELDS) {
    const control = form.elements.namedItem(key);
    if (!control) continue;
    control.value = filters[key] || "";
    if (key === "category") fillSubcategories();
  }
  showCustomDates();
}

function readControls() {
  const read = Object.fromEntries(FIELDS.map((key) => [key, form.elements.namedItem(key)?.value || ""]));
  if (read.preset !== "custom") {
    read.from = "";
    read.to = "";
  }
  return read;
}

const periodText = (report) => `${dateOnly(report.period.from)} to ${dateOnly(report.period.to)}`;

function filterText(report) {
  const f = report.filters;
  const flag = report.choices.flags.find((item) => item.value === f.flag)?.label;
  const parts = [
    f.category && (f.subcategory ? `${f.category}: ${f.subcategory}` : f.category),
    f.year_group,
    f.class_name && `class ${f.class_name}`,
    flag,
    f.location,
    f.session,
    f.status,
  ].filter(Boolean);
  return parts.length ? `Only: ${parts.join(", ")}.` : "No other filters.";
}

function renderSummary(report) {
  const names = report.choices.categories.map((c) => c.name);
  const all = report.all_categories === true;
  byId("report-scope").textContent = all
    ? `${periodText(report)}. Counting incidents in every category. ${filterText(report)}`
    : `${periodText(report)}. Counting only incidents in the categories you have access to: ${listText(names)}. ${filterText(report)}`;
  const change = report.total - report.previous.total;
  const compare = `${change === 0 ? "the same as" : `${Math.abs(change)} ${change > 0 ? "more than" : "fewer than"}`} the ${report.previous.total} in the ${report.period.days} days before (${dateOnly(report.previous.from)} to ${dateOnly(report.previous.to)})`;
  const rows = [
    ["Incidents", String(report.total), compare],
    ["Still active", String(report.open), ""],
    ["Pupils involved", String(report.pupils), "as the pupil it is about or a linked pupil"],
  ];
  byId("report-headline").replaceChildren(
    ...rows.map(([key, value, note]) => {
      const row = element("div", "app-report-headline__item");
      const dd = element("dd", "app-report-headline__value", value);
      dd.dataset.headline = key;
      row.append(element("dt", "app-report-headline__key", key), dd);
      if (note) row.append(element("dd", "app-report-headline__note", note));
      return row;
    }),
  );
  byId("print-period").textContent = periodText(report);
  byId("print-filters").textContent = `${filterText(report)} ${all ? "Every category." : `Categories: ${listText(names)}.`}`;
}

function table(id, caption, headers, rows) {
  const node = element("table", "app-table app-report__table");
  node.id = `${id}-table`;
  node.append(element("caption", "app-visually-hidden", caption));
  const head = element("thead");
  const headRow = element("tr");
  for (const header of headers) {
    const th = element("th", "app-table__header", header);
    th.scope = "col";
    headRow.append(th);
  }
  head.append(headRow);
  const body = element("tbody");
  for (const cells of rows) {
    const tr = element("tr");
    cells.forEach((cell, index) => {
      const td = element(index === 0 ? "th" : "td", index === 0 ? "app-table__header" : "app-table__cell app-table__cell--numeric");
      if (index === 0) td.scope = "row";
      if (cell instanceof Node) td.append(cell);
      else td.textContent = String(cell);
      tr.append(td);
    });
    body.append(tr);
  }
  node.append(head, body);
  return node;
}

function section({ id, title, note, chart, headers, rows, csvRows, className = "" }) {
  const box = element("section", `app-section app-report ${className}`.trim());
  box.id = id;
  box.dataset.chart = id;
  const heading = element("h2", "app-heading-m", title);
  heading.id = `${id}-heading`;
  box.setAttribute("aria-labelledby", heading.id);
  box.append(heading);
  if (note) box.append(element("p", "app-body-text app-report__note", note));
  const body = element("div", "app-report__body");
  const figure = element("figure", "app-report__figure");
  figure.append(chart);
  figure.setAttribute("aria-hidden", "true"); // the table beside it holds the same figures, readable and copyable
  body.append(figure, table(id, title, headers, rows));
  box.append(body);
  const download = element("button", "app-button app-button--secondary app-button--small app-no-print", "Download this table (CSV)");
  download.type = "button";
  download.addEventListener("click", () => saveCsv(`lantern-${id}-${current.report.period.from}-to-${current.report.period.to}.csv`, [headers, ...csvRows]));
  box.append(download);
  return box;
}

function simple(id, title, rows, firstHeader, { note, labelWidth } = {}) {
  const data = rows.map((row) => [row.label, row.count]);
  return section({
    id,
    title,
    note,
    chart: barChart(rows, { labelledBy: `${id}-heading`, labelWidth }),
    headers: [firstHeader, "Incidents"],
    rows: data,
    csvRows: data,
  });
}

function weekLabel(label, interval) {
  if (interval === "month") {
    const [y, m] = label.split("-").map(Number);
    return new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, 1)));
  }
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" }).format(new Date(`${label}T00:00:00Z`));
}

function renderCharts(report) {
  const interval = report.over_time.interval;
  const firstHeader = interval === "week" ? "Week beginning" : "Month";
  const timeRows = report.over_time.rows.map((row) => [weekLabel(row.label, interval), row.count]);
  const sections = [
    section({
      id: "over-time",
      title: `Incidents over time, by ${interval}`,
      chart: columnChart(report.over_time.rows, { labelledBy: "over-time-heading", labelFor: (label) => weekLabel(label, interval) }),
      headers: [firstHeader, "Incidents"],
      rows: timeRows,
      csvRows: report.over_time.rows.map((row) => [row.label, row.count]),
    }),
    simple("by-category", "By category", report.by_category, "Category", { note: "An incident with two categories counts once in each." }),
    simple(
      "by-subcategory",
      "By sub-category",
      report.by_subcategory.map((row) => ({ label: `${row.category}: ${row.label}`, count: row.count })),
      "Sub-category",
      { labelWidth: 300 },
    ),
    simple("by-day", "By day of the week", report.by_day, "Day"),
    simple("by-session", "By session", report.by_session, "Session"),
    simple("by-location", "By location", report.by_location, "Location"),
  ];
  const heat = report.heatmap;
  sections.push(
    section({
      id: "heatmap",
      title: "Day and session",
      note: "Darker cells had more incidents.",
      chart: heatMap(heat, { labelledBy: "heatmap-heading" }),
      headers: ["Day", ...heat.sessions],
      rows: heat.days.map((day, index) => [day, ...heat.cells[index]]),
      csvRows: heat.days.map((day, index) => [day, ...heat.cells[index]]),
      className: "app-report--wide",
    }),
    simple("by-year-group", "By year group", report.by_year_group, "Year group", { note: "Of the pupil each incident is about." }),
    simple(
      "by-class",
      "By class",
      report.by_class.map((row) => ({ label: row.year_group ? `${row.label} (${row.year_group})` : row.label, count: row.count })),
      "Class",
      { note: "Of the pupil each incident is about." },
    ),
    simple("by-flag", "By pupil group", report.by_flag, "Pupil group", { note: "Of the pupil each incident is about, as they were when it was recorded. A pupil can be in more than one group." }),
  );
  for (const answer of report.answers) {
    sections.push(simple(`answers-${answer.id}`, `${answer.category}: ${answer.question}`, answer.rows, "Answer", { note: `Of the ${answer.category} incidents; more than one can be chosen for each.`, labelWidth: 300 }));
  }
  const top = report.top_pupils;
  sections.push(
    section({
      id: "top-pupils",
      title: "Pupils with most incidents",
      note: "Incidents about the pupil or linking them. Open a name for their chronology. Left out when printed for governors.",
      chart: barChart(top.map((row) => ({ label: row.name, count: row.count })), { labelledBy: "top-pupils-heading" }),
      headers: ["Pupil", "Year group", "Class", "Incidents", "About them", "Linked"],
      rows: top.map((row) => [link(pupilHref(row.pupil_id), row.name), row.year_group, row.class_name, row.count, row.subject, row.linked]),
      csvRows: top.map((row) => [row.name, row.year_group, row.class_name, row.count, row.subject, row.linked]),
      className: "app-report--names",
    }),
  );
  charts.replaceChildren(...sections);
}

async function load() {
  const { ok, status, data } = await api("GET", `/reports${query() ? `?${query()}` : ""}`);
  if (status === 401) {
    location.replace(`/index.html?next=${encodeURIComponent(location.pathname + location.search)}`);
    return false;
  }
  if (status === 403) {
    showNoAccess({ heading: byId("reports-heading"), hide: [byId("reports-loading"), byId("reports-view")], message: "You do not have access to this page" });
    return false;
  }
  if (!ok) {
    if (status === 400 && data.fields && Object.keys(data.fields).length) showErrors(form, data);
    else {
      byId("report-error").textContent = data.error;
      byId("report-error").hidden = false;
      byId("report-error").focus();
    }
    byId("reports-loading").hidden = true;
    byId("reports-view").hidden = false;
    return false;
  }
  byId("report-error").hidden = true;
  current = { ...current, report: data, choices: data.choices };
  filters = { ...filters, preset: data.period.preset, from: data.period.from, to: data.period.to };
  fillChoices(data.choices);
  setControls();
  renderSummary(data);
  renderCharts(data);
  byId("reports-loading").hidden = true;
  byId("reports-view").hidden = false;
  return true;
}

function remember() {
  const text = query();
  history.replaceState(null, "", `${location.pathname}${text ? `?${text}` : ""}`);
}

async function apply() {
  clearErrors(form);
  filters = readControls();
  if (filters.preset === "custom" && filters.from && filters.to && filters.from > filters.to) {
    showErrors(form, { fields: { to: "The ‘To’ date must be the same as or after the ‘From’ date" } });
    return;
  }
  remember();
  if (await load()) {
    byId("report-live").textContent = `Report updated: ${current.report.total} incidents.`;
    byId("report-summary-heading").focus();
  }
}

async function exportIncidents() {
  const extra = {
    names: byId("export-names").checked ? "1" : "",
    account: byId("export-account").checked ? "1" : "",
  };
  const { ok, data } = await api("GET", `/reports/incidents?${query(extra)}`);
  if (!ok) {
    byId("report-error").textContent = data.error;
    byId("report-error").hidden = false;
    byId("report-error").focus();
    return;
  }
  saveFile(data.filename, new Blob([String(data.csv ?? "")], { type: "text/csv;charset=utf-8" }));
  byId("report-live").textContent = `Downloaded ${data.rows} incidents.`;
}

requireUser().then(async (me) => {
  if (!me) {
    byId("reports-loading").hidden = true;
    return;
  }
  enableLogout(byId("logout"));
  if (!LEADERSHIP.has(me.user?.role)) {
    showNoAccess({ heading: byId("reports-heading"), hide: [byId("reports-loading"), byId("reports-view"), byId("reports-back")], message: "You do not have access to this page" });
    return;
  }
  printedBy(me.user?.name, timeZone);
  preventEnterSubmit(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(form, apply);
  });
  form.elements.namedItem("preset").addEventListener("change", showCustomDates);
  form.elements.namedItem("category").addEventListener("change", fillSubcategories);
  byId("report-clear").addEventListener("click", () => {
    form.reset();
    for (const key of FIELDS) if (key !== "preset") form.elements.namedItem(key).value = "";
    whileBusy(form, apply);
  });
  byId("export-incidents").addEventListener("click", (event) => whileBusy(event.currentTarget, exportIncidents));
  byId("report-print").addEventListener("click", () => window.print());
  await load();
});
