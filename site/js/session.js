// Who is signed in, sending everyone else to log in, and logging out.

import { api } from "./api.js";
import { showPageError, whileBusy } from "./forms.js";
import { LEADERSHIP_ROLES } from "./roles.js";

/**
 * Where to go after logging in: a path on this site from `?next=`, or null. Anything that could
 * leave the site ("//host", "/\host", "https://…", control characters) is refused.
 *
 *   safeNext("/review.html?incident=abc")  // "/review.html?incident=abc"
 *   safeNext("//evil.example")             // null
 */
export function safeNext(value) {
  if (typeof value !== "string" || !/^\/(?![/\\])/.test(value) || /[\\\u0000-\u001f\u007f]/.test(value)) {
    return null;
  }
  const url = new URL(value, location.origin);
  // Check again after parsing: removing dot segments can turn "/.//evil.example" into "//evil.example".
  if (url.origin !== location.origin || !/^\/(?![/\\])/.test(url.pathname)) return null;
  return url.pathname + url.search + url.hash;
}

/**
 * The signed-in person (`{user, school}` from GET /api/me), or null after sending them to log in
 * (401) or showing why Lantern could not tell (any other failure).
 */
export async function requireUser() {
  // A page restored from the back-forward cache after logging out would still show the last
  // person's name on a shared iPad: load it afresh so the session is checked again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });

  const { ok, status, data } = await api("GET", "/me");
  if (ok) {
    showNavigation(data.user?.role);
    return data;
  }
  if (status === 401) {
    const here = encodeURIComponent(location.pathname + location.search);
    // A sign-in still waiting for its second step (the code from the phone) carries on there, not from the start.
    const step = ["code", "enrol"].includes(data.next) ? data.next : "";
    location.replace(step ? `/sign-in-code.html?step=${step}&next=${here}` : `/index.html?next=${here}`);
  } else {
    showPageError(data.error);
  }
  return null;
}

/** The header's links for this person: "My planner" for everyone who records and follows up concerns,
 * "Reports" for the leadership team. */
function showNavigation(role) {
  const nav = document.getElementById("signed-in-nav");
  if (!nav || !role || role === "admin") return;
  const reports = document.getElementById("nav-reports");
  if (reports) reports.hidden = !LEADERSHIP_ROLES.includes(role);
  nav.hidden = false;
}

/** End the session, then go to the log in page. If the server could not be told, say so. */
export async function logout() {
  const { ok, status, data } = await api("POST", "/auth/logout");
  if (ok || status === 401) {
    // An unsent incident draft must not outlive the session on a shared iPad: tell the page to stop
    // saving drafts (it saves on pagehide) before clearing them.
    window.dispatchEvent(new Event("lantern:logout"));
    for (const key of Object.keys(sessionStorage)) {
      if (key.startsWith("lantern:")) sessionStorage.removeItem(key);
    }
    location.replace("/index.html");
  } else {
    showPageError(`You are still logged in. ${data.error}`);
  }
}

/** Show the header's "Log out" button and make it work. */
export function enableLogout(button) {
  button.hidden = false;
  button.addEventListener("click", () => whileBusy(button, logout));
}
