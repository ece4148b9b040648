// The business's time zone, in which its opening hours are written. Graph v1.0 has it as
// `bookingBusiness.bookingPageSettings.businessTimeZone` (String), whose values are those of dateTimeTimeZone:
// "any of the time zones supported by Windows" ("Pacific Standard Time") "as well as" a list of IANA names
// ("America/Los_Angeles") (microsoft-graph-docs bookingpagesettings.md → datetimetimezone.md). Intl understands
// IANA names only, so Windows names go through CLDR's windowsZones.xml mapping (territory "001", the zone Windows
// means by default; unicode-org/cldr common/supplemental/windowsZones.xml). The map holds the common zones; a
// name it does not hold is refused with a message saying what to do, never guessed.

/** Windows time zone id → IANA zone, copied from CLDR windowsZones.xml (territory 001). */
const windowsToIana: Record<string, string> = {
  'Dateline Standard Time': 'Etc/GMT+12',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Alaskan Standard Time': 'America/Anchorage',
  'Pacific Standard Time': 'America/Los_Angeles',
  'US Mountain Standard Time': 'America/Phoenix',
  'Mountain Standard Time': 'America/Denver',
  'Central America Standard Time': 'America/Guatemala',
  'Central Standard Time': 'America/Chicago',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'Canada Central Standard Time': 'America/Regina',
  'SA Pacific Standard Time': 'America/Bogota',
  'Eastern Standard Time': 'America/New_York',
  'US Eastern Standard Time': 'America/Indianapolis',
  'Atlantic Standard Time': 'America/Halifax',
  'SA Western Standard Time': 'America/La_Paz',
  'Pacific SA Standard Time': 'America/Santiago',
  'Newfoundland Standard Time': 'America/St_Johns',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'Argentina Standard Time': 'America/Buenos_Aires',
  UTC: 'Etc/UTC',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Romance Standard Time': 'Europe/Paris',
  'Central European Standard Time': 'Europe/Warsaw',
  'W. Central Africa Standard Time': 'Africa/Lagos',
  'GTB Standard Time': 'Europe/Bucharest',
  'Egypt Standard Time': 'Africa/Cairo',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'FLE Standard Time': 'Europe/Kiev',
  'Israel Standard Time': 'Asia/Jerusalem',
  'Turkey Standard Time': 'Europe/Istanbul',
  'Arab Standard Time': 'Asia/Riyadh',
  'Russian Standard Time': 'Europe/Moscow',
  'E. Africa Standard Time': 'Africa/Nairobi',
  'Arabian Standard Time': 'Asia/Dubai',
  'Pakistan Standard Time': 'Asia/Karachi',
  'India Standard Time': 'Asia/Calcutta',
  'SE Asia Standard Time': 'Asia/Bangkok',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'W. Australia Standard Time': 'Australia/Perth',
  'Taipei Standard Time': 'Asia/Taipei',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Korea Standard Time': 'Asia/Seoul',
  'Cen. Australia Standard Time': 'Australia/Adelaide',
  'AUS Central Standard Time': 'Australia/Darwin',
  'E. Australia Standard Time': 'Australia/Brisbane',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
};

export type ZoneResult = { ok: true; zone: string } | { ok: false; message: string };

/** The IANA zone for what Graph returned in `businessTimeZone` (an IANA name, or a Windows name the map holds). */
export function ianaZone(graphName: string | null | undefined): ZoneResult {
  const name = (graphName ?? '').trim();
  if (!name) {
    return { ok: false, message: 'it has no time zone (bookingPageSettings.businessTimeZone is empty): set the business\'s time zone in Bookings' };
  }
  const mapped = windowsToIana[name] ?? name;
  if (isIanaZone(mapped)) return { ok: true, zone: mapped };
  return {
    ok: false,
    message: `its time zone ${JSON.stringify(name.slice(0, 80))} is not one this app can convert (an IANA name such as Europe/Berlin, or a common Windows name such as W. Europe Standard Time)`,
  };
}

function isIanaZone(name: string): boolean {
  // Intl refuses zones it does not know with a RangeError; a Windows name such as "Pacific Standard Time" is one.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock fields in `zone` at instant `ms`. */
function wallClock(zone: string, ms: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** Offset of `zone` from UTC at instant `ms`, in ms (UTC+2 → +7 200 000). */
function offsetMs(zone: string, ms: number): number {
  const w = wallClock(zone, ms);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The calendar date in `zone` at instant `ms`. */
export function localDateOf(zone: string, ms: number): LocalDate {
  const w = wallClock(zone, ms);
  return { year: w.year, month: w.month, day: w.day };
}

/** The next calendar date. */
export function nextDate(d: LocalDate): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday: a calendar date's weekday does not depend on the zone. */
export function weekday(d: LocalDate): number {
  return new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
}

/**
 * The instant at which the wall clock in `zone` shows `timeOfDayMs` on date `d`. Two passes settle the offset on
 * either side of a daylight-saving change. A wall time inside a spring-forward gap (which does not exist) lands
 * within the gap's length of it, and a repeated one (fall-back) gets one of its two instants: opening hours do not
 * sit in the night hours where zones change.
 */
export function instantAt(zone: string, d: LocalDate, timeOfDayMs: number): number {
  const wall = Date.UTC(d.year, d.month - 1, d.day) + timeOfDayMs;
  let guess = wall - offsetMs(zone, wall);
  guess = wall - offsetMs(zone, guess);
  return guess;
}
