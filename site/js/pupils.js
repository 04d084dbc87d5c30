// Find a pupil: a typeahead over the school's roster; choosing a name opens their chronology.

import { api } from "./api.js";
import { clearErrors, preventEnterSubmit, showErrors, showPageError } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { buildPupilIndex, Combobox } from "./incident/combobox.js";
import { LEADERSHIP, pupilHref, showNoAccess } from "./review/dom.js";

const form = document.getElementById("pupil-search-form");

// The roster names pupils by reference, not by id: the server says which pupil a reference is.
async function open(ref) {
  if (!ref) return;
  const { ok, status, data } = await api("GET", `/roster/${encodeURIComponent(ref)}`);
  if (ok) location.assign(pupilHref(data.id));
  else if (status !== 401) showPageError(data.error);
}

requireUser().then(async (me) => {
  if (!me) return;
  enableLogout(document.getElementById("logout"));
  if (!LEADERSHIP.has(me.user?.role)) {
    showNoAccess({
      heading: document.getElementById("pupils-heading"),
      hide: [form, document.getElementById("pupils-back")],
      message: "You do not have access to this page",
    });
    return;
  }

  const search = new Combobox(form.querySelector('[data-module="combobox"]'), {
    nouns: ["pupil", "pupils"],
    onChange: () => {
      clearErrors(form);
      open(search.value());
    },
  });
  preventEnterSubmit(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors(form);
    if (search.value()) {
      open(search.value());
    } else {
      showErrors(form, { fields: { "pupil-search": "Start typing the pupil’s name, then choose them from the list" } });
    }
  });
  form.hidden = false;

  const { ok, status, data } = await api("GET", "/roster");
  if (ok) {
    search.setIndex(buildPupilIndex(data));
  } else if (status !== 401) {
    showPageError(`The list of pupils could not be loaded. Reload the page to try again. ${data.error}`);
  }
});
