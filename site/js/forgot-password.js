import { api } from "./api.js";
import { clearErrors, showErrors, whileBusy } from "./forms.js";

const form = document.getElementById("forgot-form");
const sent = document.getElementById("forgot-sent");

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
    // The same answer whether or not the address has an account, so this page gives nothing away.
    document.getElementById("forgot-sent-email").textContent = email;
    form.hidden = true;
    sent.hidden = false;
    sent.querySelector(".app-panel__title").focus();
  });
});
