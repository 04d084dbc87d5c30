// Dates and times as the school reads them: always in the school's time zone (Europe/London), whatever
// the device's own clock is set to, and never as raw ISO text.

const DEFAULT_ZONE = "Europe/London";

// Python's isoformat() gives microseconds; some Safari versions read no more than milliseconds.
function parseInstant(iso) {
  const when = new Date(String(iso ?? "").replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(when.getTime()) ? null : when;
}

function format(when, timeZone, options) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: timeZone || DEFAULT_ZONE, ...options }).format(when);
}

/** "Monday 3 March 2025 at 14:05" for an instant (ISO, UTC), or the text as given if it is not one. */
export function dateTime(iso, timeZone) {
  const when = parseInstant(iso);
  if (!when) return String(iso ?? "");
  const day = format(when, timeZone, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  return `${day} at ${format(when, timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })}`;
}

/** "3 Mar 2025, 14:05": the same instant, short enough for a table cell or a timeline. */
export function shortDateTime(iso, timeZone) {
  const when = parseInstant(iso);
  if (!when) return String(iso ?? "");
  const day = format(when, timeZone, { day: "numeric", month: "short", year: "numeric" });
  return `${day}, ${format(when, timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })}`;
}

/**
 * "3 March 2025" for a calendar date ("2025-03-03", a date with no time and so no zone to convert),
 * or for the school-time date of an instant.
 */
export function dateOnly(value, timeZone) {
  const text = String(value ?? "");
  const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (plain) {
    const [, y, m, d] = plain.map(Number);
    return format(new Date(Date.UTC(y, m - 1, d)), "UTC", { day: "numeric", month: "long", year: "numeric" });
  }
  const when = parseInstant(text);
  return when ? format(when, timeZone, { day: "numeric", month: "long", year: "numeric" }) : text;
}

/** Today's date in the school's time zone as a date input wants it: "2025-03-03". */
export function todayInSchool(timeZone, now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: timeZone || DEFAULT_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(now);
  const part = (type) => parts.find((item) => item.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** "1.2 MB" */
export function fileSize(bytes) {
  const size = Number(bytes);
  if (!Number.isFinite(size) || size < 0) return "";
  if (size < 1024) return `${size} bytes`;
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}

/** "a, b and c" */
export function listText(items, none = "") {
  const list = (Array.isArray(items) ? items : []).map(String).filter(Boolean);
  if (!list.length) return none;
  if (list.length === 1) return list[0];
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

/** "Daisy Wong (Year 2, Ash)": a pupil as staff know them, from `{name, year_group, class_name}`. */
export function pupilText(pupil) {
  if (!pupil) return "";
  const detail = [pupil.year_group, pupil.class_name].filter(Boolean).join(", ");
  return detail ? `${pupil.name ?? ""} (${detail})` : String(pupil.name ?? "");
}

/** "High" from "high". */
export function capitalise(text) {
  const value = String(text ?? "");
  return value ? value[0].toUpperCase() + value.slice(1) : value;
}
