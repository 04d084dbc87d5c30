// Body map: a front and back outline of a child. A tap places a mark where the finger landed,
// named by the region under it; the View and Region boxes place one without a pointer. Marks are
// data ({view, region, x, y, note}), listed under the map where each can be noted or removed.

const SVG_NS = "http://www.w3.org/2000/svg";
// A finger that moves further than this between down and up was scrolling the page, not tapping.
const TAP_SLOP_PX = 10;
export const NOTE_MAX = 200;

const round1 = (value) => Math.round(value * 10) / 10;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function svgElement(tag, attributes) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

export class BodyMap {
  constructor(root, { onChange = () => {} } = {}) {
    this.onChange = onChange;
    this.toggle = root.querySelector(".app-disclosure");
    this.toggleText = root.querySelector(".app-disclosure__text");
    this.panel = document.getElementById(this.toggle.getAttribute("aria-controls"));
    this.svg = root.querySelector(".app-body-map__svg");
    this.groups = [...this.svg.querySelectorAll("g[data-view]")];
    this.dots = this.svg.querySelector(".app-body-map__marks");
    this.viewButtons = [...root.querySelectorAll(".app-body-map__view-button")];
    this.viewSelect = root.querySelector("#body-map-view");
    this.regionSelect = root.querySelector("#body-map-region");
    this.addButton = root.querySelector("#body-map-add");
    this.list = root.querySelector(".app-body-map__list");
    this.empty = root.querySelector("#body-map-empty");
    this.status = root.querySelector("#body-map-status");

    this.regions = new Map();
    for (const path of this.svg.querySelectorAll("[data-region-id]")) {
      const [x, y] = path.dataset.centre.split(" ").map(Number);
      const { regionId: id, view, name } = path.dataset;
      this.regions.set(id, { id, view, name, x, y });
    }
    this.marks = [];
    this.serial = 0;
    this.view = "front";
    this.pending = null;

    this.toggle.addEventListener("click", () => this.setOpen(this.panel.hidden));
    for (const button of this.viewButtons) button.addEventListener("click", () => this.show(button.dataset.view));
    this.viewSelect.addEventListener("change", () => this.show(this.viewSelect.value));
    this.addButton.addEventListener("click", () => {
      const region = this.regions.get(this.regionSelect.value);
      if (region) this.add(region, region.x, region.y, { focus: true });
    });

    // Pointer events cover mouse, pen and touch alike. The mark goes where the pointer went down, but
    // only once it comes up close by: a finger dragged across the outline is scrolling the page.
    this.svg.addEventListener("pointerdown", (event) => {
      const path = event.target.closest?.("[data-region-id]");
      this.pending =
        path && event.isPrimary && event.button === 0
          ? { pointer: event.pointerId, x: event.clientX, y: event.clientY, region: path.dataset.regionId }
          : null;
    });
    this.svg.addEventListener("pointerup", (event) => {
      const pending = this.pending;
      this.pending = null;
      if (!pending || pending.pointer !== event.pointerId) return;
      if (Math.hypot(event.clientX - pending.x, event.clientY - pending.y) > TAP_SLOP_PX) return;
      const point = this.toOutline(pending.x, pending.y);
      this.add(this.regions.get(pending.region), point.x, point.y, { focus: false });
    });
    this.svg.addEventListener("pointercancel", () => (this.pending = null));

    this.list.addEventListener("input", (event) => {
      const mark = this.marks.find((item) => String(item.key) === event.target.dataset.key);
      if (mark) mark.note = event.target.value.slice(0, NOTE_MAX);
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-key]");
      if (button) this.remove(Number(button.dataset.key));
    });

    this.render();
  }

  // A point on screen in the outline's own coordinates, whatever its size, zoom or scroll.
  toOutline(clientX, clientY) {
    return new DOMPoint(clientX, clientY).matrixTransform(this.svg.getScreenCTM().inverse());
  }

  setOpen(open) {
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    this.renderToggle();
  }

  show(view) {
    this.view = view;
    // SVG elements have no .hidden property: the attribute itself is what the stylesheet hides.
    for (const group of this.groups) group.toggleAttribute("hidden", group.dataset.view !== view);
    for (const button of this.viewButtons) button.setAttribute("aria-pressed", String(button.dataset.view === view));
    this.viewSelect.value = view;
    const options = [...this.regions.values()]
      .filter((region) => region.view === view)
      .map((region) => new Option(region.name, region.id));
    this.regionSelect.replaceChildren(...options);
    this.renderDots();
  }

  label(mark) {
    return `${this.regions.get(mark.region).name}, ${mark.view}`;
  }

  add(region, x, y, { focus }) {
    if (!region) return;
    this.serial += 1;
    const mark = { key: this.serial, view: region.view, region: region.id, x: round1(x), y: round1(y), note: "" };
    this.marks.push(mark);
    this.render();
    this.say(`Mark ${this.marks.length} added: ${this.label(mark)}`);
    // From the keyboard, straight on to the note (as moj add-another does). After a tap, focus stays
    // put, so an iPad's keyboard does not spring up over the outline while marks are placed.
    if (focus) document.getElementById(`body-mark-note-${mark.key}`)?.focus();
    this.onChange();
  }

  remove(key) {
    const at = this.marks.findIndex((mark) => mark.key === key);
    if (at < 0) return;
    const [removed] = this.marks.splice(at, 1);
    this.render();
    const buttons = this.list.querySelectorAll("button[data-key]");
    (buttons[at] || buttons[at - 1] || this.regionSelect).focus();
    this.say(`Mark removed: ${this.label(removed)}`);
    this.onChange();
  }

  render() {
    const items = this.marks.map((mark, index) => {
      const number = index + 1;
      const item = element("li", "app-body-map__mark");
      const name = element("p", "app-body-map__mark-name");
      name.append(element("span", "app-body-map__number", String(number)), ` ${this.label(mark)}`);

      const group = element("div", "app-body-map__note");
      const input = element("input", "app-input app-body-map__note-input");
      input.id = `body-mark-note-${mark.key}`;
      input.type = "text";
      input.maxLength = NOTE_MAX;
      input.value = mark.note;
      input.dataset.key = String(mark.key);
      input.autocomplete = "off";
      const label = element("label", "app-label app-label--normal", `Note about mark ${number} (optional)`);
      label.htmlFor = input.id;
      group.append(label, input);

      const button = element("button", "app-button app-button--secondary app-button--small", "Remove");
      button.type = "button";
      button.dataset.key = String(mark.key);
      button.append(element("span", "app-visually-hidden", ` mark ${number}, ${this.label(mark)}`));
      item.append(name, group, button);
      return item;
    });
    this.list.replaceChildren(...items);
    this.empty.hidden = items.length > 0;
    this.renderDots();
    this.renderToggle();
  }

  renderDots() {
    const dots = [];
    this.marks.forEach((mark, index) => {
      if (mark.view !== this.view) return;
      const dot = svgElement("g", { class: "app-body-map__dot" });
      dot.append(svgElement("circle", { cx: mark.x, cy: mark.y, r: 7 }));
      const centred = { "text-anchor": "middle", "dominant-baseline": "central" };
      const number = svgElement("text", { x: mark.x, y: mark.y, ...centred });
      number.textContent = String(index + 1);
      dot.append(number);
      dots.push(dot);
    });
    this.dots.replaceChildren(...dots);
  }

  renderToggle() {
    const count = this.marks.length;
    const marks = count ? ` (${count} mark${count === 1 ? "" : "s"})` : "";
    this.toggleText.textContent = `${this.panel.hidden ? "Show" : "Hide"} the front and back outline${marks}`;
  }

  say(text) {
    this.status.textContent = text;
  }

  /** The marks as the API takes them. */
  value() {
    return this.marks.map(({ view, region, x, y, note }) => ({ view, region, x, y, note }));
  }

  getState() {
    return this.value();
  }

  setState(marks) {
    this.marks = [];
    for (const mark of Array.isArray(marks) ? marks : []) {
      const region = this.regions.get(mark?.region);
      if (!region || !Number.isFinite(mark.x) || !Number.isFinite(mark.y)) continue;
      this.serial += 1;
      const note = typeof mark.note === "string" ? mark.note.slice(0, NOTE_MAX) : "";
      this.marks.push({ key: this.serial, view: region.view, region: region.id, x: mark.x, y: mark.y, note });
    }
    this.render();
    if (this.marks.length) this.setOpen(true);
  }
}
