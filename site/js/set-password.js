import { api } from "./api.js";
import { clearErrors, markReady, showErrors, whileBusy } from "./forms.js";
import { passwordStrength } from "./password-strength.js";
import { afterLogin, forgetJourney, journey, loginUrl } from "./sign-in.js";

// The emailed link carries the token in the fragment, which browsers never send to a server.
// Take it into memory and out of the address bar, so it is not left in history or on screen.
function takeToken() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (location.hash) history.replaceState(history.state, "", location.pathname + location.search);
  return token ? token.trim() : "";
}

let token = takeToken();

// A link pasted into the address bar of this page only changes the fragment, which does not
// load the page again: load it, so the new token is taken like any other.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("token")) location.reload();
});

const form = document.getElementById("set-password-form");
const password = form.elements.password;
const toggle = document.getElementById("password-toggle");
const toggleStatus = document.getElementById("password-toggle-status");
const meter = document.getElementById("password-strength");
const done = document.getElementById("set-password-done");

function showPassword(visible) {
  if ((password.type === "text") === visible) return;
  password.type = visible ? "text" : "password";
  toggle.textContent = visible ? "Hide" : "Show";
  toggle.setAttribute("aria-label", visible ? "Hide password" : "Show password");
  toggleStatus.textContent = visible ? "Your password is visible" : "Your password is hidden";
}

function updateMeter() {
  const result = passwordStrength(password.value, meter.dataset.schoolName);
  meter.className = result ? `app-strength app-strength--${result.level}` : "app-strength";
  meter.textContent = result ? result.text : "";
}

if (!token) {
  document.getElementById("set-password-no-token").hidden = false;
} else {
  form.hidden = false;
  toggle.addEventListener("click", () => showPassword(password.type === "password"));
  password.addEventListener("input", updateMeter);
  // Never leave a password showing on a page kept in the back-forward cache.
  window.addEventListener("pagehide", () => showPassword(false));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    showPassword(false);
    whileBusy(form, async () => {
      clearErrors(form);
      if (!password.value) {
        showErrors(form, { fields: { password: "Enter a new password" } });
        return;
      }
      if (password.value !== form.elements.confirm_password.value) {
        showErrors(form, { fields: { confirm_password: "Enter the same password twice" } });
        return;
      }
      const { ok, data } = await api("POST", "/auth/set-password", { token, password: password.value });
      if (!ok) {
        showErrors(form, data, { links: { token: "/forgot-password.html" } });
        return;
      }
      token = "";
      // Straight on, signed in, to where the person was going (an alert's link kept since the log in page),
      // rather than typing the email again: the server names the account, or this device remembers it.
      const started = journey();
      const next = started?.next || "/dashboard.html";
      const email = (typeof data.email === "string" && data.email) || started?.email || "";
      if (email) {
        const login = await api("POST", "/auth/login", { email, password: password.value });
        if (login.ok) {
          if (!login.data.next) forgetJourney(); // the code page forgets it once the second step is done
          location.replace(afterLogin(login.data, next));
          return;
        }
      }
      form.reset();
      form.hidden = true;
      document.getElementById("set-password-login").href = loginUrl(next);
      done.hidden = false;
      done.querySelector(".app-panel__title").focus();
    });
  });
}
markReady(form);
