// The receipt that replaces the form once the incident is added. The reporter cannot open the
// incident again ("Once you have done this, you will not be able to access it again"), so this is
// what they keep: the reference, the time, and who was told.

/** "Monday 30 November 2026 at 14:05" in the school's time zone, or the text as given if it is not a time. */
export function schoolTime(iso, timeZone) {
  // Python's isoformat() gives microseconds; some Safari versions read no more than milliseconds.
  const when = new Date(String(iso ?? "").replace(/(\.\d{3})\d+/, "$1"));
  if (Number.isNaN(when.getTime())) return String(iso ?? "");
  const part = (options) => new Intl.DateTimeFormat("en-GB", { timeZone, ...options }).format(when);
  const day = part({ weekday: "long", day: "numeric", month: "long", year: "numeric" });
  return `${day} at ${part({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" })}`;
}

const names = (list, none) => (Array.isArray(list) && list.length ? list.join(", ") : none);

/**
 * Put the receipt from `#receipt-template` where the form was (the form and all it held are removed
 * from the page) and focus its title. `data` is the API's 201 answer.
 */
export function showReceipt(form, data, { timeZone }) {
  const receipt = document.getElementById("receipt-template").content.firstElementChild.cloneNode(true);
  const fill = (name, text) => (receipt.querySelector(`[data-receipt="${name}"]`).textContent = text);
  fill("reference", String(data.reference ?? ""));
  fill("recorded-at", schoolTime(data.recorded_at, timeZone));
  fill("alerted", names(data.alerted, "No one else"));
  fill("assigned", names(data.assigned, "No one"));
  receipt.querySelector('[data-receipt="again"]').addEventListener("click", () => location.assign(location.pathname));
  form.replaceWith(receipt);
  document.title = document.title.replace(/^Add Incident/, "Incident added");
  const title = receipt.querySelector(".app-panel__title");
  title.focus();
  title.scrollIntoView();
  return receipt;
}
