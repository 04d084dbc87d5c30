import { api } from "./api.js";
import { clearErrors, markReady, showErrors, whileBusy } from "./forms.js";
import { afterLogin, destination, journey } from "./sign-in.js";

const form = document.getElementById("login-form");
const next = destination();

// The first-time link keeps where the person was going (an alert's link), through the emailed link and back.
const forgotten = document.getElementById("forgot-link");
if (forgotten && next !== "/dashboard.html") forgotten.href = `/forgot-password.html?next=${encodeURIComponent(next)}`;

// Back from setting a password for the first time: the email is already known.
const started = journey();
if (started?.email && !form.elements.email.value) form.elements.email.value = started.email;

form.addEventListener("submit", (event) => {
  event.preventDefault();
  whileBusy(form, async () => {
    clearErrors(form);
    const { ok, data } = await api("POST", "/auth/login", {
      email: form.elements.email.value.trim(),
      password: form.elements.password.value,
    });
    if (ok) {
      // Staff are signed in; every role that reads records goes on to the code from their phone.
      location.replace(afterLogin(data, next));
    } else {
      showErrors(form, data);
    }
  });
});
markReady(form);

// Already signed in (another tab, or the home-screen shortcut): go straight on.
api("GET", "/me").then(({ ok }) => {
  if (ok) location.replace(next);
});
