// "Blank screen": one tap covers the whole page with a plain screen, for when a child walks up while
// a concern is being written. Another tap brings it back exactly as it was.

export class BlankScreen {
  constructor(button) {
    this.button = button;
    this.overlay = document.getElementById("blank-screen-overlay");
    this.back = this.overlay.querySelector("button");
    // A direct child of <body>, so everything else can be made inert while it shows.
    document.body.append(this.overlay);
    this.button.addEventListener("click", () => this.blank());
    this.back.addEventListener("click", () => this.restore());
  }

  others() {
    return [...document.body.children].filter((node) => node !== this.overlay && node.tagName !== "SCRIPT");
  }

  blank() {
    // inert keeps the hidden page out of reach of Tab and screen readers, not just out of sight.
    for (const node of this.others()) node.inert = true;
    this.overlay.hidden = false;
    document.documentElement.classList.add("app-blanked");
    this.back.focus();
  }

  restore() {
    for (const node of this.others()) node.inert = false;
    this.overlay.hidden = true;
    document.documentElement.classList.remove("app-blanked");
    this.button.focus();
  }
}
