// The review page (opened from alert emails): GET /api/incidents/<id>, drawn read-only, with the
// forms to act on it for those who may. A record someone may not read, or that does not exist, gets
// the same plain answer.

import { api } from "./api.js";
import { showPageError } from "./forms.js";
import { enableLogout, requireUser } from "./session.js";
import { showNoAccess } from "./review/dom.js";
import { ManageForms } from "./review/manage.js";
import { printedBy } from "./review/print.js";
import { ReviewPage } from "./review/render.js";

const settings = JSON.parse(document.getElementById("review-settings").textContent);
const incidentId = new URLSearchParams(location.search).get("id") || "";
const loading = document.getElementById("review-loading");

function noAccess() {
  showNoAccess({
    heading: document.getElementById("review-heading"),
    hide: [loading, document.getElementById("review"), document.getElementById("review-back")],
  });
}

/** Show `notice` just after the part of the page that changed, and move focus to it. */
function announceSaved(sectionId, message) {
  const notice = document.getElementById("saved-notice");
  const target = document.getElementById(sectionId);
  const anchor = target?.querySelector("h2") || target;
  if (anchor) anchor.after(notice);
  notice.textContent = message;
  notice.hidden = false;
  notice.focus();
}

/**
 * A link from the dashboard ends in #action-<id>: the page was drawn after the browser looked for that fragment,
 * so bring the action into view and focus it now.
 */
function showLinkedAction() {
  if (!location.hash.startsWith("#action-")) return;
  let target = null;
  try {
    target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  } catch {
    return; // a fragment that is not valid percent-encoding names no action
  }
  if (!target) return;
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "start" });
}

requireUser().then(async (me) => {
  if (!me) {
    loading.hidden = true;
    return;
  }
  enableLogout(document.getElementById("logout"));
  printedBy(me.user?.name, settings.time_zone);
  document.getElementById("print-record").addEventListener("click", () => window.print());
  if (!incidentId) {
    noAccess();
    return;
  }

  const { ok, status, data } = await api("GET", `/incidents/${encodeURIComponent(incidentId)}`);
  if (status === 403 || status === 404) {
    noAccess();
    return;
  }
  if (status === 401) {
    location.replace(`/index.html?next=${encodeURIComponent(location.pathname + location.search)}`);
    return;
  }
  if (!ok) {
    loading.hidden = true;
    showPageError(data.error);
    return;
  }

  let manage = null;
  const draw = (payload) => {
    page.render(payload);
    const acting = Boolean(payload.may_act && !payload.limited && manage);
    const closed = payload.incident?.status === "Closed";
    if (acting) {
      manage.build(payload.choices || {});
      manage.setClosed(closed);
    }
    document.getElementById("go-to-manage").hidden = !acting;
    document.getElementById("closed-notice").hidden = !(acting && closed);
  };
  /** After any save: redraw from the payload the server answered with, and say what changed where. */
  const saved = (payload, { name, section, message }) => {
    if (payload.moved) {
      // Saved, but this person may no longer read the incident: say so, and show nothing more of it.
      document.getElementById("review").hidden = true;
      const moved = document.getElementById("review-moved-message");
      moved.textContent = payload.message || "Saved. You no longer have access to this incident.";
      document.getElementById("review-moved").hidden = false;
      moved.focus();
      return;
    }
    draw(payload);
    if (name && payload.may_act && !payload.limited) {
      manage.reset(name, payload.incident);
      // Saved: the form is put away again, so the record stays first on the page.
      const details = document.querySelector(`details[data-manage="${name}"]`);
      if (details) details.open = false;
    }
    announceSaved(section, message);
  };

  const page = new ReviewPage({
    settings,
    role: me.user?.role,
    incidentId,
    onActionDone: (payload) => saved(payload, { section: "actions-section", message: "Action marked as done." }),
  });
  manage = new ManageForms({ incidentId, timeZone: settings.time_zone, onSaved: saved });
  draw(data);
  if (data.may_act && !data.limited) manage.resetAll(data.incident);
  showLinkedAction();
});
