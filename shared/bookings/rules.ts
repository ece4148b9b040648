// The Bookings business rules an app-only caller must obey (graph-contract §8, bookingsbusiness-business-rules.md):
// the appointment lies within business hours, lasts exactly the service's duration, starts no sooner than the
// minimum lead time and no later than the maximum advance, and names staff only when the business allows staff
// selection. Checking them here turns Graph's 400 into a precise reason, and lets a job pick the next slot the
// rules allow when the request names no time.
//
// Business hours are wall-clock times in the business's own time zone (bookingPageSettings.businessTimeZone, see
// ./timeZone.ts), so a day's opening and closing instants are computed per calendar day in that zone: across a
// daylight-saving change, 09:00 stays 09:00 local while its UTC instant moves by an hour.
import { instantAt, localDateOf, nextDate, weekday, type LocalDate } from './timeZone.js';

export interface BookingWorkHours {
  day: string;
  timeSlots: Array<{ startTime: string; endTime: string }>;
}

export interface SchedulingPolicy {
  timeSlotInterval?: string;
  minimumLeadTime?: string;
  maximumAdvance?: string;
  allowStaffSelection?: boolean;
}

export interface BusinessRules {
  businessHours: BookingWorkHours[];
  policy: SchedulingPolicy;
  /** IANA zone the business hours are written in. */
  timeZone: string;
}

export interface Interval {
  start: number;
  end: number;
}

const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const dayMs = 24 * 60 * 60 * 1000;

/** ISO 8601 duration (Edm.Duration: `PT30M`, `P1DT2H`, `P365D`, `P2W`) in milliseconds. */
export function durationMs(iso: string): number {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso.trim());
  if (!m || iso.trim() === 'P' || iso.trim().endsWith('T')) throw new Error(`not an ISO 8601 duration: ${JSON.stringify(iso)}`);
  const [, w, d, h, min, s] = m;
  return ((((Number(w ?? 0) * 7 + Number(d ?? 0)) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60 + Number(s ?? 0)) * 1000;
}

/** `08:00:00.0000000` → milliseconds after midnight. */
function timeOfDayMs(time: string): number {
  const [h = '0', m = '0', s = '0'] = time.split(':');
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

function openWindows(rules: BusinessRules, date: LocalDate): Interval[] {
  const name = days[weekday(date)];
  return rules.businessHours
    .filter((h) => h.day.toLowerCase() === name)
    .flatMap((h) => h.timeSlots.map((s) => ({ start: instantAt(rules.timeZone, date, timeOfDayMs(s.startTime)), end: instantAt(rules.timeZone, date, timeOfDayMs(s.endTime)) })));
}

/** Why an appointment at `start` lasting `length` ms breaks the rules, or `undefined` when it does not. */
export function ruleViolation(rules: BusinessRules, start: Date, length: number, now: Date): string | undefined {
  const s = start.getTime();
  const lead = s - now.getTime();
  const minLead = rules.policy.minimumLeadTime ? durationMs(rules.policy.minimumLeadTime) : 0;
  const maxAdvance = rules.policy.maximumAdvance ? durationMs(rules.policy.maximumAdvance) : Infinity;
  if (lead < minLead) return `it starts sooner than the business's minimum lead time ${rules.policy.minimumLeadTime}`;
  if (lead > maxAdvance) return `it starts later than the business's maximum advance ${rules.policy.maximumAdvance}`;
  const inside = openWindows(rules, localDateOf(rules.timeZone, s)).some((w) => s >= w.start && s + length <= w.end);
  if (!inside) return `it is outside the business hours (${rules.timeZone})`;
  return undefined;
}

/**
 * The earliest start the rules allow, on the business's slot grid (slots start every `timeSlotInterval` from the
 * opening time), clear of `busy` intervals; `undefined` when nothing fits before the maximum advance (capped at
 * a year).
 */
export function nextAllowedSlot(rules: BusinessRules, length: number, now: Date, busy: Interval[] = []): Date | undefined {
  const step = rules.policy.timeSlotInterval ? durationMs(rules.policy.timeSlotInterval) : length;
  const earliest = now.getTime() + (rules.policy.minimumLeadTime ? durationMs(rules.policy.minimumLeadTime) : 0);
  const latest = now.getTime() + Math.min(rules.policy.maximumAdvance ? durationMs(rules.policy.maximumAdvance) : Infinity, 366 * dayMs);
  if (step <= 0 || length <= 0) return undefined;
  // One calendar day of the business at a time, from the day `earliest` falls on, until the days start after `latest`.
  for (let date = localDateOf(rules.timeZone, earliest); instantAt(rules.timeZone, date, 0) <= latest; date = nextDate(date)) {
    for (const w of openWindows(rules, date).sort((a, b) => a.start - b.start)) {
      const first = w.start + Math.max(0, Math.ceil((earliest - w.start) / step)) * step;
      for (let s = first; s + length <= w.end && s <= latest; s += step) {
        if (!busy.some((b) => s < b.end && b.start < s + length)) return new Date(s);
      }
    }
  }
  return undefined;
}
