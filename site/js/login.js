import { api } from "./api.js";
import { clearErrors, showErrors, whileBusy } from "./forms.js";
import { safeNext } from "./session.js";

const SECOND_STEP =
  "Your account needs a second step to log in that this page cannot do yet. Ask your school's Lantern administrator for help.";

const form = document.getElementById("login-form");
const destination = safeNext(new URLSearchParams(location.search).get("next")) || "/dashboard.html";

form.addEventListener("submit", (event) => {
  event.preventDefault();
  whileBusy(form, async () => {
    clearErrors(form);
    const { ok, data } = await api("POST", "/auth/login", {
      email: form.elements.email.value.trim(),
      password: form.elements.password.value,
    });
    if (ok && !data.next) {
      location.replace(destination);
    } else {
      showErrors(form, ok ? { error: data.error || SECOND_STEP } : data);
    }
  });
});

// Already signed in (another tab, or the home-screen shortcut): go straight on.
api("GET", "/me").then(({ ok }) => {
  if (ok) location.replace(destination);
});
