import { api } from "./api.js";
import { whileBusy } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { element, incidentHref, LEADERSHIP, link } from "./review/dom.js";
import { dateOnly, dateTime, listText, pupilText } from "./review/format.js";

// Times in the school's own zone (Europe/London), from its settings.
const TIME_ZONE = JSON.parse(document.getElementById("dashboard-settings")?.textContent || "{}").time_zone || "Europe/London";

const REASONS = {
  assigned: "You are assigned to it",
  alerted: "You were alerted",
  "head of school": "You are the Head of School: included on every incident",
  "tagged in an action": "You are tagged in an action",
};

const byId = (id) => document.getElementById(id);
const listOf = (value) => (Array.isArray(value) ? value : []);

/** One `<dt>key</dt><dd>value</dd>` pair; `value` is text or a node. Words someone wrote keep their line breaks. */
function detail(key, value, { written = false } = {}) {
  const dd = element("dd", `app-alert__value${written ? " app-alert__value--written" : ""}`);
  if (value instanceof Node) dd.append(value);
  else dd.textContent = String(value ?? "");
  return element("div", "app-alert__detail", "", element("dt", "app-alert__key", key), dd);
}

function tag(text, modifier, className = "") {
  return element("strong", `app-tag app-tag--${modifier}${className ? ` ${className}` : ""}`, text);
}

function markRead(item, alert, button) {
  return whileBusy(button, async () => {
    const problem = item.querySelector(".app-alert__error");
    problem.hidden = true;
    const { ok, data } = await api("POST", "/alerts/read", { incident_id: alert.incident_id });
    if (!ok) {
      problem.textContent = data.error;
      problem.hidden = false;
      return;
    }
    item.classList.remove("app-alert--unread");
    item.dataset.read = "true";
    item.querySelector(".app-alert__new")?.remove();
    const done = element("p", "app-alert__read-note", "Read");
    button.replaceWith(done);
    // The button has gone: focus goes back to the alert's link rather than to the top of the page.
    item.querySelector(".app-alert__link")?.focus();
    byId("alerts-status").textContent = `${alert.reference || "Alert"} marked as read`;
  });
}

function alertItem(alert) {
  const item = element("li", `app-alert${alert.read ? "" : " app-alert--unread"}`);
  item.dataset.incidentId = String(alert.incident_id ?? "");
  item.dataset.read = String(Boolean(alert.read));

  const categories = listText(alert.categories, "Incident");
  const title = element("p", "app-alert__title");
  const open = link(incidentHref(alert.incident_id), categories, "app-link app-alert__link");
  if (alert.reference) open.append(element("span", "app-alert__reference", ` — ${alert.reference}`));
  title.append(open);
  if (!alert.read) title.append(" ", tag("New", "new", "app-alert__new"));

  const details = element("dl", "app-alert__details");
  details.append(
    detail("Date", alert.occurred_at ? dateTime(alert.occurred_at, TIME_ZONE) : "Not known"),
    detail("Raised by", alert.raised_by || "Unknown"),
    detail("Why you have this", REASONS[alert.reason] || String(alert.reason ?? "")),
  );
  // An alert about an action you were tagged in says what the action is.
  if (alert.text) details.append(detail("Action", alert.text, { written: true }));
  item.append(title, details);

  const problem = element("p", "app-error-message app-alert__error");
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  if (alert.read) {
    item.append(element("p", "app-alert__read-note", "Read"));
  } else {
    const button = element("button", "app-button app-button--secondary app-button--small app-alert__mark", "Mark as read");
    button.type = "button";
    button.append(element("span", "app-visually-hidden", `: ${[categories, alert.reference].filter(Boolean).join(", ")}`));
    button.addEventListener("click", () => markRead(item, alert, button));
    item.append(button);
  }
  item.append(problem);
  return item;
}

/** An open action given to me: the pupil, what is asked, by whom, and by when it should be followed up. */
function actionItem(action) {
  const overdue = Boolean(action.overdue);
  const item = element("li", `app-alert app-alert--action${overdue ? " app-alert--overdue" : ""}`);
  item.dataset.incidentId = String(action.incident_id ?? "");
  if (action.action_id) item.dataset.actionId = String(action.action_id);
  item.dataset.overdue = String(overdue);

  const title = element("p", "app-alert__title");
  const href = `${incidentHref(action.incident_id)}${action.action_id ? `#action-${encodeURIComponent(action.action_id)}` : ""}`;
  title.append(link(href, `Action on ${action.reference || "an incident"}`, "app-link app-alert__link"));
  if (action.read === false) title.append(" ", tag("New", "new", "app-alert__new"));
  if (overdue) title.append(" ", tag("Past its follow-up date", "overdue", "app-alert__overdue"));
  item.append(title);

  const details = element("dl", "app-alert__details");
  details.append(
    detail("Pupil", action.pupil ? pupilText(action.pupil) : "Not given"),
    detail("What is asked", action.text ?? "", { written: true }),
    detail("Asked by", `${action.by || "Unknown"}, ${dateTime(action.at, TIME_ZONE)}`),
    detail("Follow up by", action.follow_up ? dateOnly(action.follow_up, TIME_ZONE) : "No date set"),
  );
  item.append(details);
  return item;
}

/** A reminder from my planner that has come due. Its note is my own words, shown as written. */
function reminderItem(reminder) {
  const item = element("li", "app-alert app-alert--reminder");
  item.dataset.reminderId = String(reminder.id ?? "");
  const title = element("p", "app-alert__title", dateTime(reminder.due_at, TIME_ZONE));
  if (reminder.kind === "follow-up") title.append(" ", tag("Action follow-up", "kind"));
  item.append(title);
  const details = element("dl", "app-alert__details");
  details.append(detail("Note", reminder.note || "No note", { written: Boolean(reminder.note) }));
  if (reminder.incident?.id) {
    const about = link(incidentHref(reminder.incident.id), reminder.incident.reference || "Open the incident", "app-link app-alert__link");
    details.append(detail("Incident", about));
  }
  item.append(details);
  return item;
}

function showList(groupId, listId, items, render) {
  byId(listId).replaceChildren(...items.map(render));
  byId(groupId).hidden = items.length === 0;
}

// A page of read alerts can come back empty with a cursor (the server skips open work as it reads): look a few
// pages further before saying there are no more.
const PAGES_PER_CLICK = 5;

/** "Show more": the next page of read alerts after `cursor`, added to the end of the list. */
function enableShowMore(cursor) {
  const button = byId("read-more");
  const problem = byId("read-more-error");
  let next = cursor;
  button.hidden = !next;
  button.addEventListener("click", () =>
    whileBusy(button, async () => {
      problem.hidden = true;
      const items = [];
      for (let page = 0; next && !items.length && page < PAGES_PER_CLICK; page += 1) {
        const { ok, data } = await api("GET", `/alerts?cursor=${encodeURIComponent(next)}`);
        if (!ok) {
          problem.textContent = data.error;
          problem.hidden = false;
          break;
        }
        items.push(...listOf(data.read).map(alertItem));
        next = typeof data.cursor === "string" && data.cursor ? data.cursor : null;
      }
      if (!problem.hidden && !items.length) return;
      byId("read-list").append(...items);
      byId("read-list").hidden = byId("read-list").children.length === 0;
      byId("alerts-status").textContent = items.length
        ? `${items.length} more read alert${items.length === 1 ? "" : "s"} shown`
        : next
          ? "No read alerts found yet: choose Show more to look further back"
          : "There are no more read alerts";
      // Focus moves to the first alert added, so keyboard and screen reader users carry on from there; if the
      // button goes with nothing added, focus goes to the list's heading rather than to the top of the page.
      if (items.length) items[0].querySelector(".app-alert__link")?.focus();
      else if (!next) byId("read-heading").focus();
      button.hidden = !next;
    }),
  );
}

async function loadAlerts() {
  const loading = byId("alerts-loading");
  loading.hidden = false;
  const { ok, status, data } = await api("GET", "/alerts");
  loading.hidden = true;
  // Someone who receives no alerts (an administrator) sees no alerts section at all.
  if (status === 403 || status === 401) return;
  const section = byId("alerts-section");
  section.hidden = false;
  if (!ok) {
    const problem = element("p", "app-notice app-notice--error", data.error);
    problem.id = "alerts-error";
    byId("alerts-empty").before(problem);
    return;
  }
  const unread = listOf(data.alerts);
  const actions = listOf(data.actions);
  const reminders = listOf(data.reminders);
  const read = listOf(data.read);
  const cursor = typeof data.cursor === "string" && data.cursor ? data.cursor : null;
  const nothing = !unread.length && !actions.length && !reminders.length && !read.length && !cursor;

  byId("alerts-empty").hidden = !nothing;
  byId("alerts-list").replaceChildren(...unread.map(alertItem));
  byId("unread-group").hidden = nothing;
  byId("alerts-list").hidden = unread.length === 0;
  byId("unread-empty").hidden = unread.length > 0;
  showList("actions-group", "actions-list", actions, actionItem);
  showList("reminders-group", "reminders-list", reminders, reminderItem);
  showList("read-group", "read-list", read, alertItem);
  // Read alerts may all be further on (a first page of open work only): the button still offers them.
  byId("read-group").hidden = !read.length && !cursor;
  byId("read-list").hidden = !read.length;
  enableShowMore(cursor);
}

requireUser().then((me) => {
  if (!me) return;
  document.getElementById("user-name").textContent = me.user?.name ?? "";
  document.getElementById("user-role").textContent = me.user?.role_label ?? "";
  if (me.school?.name) document.getElementById("user-school").textContent = me.school.name;
  document.getElementById("signed-in").hidden = false;
  enableLogout(document.getElementById("logout"));
  const role = me.user?.role;
  byId("find-pupil").hidden = !LEADERSHIP.has(role);
  byId("import-roster").hidden = role !== "admin";
  byId("staff-accounts").hidden = role !== "admin";
  byId("my-passkeys").hidden = role !== "admin" && !LEADERSHIP.has(role);
  byId("my-planner").hidden = role === "admin";
  if (role !== "admin") loadAlerts();
});
