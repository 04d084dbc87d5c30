// Passkeys (for every role that logs in with a second step): the person's own passkeys, adding one on this device
// and removing one they no longer use. Adding asks the device (face, fingerprint, PIN or passcode); the server
// keeps the challenge and checks the answer.

import { api } from "./api.js";
import { clearErrors, markReady, showErrors, showPageError, whileBusy } from "./forms.js";
import { createPasskey, deviceName, passkeyProblem, passkeysSupported } from "./passkey.js";
import { element } from "./review/dom.js";
import { shortDateTime } from "./review/format.js";
import { LEADERSHIP_ROLES } from "./roles.js";
import { enableLogout, requireUser } from "./session.js";

const byId = (id) => document.getElementById(id);
const form = byId("passkey-form");
const saved = byId("passkeys-saved");
const labelInput = byId("passkey-label");
// Roles that log in with a second step (the server decides; this only chooses what the page shows).
const SECOND_STEP_ROLES = new Set([...LEADERSHIP_ROLES, "admin"]);

function say(message) {
  saved.textContent = message;
  saved.hidden = false;
  saved.focus();
}

function removeButton(passkey) {
  const button = element("button", "app-button app-button--secondary app-button--small", "Remove");
  button.type = "button";
  button.append(element("span", "app-visually-hidden", ` ${passkey.label}`));
  button.addEventListener("click", () =>
    whileBusy(button, async () => {
      const { ok, data } = await api("POST", `/account/passkeys/${encodeURIComponent(passkey.id)}/remove`, {});
      if (!ok) {
        showPageError(data.error);
        return;
      }
      draw(data.passkeys);
      say(`The passkey “${passkey.label}” has been removed. It can no longer be used to log in.`);
    }),
  );
  return button;
}

function draw(passkeys) {
  const list = Array.isArray(passkeys) ? passkeys : [];
  byId("passkeys-section").hidden = false;
  byId("passkeys-none").hidden = list.length > 0;
  byId("passkeys-wrapper").hidden = list.length === 0;
  byId("passkeys-body").replaceChildren(
    ...list.map((passkey) => {
      const row = element("tr", "app-table__row");
      row.append(
        element("td", "app-table__cell app-break-words", passkey.label),
        element("td", "app-table__cell", shortDateTime(passkey.created_at)),
        element("td", "app-table__cell", passkey.last_used_at ? shortDateTime(passkey.last_used_at) : "Not yet"),
        element("td", "app-table__cell", "", removeButton(passkey)),
      );
      return row;
    }),
  );
}

// The options (with the challenge the server keeps) are fetched before the button is pressed: Safari lets a page
// make a passkey only straight after a tap, not after waiting for the network.
let options = null;

async function prepare() {
  const { ok, data } = await api("POST", "/account/passkeys/options");
  options = ok && data.options && typeof data.options === "object" ? data.options : null;
  return ok ? null : data.error;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  whileBusy(form, async () => {
    clearErrors(form);
    const ready = options;
    options = null;
    if (!ready) {
      showErrors(form, { error: (await prepare()) || "Try again." });
      return;
    }
    let body;
    try {
      body = await createPasskey(ready, labelInput.value.trim() || deviceName());
    } catch (problem) {
      showErrors(form, { error: `${passkeyProblem(problem, ready.rp && ready.rp.id)} Try again.` });
      await prepare();
      return;
    }
    const { ok, data } = await api("POST", "/account/passkeys", body);
    await prepare();
    if (!ok) {
      showErrors(form, data.fields && Object.keys(data.fields).length ? data : { error: data.error });
      return;
    }
    draw(data.passkeys);
    labelInput.value = "";
    say(`Passkey “${data.passkey?.label ?? ""}” added. Next time, after your password, choose “Use your passkey”.`);
  });
});

requireUser().then(async (me) => {
  if (!me) return;
  enableLogout(byId("logout"));
  if (!SECOND_STEP_ROLES.has(me.user?.role)) {
    byId("passkeys-loading").hidden = true;
    byId("passkeys-not-needed").hidden = false;
    return;
  }
  const { ok, data } = await api("GET", "/account/passkeys");
  byId("passkeys-loading").hidden = true;
  if (!ok) {
    showPageError(data.error);
    return;
  }
  draw(data.passkeys);
  if (!passkeysSupported()) {
    byId("passkeys-unsupported").hidden = false;
    return;
  }
  labelInput.value = deviceName();
  byId("passkey-add-section").hidden = false;
  const problem = await prepare();
  if (problem) showErrors(form, { error: problem });
  markReady(form);
});
