import { api } from "./api.js";
import { clearErrors, markReady, showErrors, whileBusy } from "./forms.js";
import { destination, loginUrl, rememberJourney } from "./sign-in.js";

const form = document.getElementById("forgot-form");
const sent = document.getElementById("forgot-sent");
// Where the person was going before they had to set a password (an alert's link), kept for after it.
const next = destination();
for (const back of document.querySelectorAll('a[href="/index.html"]')) back.href = loginUrl(next);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  whileBusy(form, async () => {
    clearErrors(form);
    const email = form.elements.email.value.trim();
    const { ok, data } = await api("POST", "/auth/forgot", { email });
    if (!ok) {
      showErrors(form, data);
      return;
    }
    rememberJourney(email, next);
    // The same answer whether or not the address has an account, so this page gives nothing away.
    document.getElementById("forgot-sent-email").textContent = email;
    form.hidden = true;
    sent.hidden = false;
    sent.querySelector(".app-panel__title").focus();
  });
});
markReady(form);
