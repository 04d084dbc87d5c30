// What keeps an incident from being lost or sent twice: one idempotency key per form, and a draft of
// everything typed kept in this tab's sessionStorage until the incident is added. sessionStorage,
// never localStorage: it goes when the tab closes, so a concern is not left on a shared iPad.

const DRAFT_VERSION = 1;
// Widgets that keep their own state (chosen names, marks, files, ticks set by the page itself).
const OWN_STATE = ["combobox", "assign-to", "body-map", "uploads"].map((name) => `[data-module="${name}"]`).join(", ");

/** A fresh idempotency key: the server adds an incident once per key, however often it is sent. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Safari before 15.4 has no randomUUID; this is the same version 4 UUID from the same source.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function plainControls(form) {
  return [...form.elements].filter(
    (control) => control.name && control.type !== "file" && control.tagName !== "BUTTON" && !control.closest(OWN_STATE),
  );
}

/** The form's plain controls: values by id, and which boxes are ticked as "name=value". */
export function captureControls(form) {
  const values = {};
  const checked = [];
  for (const control of plainControls(form)) {
    if (control.type === "checkbox" || control.type === "radio") {
      if (control.checked) checked.push(`${control.name}=${control.value}`);
    } else if (control.id) {
      values[control.id] = control.value;
    }
  }
  return { values, checked };
}

export function restoreControls(form, { values = {}, checked = [] } = {}) {
  const ticked = new Set(checked);
  for (const control of plainControls(form)) {
    if (control.type === "checkbox" || control.type === "radio") {
      control.checked = ticked.has(`${control.name}=${control.value}`);
    } else if (control.id && typeof values[control.id] === "string") {
      control.value = values[control.id];
    }
  }
}

/** One signed-in person's unsent incident in this tab. Storage can be full or blocked: never throws. */
export class DraftStore {
  constructor(owner) {
    this.key = `lantern:incident-draft:${owner}`;
  }

  load() {
    try {
      const draft = JSON.parse(sessionStorage.getItem(this.key) || "null");
      return draft && draft.version === DRAFT_VERSION ? draft : null;
    } catch {
      return null;
    }
  }

  save(draft) {
    try {
      const saved = { ...draft, version: DRAFT_VERSION, saved_at: new Date().toISOString() };
      sessionStorage.setItem(this.key, JSON.stringify(saved));
      return true;
    } catch {
      return false;
    }
  }

  clear() {
    try {
      sessionStorage.removeItem(this.key);
    } catch {
      // Nothing to clear when storage is blocked.
    }
  }
}
