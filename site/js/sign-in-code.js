// The second step of logging in, for every role that can read records: a 6-digit code from an authenticator
// app (or a recovery code), or, the first time, setting the app up (scan a QR code, type a code, save the
// recovery codes). The password step has already set a cookie for a sign-in that is waiting for this one.
// An account that has added a passkey is offered it first, with the code still there below it; once the app is
// set up, the recovery codes' step offers to add a passkey on this device ("Use a passkey next time").

import { api } from "./api.js";
import { clearErrors, markReady, showErrors, showPageError, whileBusy } from "./forms.js";
import { createPasskey, deviceName, passkeyProblem, passkeysSupported, usePasskey } from "./passkey.js";
import { destination, forgetJourney, loginUrl } from "./sign-in.js";

const next = destination();
const heading = document.getElementById("code-heading");
const loading = document.getElementById("code-loading");
const codeStep = document.getElementById("code-step");
const enrolStep = document.getElementById("enrol-step");
const recoveryStep = document.getElementById("recovery-step");
const codeForm = document.getElementById("code-form");
const enrolForm = document.getElementById("enrol-form");
const passkeyStep = document.getElementById("passkey-step");
const passkeyButton = document.getElementById("passkey-use");
const passkeyError = document.getElementById("passkey-error");

const ENDED = "This log in has timed out. Start again with your email and password.";

/** A code as typed, without the spaces or dashes an app or a printout shows ("123 456" → "123456"). */
export function cleanCode(text) {
  return String(text || "").replace(/\s+/g, "");
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to read and type from the screen. */
export function groupInFours(secret) {
  return String(secret || "").replace(/\s+/g, "").replace(/(.{4})(?=.)/g, "$1 ");
}

function show(...sections) {
  loading.hidden = true;
  for (const part of [passkeyStep, codeStep, enrolStep, recoveryStep]) part.hidden = !sections.includes(part);
}

/** A message in one of the page's passkey notices (empty: hidden). */
function say(box, message) {
  box.textContent = message || "";
  box.hidden = !message;
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
  if (passkeysSupported()) prepareNewPasskey().then((options) => (recoveryPasskey.hidden = !options));
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

// The passkey options (a challenge the server keeps for this sign-in) are fetched before the button is pressed:
// Safari lets a page ask for a passkey only straight after a tap, not after waiting for the network.
let passkeyOptions = null;

async function preparePasskey() {
  passkeyOptions = null;
  if (!passkeysSupported()) return false;
  const { ok, data } = await api("POST", "/auth/passkey/options");
  passkeyOptions = ok && data.options && typeof data.options === "object" ? data.options : null;
  return Boolean(passkeyOptions);
}

async function startCode() {
  const offered = await preparePasskey();
  if (offered) {
    show(passkeyStep, codeStep);
    passkeyButton.focus();
  } else {
    show(codeStep);
    document.getElementById("code").focus();
  }
  return undefined;
}

passkeyButton.addEventListener("click", () =>
  whileBusy(passkeyButton, async () => {
    say(passkeyError, "");
    const options = passkeyOptions;
    if (!options) {
      say(passkeyError, "Your passkey could not be used. Try it again, or enter the code from your authenticator app instead.");
      await preparePasskey();
      return;
    }
    let body;
    try {
      body = await usePasskey(options);
    } catch (error) {
      say(passkeyError, `${passkeyProblem(error, options.rpId)} Try again, or enter the code from your authenticator app below.`);
      await preparePasskey();
      return;
    }
    const { ok, status, data } = await api("POST", "/auth/passkey", body);
    if (ok) {
      forgetJourney();
      location.replace(next);
      return;
    }
    say(passkeyError, status === 401 && !data.next ? ENDED : data.error);
    await preparePasskey();
  }),
);

// After setting the app up (the session is now signed in): add a passkey on this device for next time.
const recoveryPasskey = document.getElementById("recovery-passkey");
const recoveryPasskeyButton = document.getElementById("recovery-passkey-add");
let creationOptions = null;

async function prepareNewPasskey() {
  const { ok, data } = await api("POST", "/account/passkeys/options");
  creationOptions = ok && data.options && typeof data.options === "object" ? data.options : null;
  return creationOptions;
}

recoveryPasskeyButton.addEventListener("click", () =>
  whileBusy(recoveryPasskeyButton, async () => {
    const error = document.getElementById("recovery-passkey-error");
    say(error, "");
    const options = creationOptions || (await prepareNewPasskey());
    creationOptions = null;
    if (!options) {
      say(error, "A passkey could not be added now. You can add one later from Passkeys on your home page.");
      return;
    }
    let body;
    try {
      body = await createPasskey(options, deviceName());
    } catch (problem) {
      say(error, `${passkeyProblem(problem, options.rp && options.rp.id)} You can try again, or add one later.`);
      await prepareNewPasskey();
      return;
    }
    const { ok, data } = await api("POST", "/account/passkeys", body);
    if (!ok) {
      say(error, data.error);
      await prepareNewPasskey();
      return;
    }
    recoveryPasskeyButton.hidden = true;
    say(document.getElementById("recovery-passkey-done"), "Passkey added. Next time, after your password, choose “Use your passkey”.");
  }),
);

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
