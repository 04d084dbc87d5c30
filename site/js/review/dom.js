// Small DOM helpers for the review, chronology and dashboard pages. Text always goes in with
// textContent (or as text nodes), never as HTML.

import { LEADERSHIP_ROLES } from "../roles.js";

/** `<tag class="…">text</tag>`; children may follow as nodes or strings. */
export function element(tag, className, text, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null && text !== "") node.textContent = String(text);
  if (children.length) node.append(...children);
  return node;
}

/** A link on this site; `href` is built by the caller from encoded parts. */
export function link(href, text, className = "app-link") {
  const node = element("a", className, text);
  node.href = href;
  return node;
}

/** One row of an `.app-summary-list`: `<div><dt>key</dt><dd id=…>value</dd></div>`. */
export function summaryRow(key, value, id = "") {
  const row = element("div", "app-summary-list__row");
  const dd = element("dd", "app-summary-list__value");
  if (id) dd.id = id;
  if (value instanceof Node) dd.append(value);
  else dd.textContent = String(value ?? "");
  row.append(element("dt", "app-summary-list__key", key), dd);
  return row;
}

/** A bulleted-or-plain list of strings, or `none` as a paragraph when there are none. */
export function textList(items, { none = "None", className = "app-list" } = {}) {
  const values = (Array.isArray(items) ? items : []).filter((item) => item !== null && item !== undefined && item !== "");
  if (!values.length) return document.createTextNode(none);
  const list = element("ul", className);
  for (const value of values) list.append(element("li", "", String(value)));
  return list;
}

/**
 * Replace the page with "You do not have access to this record" and a link to the dashboard: the same
 * answer for a record that does not exist and one the person may not read, so neither gives anything away.
 */
export function showNoAccess({ heading, hide = [], message = "You do not have access to this record" }) {
  for (const node of hide) if (node) node.hidden = true;
  heading.replaceChildren(message);
  document.title = document.title.replace(/^[^–]*–/, `${message} –`);
  const box = document.getElementById("no-access");
  box.hidden = false;
  heading.focus();
}

/** `/incident.html?id=…` */
export const incidentHref = (id) => `/incident.html?id=${encodeURIComponent(String(id ?? ""))}`;

/** `/pupil.html?id=…` */
export const pupilHref = (id) => `/pupil.html?id=${encodeURIComponent(String(id ?? ""))}`;

/** Leaders, DSLs and the Head read chronologies and find pupils (roles.js is written by the build). */
export const LEADERSHIP = new Set(LEADERSHIP_ROLES);
