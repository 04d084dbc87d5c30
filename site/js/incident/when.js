// Date/time, Day of the Week and Session. Lantern shows the date and time now in the school's time
// zone (not the device's: a Chromebook set to another zone must still say the school's time), and
// derives the day and session from them until the person changes either by hand.
//
// The time is a text box on the 24-hour clock, not <input type="time">: a browser set to 12-hour time
// shows that box as "11:32 P" when narrow, and typing 1115 over it keeps PM unseen (23:15 recorded).
// Here what is typed is read once ("1115", "11.15", "9:05", "3pm") and shown back as 24-hour "HH:MM",
// with the whole moment in words underneath, so it cannot be misread.

export const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/**
 * The date and time now in `timeZone`: `{date: "YYYY-MM-DD", time: "HH:MM"}`.
 *
 *   localNow("Europe/London", new Date("2026-07-01T12:30:00Z"))  // {date: "2026-07-01", time: "13:30"}
 */
export function localNow(timeZone, now = new Date()) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  for (const { type, value } of format.formatToParts(now)) parts[type] = value;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** "Monday" … "Sunday" for a "YYYY-MM-DD" date, or "" when it is not a date. */
export function dayOfWeek(date) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
  if (!match) return "";
  // Noon UTC on that calendar date: the weekday of a date does not depend on any time zone.
  const when = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12));
  if (when.getUTCDate() !== Number(match[3])) return ""; // 31 February is no date
  return DAYS[(when.getUTCDay() + 6) % 7];
}

/**
 * A time as typed, read as 24-hour "HH:MM", or "" when it cannot be read as one. Without "am" or "pm" the
 * hours are the 24-hour clock's; with them, they say which half of the day.
 *
 *   parseTime("1115")  // "11:15"      parseTime("9.05")  // "09:05"
 *   parseTime("23:15") // "23:15"      parseTime("3 pm")  // "15:00"
 */
export function parseTime(text) {
  const match = /^(\d{1,2})(?:[:.h]?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|a|p)?$/.exec(String(text || "").trim().toLowerCase());
  if (!match) return "";
  let hours = Number(match[1]);
  const minutes = Number(match[2] ?? 0);
  const half = match[3]?.[0];
  if (half) {
    if (hours < 1 || hours > 12) return "";
    hours = (hours % 12) + (half === "p" ? 12 : 0);
  }
  if (hours > 23 || minutes > 59) return "";
  return `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}

/** "Tuesday 1 December 2026 at 14:05" for a date and a 24-hour time, or "". */
export function spokenMoment(date, time) {
  const day = dayOfWeek(date);
  if (!day || !time) return "";
  const [year, month, dayOfMonth] = date.split("-").map(Number);
  return `${day} ${dayOfMonth} ${MONTHS[month - 1]} ${year} at ${time}`;
}

/** The name of the session a "HH:MM" time falls in (start inclusive, end exclusive), or "". */
export function sessionAt(time, sessions) {
  if (!/^\d{2}:\d{2}/.test(time || "")) return "";
  const hhmm = time.slice(0, 5);
  return sessions.find((session) => session.start <= hhmm && hhmm < session.end)?.name ?? "";
}

export class WhenFields {
  constructor(form, { settings }) {
    this.date = form.elements.namedItem("date");
    this.time = form.elements.namedItem("time");
    this.day = form.elements.namedItem("day");
    this.session = form.elements.namedItem("session");
    this.readback = document.getElementById("when-readback");
    this.sessions = settings.sessions;
    this.outside = settings.outside_sessions;
    this.touched = { day: false, session: false };

    const now = localNow(settings.time_zone);
    this.date.value = now.date;
    this.time.value = now.time;
    this.derive();

    // "change" only comes from the person (setting .value from script sends no event).
    this.day.addEventListener("change", () => (this.touched.day = true));
    this.session.addEventListener("change", () => (this.touched.session = true));
    this.date.addEventListener("input", () => this.derive());
    this.date.addEventListener("change", () => this.derive());
    this.time.addEventListener("input", () => this.derive());
    // Leaving the box shows the time as it will be recorded.
    this.time.addEventListener("change", () => {
      const time = parseTime(this.time.value);
      if (time) this.time.value = time;
      this.derive();
    });
  }

  /** The time as the API takes it ("HH:MM"), or "" when what is typed is not a time. */
  value() {
    return parseTime(this.time.value);
  }

  derive() {
    const time = this.value();
    if (!this.touched.day) {
      const day = dayOfWeek(this.date.value);
      if (day) this.day.value = day;
    }
    if (!this.touched.session && time) {
      this.session.value = sessionAt(time, this.sessions) || this.outside;
    }
    const moment = spokenMoment(this.date.value, time);
    this.readback.textContent = moment ? `Recorded as ${moment}.` : "";
  }

  getState() {
    return { ...this.touched };
  }

  setState(state) {
    this.touched = { day: Boolean(state?.day), session: Boolean(state?.session) };
    this.derive();
  }
}
