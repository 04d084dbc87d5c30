// Errors shown the GOV.UK Design System way: a summary at the top of the form linking to each
// field, and a message above each field. Every message goes in with textContent, never innerHTML.

const ERROR_CLASSES = ["app-form-group--error", "app-input--error"];

/** For a form on a page that stays open while the session ends: what was typed is kept for the next try. */
export const SESSION_ENDED =
  "Your session has ended, so this has not been saved. Log in again in a new tab, then come back and save again: what you typed is still here.";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

// The control an API field name refers to, found by the input's name. Radios and checkboxes
// that share a name come back as a list: the first one is the place to send focus.
function controlFor(form, name) {
  const item = form.elements.namedItem(name);
  if (item instanceof RadioNodeList) return item[0] || null;
  return item && item.id ? item : null;
}

function describe(target, id) {
  const ids = (target.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) target.setAttribute("aria-describedby", [...ids, id].join(" "));
}

function markField(control, message) {
  // The message goes inside the nearest fieldset or form group, straight before the control
  // (or before the wrapper holding it), after the label and hint as in GOV.UK's pattern.
  const parent = control.closest("fieldset, .app-form-group") || control.parentElement;
  let before = control;
  while (before.parentElement !== parent) before = before.parentElement;

  const id = `${control.id}-error`;
  const error = element("p", "app-error-message");
  error.id = id;
  error.append(element("span", "app-visually-hidden", "Error:"), ` ${message}`);
  parent.insertBefore(error, before);

  control.closest(".app-form-group")?.classList.add("app-form-group--error");
  if (parent.tagName === "FIELDSET") {
    describe(parent, id);
  } else {
    describe(control, id);
    control.setAttribute("aria-invalid", "true");
    if (control.classList.contains("app-input")) control.classList.add("app-input--error");
  }
}

function summaryLink(control, message) {
  const link = element("a", "", message);
  link.href = `#${control.id}`;
  link.addEventListener("click", (event) => {
    // Focus the control itself and bring its question into view: following the fragment alone
    // would scroll the label off the top and leave focus where it was in some browsers.
    event.preventDefault();
    const question =
      control.closest("fieldset")?.querySelector("legend") ||
      control.form?.querySelector(`label[for="${CSS.escape(control.id)}"]`) ||
      control;
    control.focus({ preventScroll: true });
    question.scrollIntoView();
  });
  return link;
}

/** Remove every error that showErrors added to the form. */
export function clearErrors(form) {
  form.querySelector(".app-error-summary")?.remove();
  for (const message of form.querySelectorAll(".app-error-message")) {
    for (const target of form.querySelectorAll("[aria-describedby]")) {
      const ids = target.getAttribute("aria-describedby").split(/\s+/).filter((id) => id && id !== message.id);
      if (ids.length) target.setAttribute("aria-describedby", ids.join(" "));
      else target.removeAttribute("aria-describedby");
    }
    message.remove();
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of form.querySelectorAll(ERROR_CLASSES.map((name) => `.${name}`).join(","))) {
    node.classList.remove(...ERROR_CLASSES);
  }
}

/**
 * Show `{error, fields}` from the API (or the page's own checks) on a form and focus the summary.
 * A field with no control on the form (a token, say) is listed as text, or as a link when
 * `options.links` names a page for it. Returns the summary element.
 *
 *   showErrors(form, { fields: { confirm_password: "Enter the same password twice" } });
 */
export function showErrors(form, { error, fields } = {}, { links = {} } = {}) {
  clearErrors(form);
  const summary = element("div", "app-error-summary");
  summary.tabIndex = -1;
  const alert = element("div");
  alert.setAttribute("role", "alert");
  const body = element("div", "app-error-summary__body");
  alert.append(element("h2", "app-error-summary__title", "There is a problem"), body);
  summary.append(alert);

  const entries = Object.entries(fields || {}).map(([name, message]) => [controlFor(form, name), name, message]);
  // Messages with no control first, then the rest in the order the form asks its questions.
  entries.sort(([a], [b]) => {
    if (!a || !b) return (a ? 1 : 0) - (b ? 1 : 0);
    return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
  });

  if (entries.length) {
    const list = element("ul", "app-error-summary__list");
    for (const [control, name, message] of entries) {
      const item = element("li");
      if (control) {
        markField(control, message);
        item.append(summaryLink(control, message));
      } else if (links[name]) {
        const link = element("a", "", message);
        link.href = links[name];
        item.append(link);
      } else {
        item.textContent = message;
      }
      list.append(item);
    }
    body.append(list);
  } else {
    body.append(element("p", "app-body-text", error || "Something went wrong. Try again."));
  }

  form.prepend(summary);
  summary.focus();
  return summary;
}

/** Show a message for the whole page (the API is down, logging out failed) and focus it. */
export function showPageError(message) {
  const box = document.getElementById("page-error");
  box.textContent = message;
  box.hidden = false;
  box.focus();
}

/**
 * Run `task` with the form's submit buttons (or the one button given) disabled, so a second
 * tap while a request is in flight does nothing. The buttons come back when the task ends.
 */
export async function whileBusy(formOrButton, task) {
  if (formOrButton.dataset.busy) return undefined;
  const buttons =
    formOrButton instanceof HTMLButtonElement
      ? [formOrButton]
      : [...formOrButton.querySelectorAll('button[type="submit"], button:not([type])')].filter((b) => !b.disabled);
  formOrButton.dataset.busy = "true";
  for (const button of buttons) button.disabled = true;
  try {
    return await task();
  } finally {
    for (const button of buttons) button.disabled = false;
    delete formOrButton.dataset.busy;
  }
}

const KEEPS_ENTER = new Set(["submit", "button", "reset", "image", "file"]);

/**
 * Stop Enter in a field from submitting the form. Staff guidance warns that pressing Enter
 * after changing the time "will add your incident before you have completed the next stage".
 */
export function preventEnterSubmit(form) {
  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Enter" && !event.isComposing && target instanceof HTMLInputElement && !KEEPS_ENTER.has(target.type)) {
      event.preventDefault();
    }
  });
}

/**
 * A form's module has loaded and wired it up: let the person use it. Forms start with their controls in a
 * `<fieldset data-ready-gate disabled>`, so nothing can be typed or sent before the page can handle it (a
 * form sent without its script would post to a static page, and what was typed would be lost); js/boot.js
 * says so on the page if a module never gets this far.
 */
export function markReady(form) {
  for (const gate of form.querySelectorAll("[data-ready-gate]")) gate.disabled = false;
  form.dataset.ready = "true";
}
