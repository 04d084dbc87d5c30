// Date/time, Day of the Week and Session. Lantern shows the date and time now in the school's time
// zone (not the device's: a Chromebook set to another zone must still say the school's time), and
// derives the day and session from them until the person changes either by hand.

export const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

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
  const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12)).getUTCDay();
  return DAYS[(day + 6) % 7];
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
    this.noSession = document.getElementById("session-none");
    this.sessions = settings.sessions;
    this.touched = { day: false, session: false };

    const now = localNow(settings.time_zone);
    this.date.value = now.date;
    this.time.value = now.time;
    this.derive();

    // "change" only comes from the person (setting .value from script sends no event).
    this.day.addEventListener("change", () => (this.touched.day = true));
    this.session.addEventListener("change", () => {
      this.touched.session = true;
      this.noSession.hidden = true;
    });
    for (const input of [this.date, this.time]) {
      input.addEventListener("input", () => this.derive());
      input.addEventListener("change", () => this.derive());
    }
  }

  derive() {
    if (!this.touched.day) {
      const day = dayOfWeek(this.date.value);
      if (day) this.day.value = day;
    }
    if (!this.touched.session) {
      const session = sessionAt(this.time.value, this.sessions);
      this.session.value = session;
      this.noSession.hidden = Boolean(session) || !this.time.value;
    }
  }

  getState() {
    return { ...this.touched };
  }

  setState(state) {
    this.touched = { day: Boolean(state?.day), session: Boolean(state?.session) };
    this.noSession.hidden = this.touched.session || Boolean(this.session.value);
  }
}
