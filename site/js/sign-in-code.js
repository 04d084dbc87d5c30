// The second step of logging in, for every role that can read records: a 6-digit code from an authenticator
// app (or a recovery code), or, the first time, setting the app up (scan a QR code, type a code, save the
// recovery codes). The password step has already set a cookie for a sign-in that is waiting for this one.

import { api } from "./api.js";
import { clearErrors, markReady, showErrors, showPageError, whileBusy } from "./forms.js";
import { destination, forgetJourney, loginUrl } from "./sign-in.js";

const next = destination();
const heading = document.getElementById("code-heading");
const loading = document.getElementById("code-loading");
const codeStep = document.getElementById("code-step");
const enrolStep = document.getElementById("enrol-step");
const recoveryStep = document.getElementById("recovery-step");
const codeForm = document.getElementById("code-form");
const enrolForm = document.getElementById("enrol-form");

const ENDED = "This log in has timed out. Start again with your email and password.";

/** A code as typed, without the spaces or dashes an app or a printout shows ("123 456" → "123456"). */
export function cleanCode(text) {
  return String(text || "").replace(/\s+/g, "");
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to read and type from the screen. */
export function groupInFours(secret) {
  return String(secret || "").replace(/\s+/g, "").replace(/(.{4})(?=.)/g, "$1 ");
}

function show(section) {
  loading.hidden = true;
  for (const part of [codeStep, enrolStep, recoveryStep]) part.hidden = part !== section;
}

function toLogin() {
  location.replace(loginUrl(next));
}

function sessionEnded(form) {
  showErrors(form, { fields: { code: ENDED } });
}

async function sendCode(form, path) {
  clearErrors(form);
  const code = cleanCode(form.elements.namedItem("code").value);
  if (!code) {
    showErrors(form, { fields: { code: "Enter the 6-digit code from your authenticator app" } });
    return null;
  }
  const { ok, status, data } = await api("POST", path, { code });
  if (ok) return data;
  if (status === 401 && !data.next) sessionEnded(form);
  else showErrors(form, data.fields && Object.keys(data.fields).length ? data : { fields: { code: data.error } });
  return null;
}

codeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  whileBusy(codeForm, async () => {
    if (await sendCode(codeForm, "/auth/code")) {
      forgetJourney();
      location.replace(next);
    }
  });
});

enrolForm.addEventListener("submit", (event) => {
  event.preventDefault();
  whileBusy(enrolForm, async () => {
    const data = await sendCode(enrolForm, "/auth/enrol");
    if (!data) return;
    forgetJourney();
    showRecoveryCodes(Array.isArray(data.recovery_codes) ? data.recovery_codes : []);
  });
});

function showRecoveryCodes(codes) {
  if (!codes.length) {
    location.replace(next);
    return;
  }
  const list = document.getElementById("recovery-codes");
  list.replaceChildren(
    ...codes.map((code) => {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.className = "app-code";
      text.textContent = String(code);
      item.append(text);
      return item;
    }),
  );
  show(recoveryStep);
  document.getElementById("recovery-heading").focus();
}

document.getElementById("recovery-print").addEventListener("click", () => window.print());
document.getElementById("recovery-done").addEventListener("click", () => location.replace(next));

function qrImage(svg) {
  const image = document.createElement("img");
  image.className = "app-enrol__qr-image";
  image.alt = "QR code to scan with your authenticator app";
  image.width = 200;
  image.height = 200;
  // The server draws the code from the secret; shown as an image, so its markup never enters this page.
  image.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
  return image;
}

async function startEnrol() {
  const { ok, status, data } = await api("GET", "/auth/enrol");
  if (!ok) {
    if (status === 401 && data.next === "code") return startCode();
    if (status === 401) return toLogin();
    loading.hidden = true;
    showPageError(data.error);
    return undefined;
  }
  const holder = document.getElementById("enrol-qr");
  holder.replaceChildren(typeof data.qr_svg === "string" && data.qr_svg ? qrImage(data.qr_svg) : "");
  document.getElementById("enrol-secret").textContent = groupInFours(data.secret);
  show(enrolStep);
  heading.textContent = "Log in to Lantern: set up your phone";
  document.title = document.title.replace(/^[^–]*–/, "Set up your phone –");
  return undefined;
}

function startCode() {
  show(codeStep);
  document.getElementById("code").focus();
  return undefined;
}

markReady(codeForm);
markReady(enrolForm);

// Which step: the server says, through any route, while a sign-in waits for it (401 with `next`).
api("GET", "/me").then(({ ok, status, data }) => {
  if (ok) return location.replace(next); // already signed in (another tab): straight on
  const step = status === 401 ? data.next : null;
  if (step === "enrol") return startEnrol();
  if (step === "code") return startCode();
  if (status === 401) {
    // No sign-in waiting: the page's own ?step= from the log in page is all there is to go on.
    const asked = new URLSearchParams(location.search).get("step");
    if (asked === "enrol") return startEnrol();
    if (asked === "code") return startCode();
    return toLogin();
  }
  loading.hidden = true;
  showPageError(data.error);
  return undefined;
});
