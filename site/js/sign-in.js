// The steps of logging in that more than one page takes: where to go once signed in, the second step (a code
// from an authenticator app, for every role that can read records) and the first-time journey, during which
// the page a person was sent to log in from (an alert's link) must not be lost.

import { safeNext } from "./session.js";

const JOURNEY = "lantern:first-sign-in";
// As long as a set-password link lasts: a journey left unfinished is forgotten after that.
const JOURNEY_MS = 60 * 60 * 1000;
const STEPS = new Set(["code", "enrol"]);

/** Where to go after logging in: `?next=` on this page if it is a path on this site, else the dashboard. */
export function destination(search = location.search) {
  return safeNext(new URLSearchParams(search).get("next")) || "/dashboard.html";
}

/** The page for the second step ("code" or "enrol"), keeping where to go afterwards. */
export function secondStepUrl(step, next) {
  const params = new URLSearchParams();
  if (STEPS.has(step)) params.set("step", step);
  if (next && next !== "/dashboard.html") params.set("next", next);
  return `/sign-in-code.html?${params}`;
}

/** Where a successful POST /auth/login (or the set-password page's own log in) answer leads. */
export function afterLogin(data, next) {
  return STEPS.has(data?.next) ? secondStepUrl(data.next, next) : next;
}

/** `/index.html`, keeping `next` unless it is the dashboard. */
export function loginUrl(next) {
  return next && next !== "/dashboard.html" ? `/index.html?next=${encodeURIComponent(next)}` : "/index.html";
}

/**
 * Remember, for the first-time journey (forgotten password → email → set password → log in), the email typed and
 * where the person was going. The emailed link usually opens in a new tab, so this is kept in localStorage, for
 * at most an hour, and never holds more than a work email and a path on this site.
 */
export function rememberJourney(email, next) {
  try {
    localStorage.setItem(JOURNEY, JSON.stringify({ email, next, until: Date.now() + JOURNEY_MS }));
  } catch {
    // Storage blocked: the person types their email again and lands on the dashboard.
  }
}

/** The remembered journey `{email, next}`, or null when there is none (or it is over an hour old). */
export function journey() {
  try {
    const saved = JSON.parse(localStorage.getItem(JOURNEY) || "null");
    if (!saved || typeof saved.until !== "number" || saved.until < Date.now()) {
      localStorage.removeItem(JOURNEY);
      return null;
    }
    return { email: typeof saved.email === "string" ? saved.email : "", next: safeNext(saved.next) };
  } catch {
    return null;
  }
}

export function forgetJourney() {
  try {
    localStorage.removeItem(JOURNEY);
  } catch {
    // Nothing to forget.
  }
}
