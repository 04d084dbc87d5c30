// GOV.UK conditional reveal: ticking a box shows the questions that belong to it, unticking hides
// them again. Answers in hidden questions stay in the page (ticking again brings them back) and are
// simply not sent: the server ignores answers for categories that are not ticked.

export class ConditionalReveal {
  constructor(root) {
    this.pairs = [];
    for (const input of root.querySelectorAll("input[data-aria-controls]")) {
      const target = document.getElementById(input.dataset.ariaControls);
      if (!target) continue;
      // aria-controls only once the script runs: without it nothing would be controlled.
      input.setAttribute("aria-controls", target.id);
      this.pairs.push([input, target]);
    }
    root.addEventListener("change", () => this.refresh());
    this.refresh();
  }

  /** Show or hide each panel to match its box (also after a draft is restored). */
  refresh() {
    for (const [input, target] of this.pairs) {
      // aria-expanded is allowed on a checkbox but not on a radio, where aria-controls alone says it.
      if (input.type === "checkbox") input.setAttribute("aria-expanded", String(input.checked));
      target.hidden = !input.checked;
    }
  }
}
