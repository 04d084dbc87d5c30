// Who is in the roster, as the form offers them: pupils for Student and Linked Student/s, staff for
// Alert, and the leadership team for Assign to.

import { LEADERSHIP_ROLES } from "../roles.js";

const LEADERSHIP = new Set(LEADERSHIP_ROLES);

/** "Full name (Year group, Class)": the label staff choose a pupil by. */
export function pupilLabel(pupil) {
  const detail = [pupil.year_group, pupil.class_name].filter(Boolean).join(", ");
  return detail ? `${pupil.name} (${detail})` : pupil.name;
}

/** "Name (Title)". */
export function staffLabel(member) {
  return member.title ? `${member.name} (${member.title})` : member.name;
}

export const isLeadership = (member) => LEADERSHIP.has(member.role);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/**
 * Assign to: a checkbox for each of the leadership team. Ticking a category ticks the staff whose
 * job title that category is assigned to by default (school settings), so nobody has to remember
 * who handles safeguarding; a box the person has ticked or unticked by hand is never changed again.
 */
export class AssignTo {
  constructor(root, { form, settings, onChange = () => {} }) {
    this.root = root;
    this.form = form;
    this.status = document.getElementById("assign-to-status");
    this.defaults = new Map(settings.categories.map(({ name, assign_by_default }) => [name, new Set(assign_by_default)]));
    this.readers = new Map(settings.categories.map(({ name, readable_by }) => [name, new Set(readable_by)]));
    this.onChange = onChange;
    this.touched = new Set();
    this.boxes = [];

    root.addEventListener("change", (event) => {
      if (event.target.name === "assign-to") this.touched.add(event.target.value);
    });
    form.addEventListener("change", (event) => {
      if (event.target.name === "categories") this.applyDefaults();
    });
  }

  setStaff(staff) {
    const leaders = staff.filter(isLeadership).sort((a, b) => a.name.localeCompare(b.name, "en-GB"));
    this.boxes = leaders.map((member, index) => {
      // The first box carries the group's id, so an error summary link for "assign-to" lands on it.
      const id = index === 0 ? "assign-to" : `assign-to-${index + 1}`;
      const item = element("div", "app-checkboxes__item");
      const input = element("input", "app-checkboxes__input");
      Object.assign(input, { type: "checkbox", id, name: "assign-to", value: member.id });
      input.dataset.title = member.title || "";
      input.dataset.role = member.role;
      const label = element("label", "app-checkboxes__label", staffLabel(member));
      label.htmlFor = id;
      item.append(input, label);
      return item;
    });
    this.root.replaceChildren(...this.boxes);
    this.status.textContent = leaders.length ? "" : "No leadership staff are set up in Lantern yet: ask your administrator.";
    this.status.hidden = Boolean(leaders.length);
    this.applyDefaults();
  }

  fail() {
    this.status.textContent = "The leadership team could not be loaded. Reload the page to try again.";
  }

  inputs() {
    return [...this.root.querySelectorAll('input[name="assign-to"]')];
  }

  applyDefaults() {
    const titles = new Set();
    const ticked = [...this.form.querySelectorAll('input[name="categories"]:checked')].map((box) => box.value);
    for (const name of ticked) {
      for (const title of this.defaults.get(name) || []) titles.add(title);
    }
    // As the server does: only someone who may read every ticked category is assigned by default
    // (a Deputy Head is not assigned a concern that is also Safeguarding).
    const mayRead = (role) => ticked.every((name) => this.readers.get(name)?.has(role));
    let changed = false;
    for (const input of this.inputs()) {
      if (this.touched.has(input.value)) continue;
      const wanted = titles.has(input.dataset.title) && mayRead(input.dataset.role);
      if (input.checked !== wanted) {
        input.checked = wanted;
        changed = true;
      }
    }
    if (changed) this.onChange();
  }

  value() {
    return this.inputs()
      .filter((input) => input.checked)
      .map((input) => input.value);
  }

  getState() {
    return { ticked: this.value(), touched: [...this.touched] };
  }

  setState(state) {
    this.touched = new Set(state?.touched || []);
    const ticked = new Set(state?.ticked || []);
    for (const input of this.inputs()) input.checked = ticked.has(input.value);
  }
}
