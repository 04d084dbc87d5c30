// GOV.UK character count: the limit is said once (the hint the textarea is described by), the live
// count is shown, and screen readers hear the count only when the person pauses typing, not on
// every key press.

const ANNOUNCE_DELAY_MS = 1000;

export class CharacterCount {
  constructor(root) {
    this.textarea = root.querySelector("textarea");
    this.limit = Number(root.dataset.maxlength);
    this.info = root.querySelector(".app-character-count__message");
    this.info.classList.add("app-visually-hidden");

    this.visible = document.createElement("p");
    this.visible.className = "app-hint app-character-count__status";
    this.visible.setAttribute("aria-hidden", "true");
    this.spoken = document.createElement("p");
    this.spoken.className = "app-visually-hidden";
    this.spoken.setAttribute("aria-live", "polite");
    this.info.after(this.visible, this.spoken);

    this.timer = 0;
    this.textarea.addEventListener("input", () => {
      this.refresh();
      clearTimeout(this.timer);
      this.timer = setTimeout(() => (this.spoken.textContent = this.message()), ANNOUNCE_DELAY_MS);
    });
    this.refresh();
  }

  // Characters as the server counts them (code points), not UTF-16 units: an emoji is one.
  length() {
    let count = 0;
    for (const _ of this.textarea.value) count += 1;
    return count;
  }

  message() {
    const left = this.limit - this.length();
    const n = Math.abs(left).toLocaleString("en-GB");
    if (left < 0) return `You have ${n} character${left === -1 ? "" : "s"} too many`;
    return `You have ${n} character${left === 1 ? "" : "s"} remaining`;
  }

  refresh() {
    const over = this.length() > this.limit;
    this.visible.textContent = this.message();
    this.visible.classList.toggle("app-character-count__status--error", over);
    this.textarea.classList.toggle("app-input--error", over);
  }
}
