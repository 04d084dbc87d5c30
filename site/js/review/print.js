// The block printed at the top of a record on paper (hidden on screen): what it is, and who printed it
// when. "Printed by" is filled when the page loads and again just before printing, so the time is right.

import { dateTime } from "./format.js";

export function printedBy(name, timeZone) {
  const target = document.getElementById("print-by");
  if (!target) return;
  const fill = () => {
    target.textContent = `Printed by ${name || "unknown"} on ${dateTime(new Date().toISOString(), timeZone)}`;
  };
  fill();
  window.addEventListener("beforeprint", fill);
}
