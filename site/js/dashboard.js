import { api } from "./api.js";
import { whileBusy } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { element, incidentHref, LEADERSHIP, link } from "./review/dom.js";
import { dateOnly, dateTime, listText } from "./review/format.js";

// Times in the school's own zone (Europe/London), from its settings.
const TIME_ZONE = JSON.parse(document.getElementById("dashboard-settings")?.textContent || "{}").time_zone || "Europe/London";

const REASONS = {
  assigned: "You are assigned to it",
  alerted: "You were alerted",
  "head of school": "You are the Head of School: included on every incident",
  "tagged in an action": "You are tagged in an action",
};

const byId = (id) => document.getElementById(id);

function detail(key, value) {
  return element("div", "app-alert__detail", "", element("dt", "app-alert__key", key), element("dd", "app-alert__value", value));
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
  if (!alert.read) title.append(" ", element("strong", "app-tag app-tag--new app-alert__new", "New"));

  const details = element("dl", "app-alert__details");
  details.append(
    detail("Date", alert.occurred_at ? dateTime(alert.occurred_at, TIME_ZONE) : "Not known"),
    detail("Raised by", alert.raised_by || "Unknown"),
    detail("Why you have this", REASONS[alert.reason] || String(alert.reason ?? "")),
  );
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

function actionItem(action) {
  const item = element("li", "app-alert app-alert--action");
  item.dataset.incidentId = String(action.incident_id ?? "");
  if (action.action_id) item.dataset.actionId = String(action.action_id);
  const title = element("p", "app-alert__title");
  title.append(link(incidentHref(action.incident_id), `Action on ${action.reference || "an incident"}`, "app-link app-alert__link"));
  item.append(title, element("p", "app-account app-alert__text", action.text ?? ""));
  const details = element("dl", "app-alert__details");
  details.append(detail("Added by", `${action.by || "Unknown"}, ${dateTime(action.at, TIME_ZONE)}`));
  if (action.date) details.append(detail("Date of action", dateOnly(action.date, TIME_ZONE)));
  item.append(details);
  return item;
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
    byId("alerts-list").before(problem);
    return;
  }
  const alerts = Array.isArray(data.alerts) ? data.alerts : [];
  const actions = Array.isArray(data.actions) ? data.actions : [];
  byId("alerts-list").replaceChildren(...alerts.map(alertItem));
  byId("alerts-list").hidden = alerts.length === 0;
  byId("alerts-empty").hidden = alerts.length > 0;
  byId("tagged-actions-list").replaceChildren(...actions.map(actionItem));
  byId("tagged-actions-list").hidden = actions.length === 0;
  byId("tagged-actions-empty").hidden = actions.length > 0;
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
  if (role !== "admin") loadAlerts();
});
