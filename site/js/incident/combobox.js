// Typeahead over the school's roster: the WAI-ARIA 1.2 combobox pattern (an input with a listbox
// popup), as GOV.UK's accessible-autocomplete does it. The roster is fetched once per page and
// filtered here in the browser, so every keystroke costs a scan of memory, not a request.

import { pupilLabel } from "./people.js";

export const RESULT_LIMIT = 12;
// Screen readers read the count once the person pauses, not after every letter.
const ANNOUNCE_DELAY_MS = 700;

/**
 * Text folded for matching: lower case, accents dropped ("Zoë" → "zoe"), apostrophes removed
 * ("O'Brien" → "obrien"), anything else that is not a letter or digit turned into a space.
 */
export function normalise(text) {
  return String(text)
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * The searchable form of a list of people, computed once. Each entry is `{id, label, key}`, sorted by
 * label, where `key` is " first middle surname" so a prefix of any word is one `includes(" " + prefix)`.
 * Entries are also filed under the first letter of each word of their name, so a keystroke scans only
 * the people who could match (a tenth of the school or so), not all of it.
 *
 *   buildIndex([{ id: "p1", name: "Amelia Hart", label: "Amelia Hart (Year 3, Oak)" }])
 */
export function buildIndex(people) {
  const entries = people
    .map((person) => ({ id: person.id, label: person.label, key: ` ${normalise(person.name)}` }))
    .sort((a, b) => a.label.localeCompare(b.label, "en-GB"));
  const byInitial = new Map();
  for (const entry of entries) {
    for (const initial of new Set(entry.key.split(" ").map((word) => word[0]))) {
      if (!initial) continue;
      if (!byInitial.has(initial)) byInitial.set(initial, []);
      byInitial.get(initial).push(entry);
    }
  }
  return { entries, byInitial };
}

/**
 * People whose name has a word starting with each word typed, first names matching first; at most
 * `limit` of them, with how many matched in all. Pure, so a benchmark can time it.
 *
 *   filterPeople(index, "am ha", 12)  // {matches: [{id, label, key}], total: 1}
 */
export function filterPeople(index, query, limit = RESULT_LIMIT, exclude = null) {
  const needles = normalise(query)
    .split(" ")
    .filter(Boolean)
    .map((term) => ` ${term}`);
  if (!needles.length) return { matches: [], total: 0 };
  const first = [];
  const rest = [];
  let total = 0;
  entries: for (const entry of index.byInitial.get(needles[0][1]) || []) {
    const key = entry.key;
    for (const needle of needles) if (!key.includes(needle)) continue entries;
    if (exclude?.has(entry.id)) continue;
    total += 1;
    if (key.startsWith(needles[0])) {
      if (first.length < limit) first.push(entry);
    } else if (rest.length < limit) {
      rest.push(entry);
    }
  }
  return { matches: first.concat(rest).slice(0, limit), total };
}

/** The same filter under the name the pupil benchmark uses. */
export const filterPupils = filterPeople;

/**
 * The index of the roster's pupils, labelled "Name (Year group, Class)". The roster answer sends each pupil as
 * `[name, group]`, each year group and class once in `groups`, and no ids: a pupil's id here is
 * `<roster>.<position>`, which the server turns back into the pupil that answer offered.
 *
 *   buildPupilIndex({ roster: "9f…", groups: [["Year 3", "Oak"]], pupils: [["Amelia Hart", 0]] })
 */
export function buildPupilIndex(answer) {
  const groups = Array.isArray(answer?.groups) ? answer.groups : [];
  const pupils = Array.isArray(answer?.pupils) ? answer.pupils : [];
  return buildIndex(
    pupils.map(([name, group], position) => {
      const [year_group, class_name] = groups[group] || [];
      return { id: `${answer.roster}.${position}`, name, label: pupilLabel({ name, year_group, class_name }) };
    }),
  );
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/**
 * One combobox: `[data-module="combobox"]` holding the input, its listbox, a status region and, for
 * several choices, a list of tags. Call `setIndex()` when the roster arrives.
 *
 * Options: `multiple` (choices become removable tags), `exclude()` (ids never offered),
 * `onChange()` (after a choice is made or undone), `nouns` (singular and plural, for "3 students found").
 */
export class Combobox {
  constructor(root, options = {}) {
    const { multiple = false, exclude = () => null, onChange = () => {}, nouns = ["result", "results"] } = options;
    this.chooseOnlyMatchOnBlur = Boolean(options.chooseOnlyMatchOnBlur) && !multiple;
    this.total = 0;
    this.root = root;
    this.input = root.querySelector(".app-combobox__input");
    this.listbox = root.querySelector(".app-combobox__listbox");
    this.status = root.querySelector('[role="status"]');
    this.tags = root.querySelector(".app-tags");
    this.multiple = multiple;
    this.exclude = exclude;
    this.onChange = onChange;
    this.nouns = nouns;
    this.index = null;
    this.options = [];
    this.active = -1;
    this.selected = multiple ? [] : null;
    this.fixed = [];
    this.announceTimer = 0;

    this.input.addEventListener("input", () => this.onInput());
    this.input.addEventListener("keydown", (event) => this.onKeydown(event));
    this.input.addEventListener("blur", () => {
      // Moving on from a name that only one person has chooses them (GOV.UK autocomplete's confirmOnBlur,
      // but only when there is nothing to confuse them with).
      if (this.chooseOnlyMatchOnBlur && this.hasUnchosenText() && this.total === 1 && this.options.length === 1) {
        this.choose(this.options[0]);
      } else {
        this.close();
      }
    });
    this.input.addEventListener("focus", () => {
      if (this.input.value.trim() && !this.isChosenText()) this.update();
    });
    // Keep focus in the input while an option is tapped or clicked, so the tap is not lost to blur.
    this.listbox.addEventListener("mousedown", (event) => event.preventDefault());
    this.listbox.addEventListener("click", (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) this.choose(this.options[Number(option.dataset.index)]);
    });
    this.tags?.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-id]");
      if (button) this.remove(button.dataset.id);
    });
  }

  /** The searchable people (from `buildIndex`); filters whatever was typed while it loaded. */
  setIndex(index) {
    this.index = index;
    if (document.activeElement === this.input && this.input.value.trim() && !this.isChosenText()) this.update();
  }

  /** The chosen id (one) or ids (several). */
  value() {
    return this.multiple ? this.selected.map((entry) => entry.id) : (this.selected?.id ?? null);
  }

  /** Text typed but never turned into a choice: the page asks the person to finish or clear it. */
  hasUnchosenText() {
    return Boolean(this.input.value.trim()) && !this.isChosenText();
  }

  isChosenText() {
    return !this.multiple && this.selected !== null && this.input.value === this.selected.label;
  }

  getState() {
    const pick = ({ id, label }) => ({ id, label });
    return this.multiple ? this.selected.map(pick) : this.selected && pick(this.selected);
  }

  setState(state) {
    if (this.multiple) {
      this.selected = Array.isArray(state) ? state.filter((entry) => entry && entry.id) : [];
      this.renderTags();
    } else {
      this.selected = state && state.id ? state : null;
      this.input.value = this.selected ? this.selected.label : "";
    }
  }

  /** Tags that are always there and cannot be removed (the Head of School on every alert). */
  setFixed(entries) {
    this.fixed = entries;
    this.renderTags();
  }

  /** Drop a choice (a linked pupil who became the main pupil, say); true when it was there. */
  drop(id) {
    if (!this.multiple || !this.selected.some((entry) => entry.id === id)) return false;
    this.selected = this.selected.filter((entry) => entry.id !== id);
    this.renderTags();
    return true;
  }

  onInput() {
    if (!this.multiple && this.selected && this.input.value !== this.selected.label) {
      // Editing a chosen name undoes the choice: what is in the box must be what is sent.
      this.selected = null;
      this.onChange();
    }
    this.update();
  }

  excluded() {
    const ids = new Set(this.exclude() || []);
    if (this.multiple) for (const entry of [...this.selected, ...this.fixed]) ids.add(entry.id);
    return ids;
  }

  update() {
    const query = this.input.value;
    this.total = 0;
    if (!query.trim()) {
      this.close();
      this.announce("");
      return;
    }
    if (!this.index) {
      this.close();
      this.announce("Names are still loading. Keep typing; the list will appear.");
      return;
    }
    const { matches, total } = filterPeople(this.index, query, RESULT_LIMIT, this.excluded());
    this.options = matches;
    this.total = total;
    this.active = -1;
    this.render(total);
  }

  render(total) {
    const items = this.options.map((entry, index) => {
      const option = element("li", "app-combobox__option", entry.label);
      option.id = `${this.input.id}-option-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.index = String(index);
      return option;
    });
    if (!items.length) items.push(element("li", "app-combobox__option app-combobox__option--none", "No results found"));
    this.listbox.replaceChildren(...items);
    this.open();
    const shown = this.options.length;
    const plural = (count) => `${count} ${this.nouns[count === 1 ? 0 : 1]}`;
    this.announce(
      total === 0
        ? "No results found"
        : total > shown
          ? `${plural(total)} found, showing the first ${shown}. Type more of the name to narrow them.`
          : `${plural(total)} available. Use the up and down arrows to choose.`,
    );
  }

  open() {
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  close() {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  }

  isOpen() {
    return !this.listbox.hidden;
  }

  move(step) {
    if (!this.options.length) return;
    const count = this.options.length;
    this.active = this.active < 0 ? (step > 0 ? 0 : count - 1) : (this.active + step + count) % count;
    for (const option of this.listbox.children) {
      const on = option.dataset.index === String(this.active);
      option.setAttribute("aria-selected", String(on));
      option.classList.toggle("app-combobox__option--active", on);
      if (on) {
        this.input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    }
  }

  onKeydown(event) {
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        event.preventDefault();
        if (!this.isOpen()) this.update();
        if (this.isOpen()) this.move(event.key === "ArrowDown" ? 1 : -1);
        break;
      case "Enter":
        // Enter chooses the highlighted name and never submits the form, whatever else is going on.
        event.preventDefault();
        if (this.isOpen() && this.active >= 0) this.choose(this.options[this.active]);
        break;
      case "Escape":
        if (this.isOpen()) {
          event.preventDefault();
          this.close();
        } else if (this.input.value && !this.isChosenText()) {
          event.preventDefault();
          this.input.value = "";
          this.announce("");
        }
        break;
      default:
    }
  }

  choose(entry) {
    if (!entry) return;
    this.close();
    if (this.multiple) {
      this.selected = [...this.selected, entry];
      this.input.value = "";
      this.renderTags();
      this.announce(`${entry.label} added`);
    } else {
      this.selected = entry;
      this.input.value = entry.label;
      this.announce(`${entry.label} chosen`);
    }
    this.onChange();
  }

  remove(id) {
    const at = this.selected.findIndex((entry) => entry.id === id);
    if (at < 0) return;
    const [removed] = this.selected.splice(at, 1);
    this.renderTags();
    // Focus moves to the next Remove button (or the one before, or the input), never to the page top.
    const buttons = this.tags.querySelectorAll("button[data-id]");
    (buttons[at] || buttons[at - 1] || this.input).focus();
    this.announce(`${removed.label} removed`);
    this.onChange();
  }

  renderTags() {
    if (!this.tags) return;
    const fixed = this.fixed.map((entry) => {
      const item = element("li", "app-tags__item app-tags__item--fixed");
      const note = element("span", "app-tags__note", "included automatically");
      item.append(element("span", "app-tags__text", entry.label), note);
      return item;
    });
    const chosen = this.selected.map((entry) => {
      const item = element("li", "app-tags__item");
      const button = element("button", "app-tags__remove", "Remove");
      button.type = "button";
      button.dataset.id = entry.id;
      button.append(element("span", "app-visually-hidden", ` ${entry.label}`));
      item.append(element("span", "app-tags__text", entry.label), button);
      return item;
    });
    this.tags.replaceChildren(...fixed, ...chosen);
    this.tags.hidden = !fixed.length && !chosen.length;
  }

  announce(text) {
    clearTimeout(this.announceTimer);
    if (!text) {
      this.status.textContent = "";
      return;
    }
    this.announceTimer = setTimeout(() => {
      this.status.textContent = text;
    }, ANNOUNCE_DELAY_MS);
  }
}
