// Staff accounts (administrators): who has set up their phone for logging in, and the two things an
// administrator does when something goes wrong: reset someone's phone set-up, or disable an account. Each
// asks for a confirmation in place before anything is sent.

import { api } from "./api.js";
import { showPageError, whileBusy } from "./forms.js";
import { element } from "./review/dom.js";
import { enableLogout, requireUser } from "./session.js";

const settings = JSON.parse(document.getElementById("staff-settings").textContent);
const body = document.getElementById("staff-body");
const saved = document.getElementById("staff-saved");
// Roles that read records log in with a code from their phone (the server decides; this only words the table).
const NEEDS_CODE = new Set(["leader", "dsl", "head", "admin"]);

const ACTIONS = {
  reset: {
    label: "Reset phone set-up",
    path: (id) => `/admin/staff/${encodeURIComponent(id)}/reset-second-factor`,
    question: (name) => `Reset ${name}’s phone set-up? They will scan a new QR code when they next log in, and their recovery codes and passkeys stop working.`,
    confirm: "Yes, reset it",
    done: (name) => `${name}’s phone set-up has been reset. They will set it up again when they next log in.`,
  },
  disable: {
    label: "Disable account",
    path: (id) => `/admin/staff/${encodeURIComponent(id)}/disable`,
    question: (name) => `Disable ${name}’s account? They are logged out everywhere at once and can no longer log in. Their records are kept.`,
    confirm: "Yes, disable it",
    done: (name) => `${name}’s account has been disabled and they have been logged out.`,
  },
  email: {
    label: "Emails work again",
    path: (id) => `/admin/staff/${encodeURIComponent(id)}/email-works`,
    question: (name) => `Has ${name}’s email been fixed? Lantern will email them again; if it bounces again, you will be told.`,
    confirm: "Yes, email them again",
    done: (name) => `Lantern will email ${name} again.`,
  },
};

function say(message) {
  saved.textContent = message;
  saved.hidden = false;
  saved.focus();
}

function phoneText(member) {
  if (member.second_factor) return "Yes";
  return NEEDS_CODE.has(member.role) ? "Not yet" : "Not needed";
}

function actionButton(member, kind, cell) {
  const action = ACTIONS[kind];
  const button = element("button", "app-button app-button--secondary app-button--small", action.label);
  button.type = "button";
  button.append(element("span", "app-visually-hidden", ` for ${member.name}`));
  button.addEventListener("click", () => askFirst(member, kind, cell, button));
  return button;
}

function askFirst(member, kind, cell, opener) {
  const action = ACTIONS[kind];
  const box = element("div", "app-confirm");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", action.label);
  const question = element("p", "app-body-text app-confirm__question", action.question(member.name));
  question.tabIndex = -1;
  const yes = element("button", "app-button app-button--warning app-button--small", action.confirm);
  yes.type = "button";
  const no = element("button", "app-button app-button--secondary app-button--small", "Cancel");
  no.type = "button";
  const buttons = element("div", "app-button-group", "", yes, no);
  box.append(question, buttons);
  cell.replaceChildren(box);
  question.focus();
  no.addEventListener("click", () => {
    drawActions(member, cell);
    cell.querySelector("button")?.focus();
  });
  yes.addEventListener("click", () =>
    whileBusy(yes, async () => {
      const { ok, data } = await api("POST", action.path(member.id), {});
      if (!ok) {
        question.textContent = `${data.error} Nothing was changed.`;
        question.focus();
        return;
      }
      const row = data.staff && typeof data.staff === "object" ? data.staff : member;
      cell.closest("tr").replaceWith(staffRow(row));
      say(action.done(row.name || member.name));
    }),
  );
  return opener;
}

function drawActions(member, cell) {
  const buttons = [];
  if (member.second_factor) buttons.push(actionButton(member, "reset", cell));
  if (member.active) buttons.push(actionButton(member, "disable", cell));
  if (member.email_problem) buttons.push(actionButton(member, "email", cell));
  cell.replaceChildren(buttons.length ? element("div", "app-button-group", "", ...buttons) : "");
}

function staffRow(member) {
  const row = element("tr", "app-table__row");
  const who = element("td", "app-table__cell");
  who.append(element("span", "app-staff-table__name", member.name), element("span", "app-staff-table__email app-break-words", member.email));
  const role = settings.role_labels[member.role] || member.role;
  const roleCell = element("td", "app-table__cell", member.title ? `${role} · ${member.title}` : role);
  const phone = element("td", "app-table__cell", phoneText(member));
  const account = element("td", "app-table__cell", member.active ? "Active" : "Disabled");
  if (member.email_problem) {
    // SES said the address bounced or its owner marked Lantern as spam: they get no email until it is fixed.
    account.append(element("strong", "app-tag app-tag--overdue app-staff-table__email-problem", `Email ${member.email_problem}: not emailed`));
  }
  const actions = element("td", "app-table__cell app-staff-table__actions");
  drawActions(member, actions);
  row.append(who, roleCell, phone, account, actions);
  return row;
}

requireUser().then(async (me) => {
  if (!me) return;
  enableLogout(document.getElementById("logout"));
  const { ok, data } = await api("GET", "/admin/staff");
  document.getElementById("staff-loading").hidden = true;
  if (!ok) {
    showPageError(data.error);
    return;
  }
  const staff = Array.isArray(data.staff) ? data.staff : [];
  staff.sort((a, b) => String(a.name).localeCompare(String(b.name), "en-GB"));
  body.replaceChildren(...staff.map(staffRow));
  document.getElementById("staff-wrapper").hidden = false;
});
