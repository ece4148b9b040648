import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationMs, nextAllowedSlot, ruleViolation, type BusinessRules } from '../../../shared/bookings/rules.js';
import { ianaZone } from '../../../shared/bookings/timeZone.js';

const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((day) => ({
  day,
  timeSlots: [
    { startTime: '08:00:00.0000000', endTime: '12:00:00.0000000' },
    { startTime: '13:00:00.0000000', endTime: '17:00:00.0000000' },
  ],
}));
const rules: BusinessRules = {
  businessHours: weekdays,
  policy: { timeSlotInterval: 'PT30M', minimumLeadTime: 'PT1H', maximumAdvance: 'P14D', allowStaffSelection: true },
  timeZone: 'Etc/UTC',
};
const at = (iso: string) => new Date(iso);
const thirty = 30 * 60_000;

describe('Bookings business rules', () => {
  it('reads ISO 8601 durations', () => {
    assert.equal(durationMs('PT30M'), thirty);
    assert.equal(durationMs('P1DT2H'), 26 * 3600_000);
    assert.equal(durationMs('P2W'), 14 * 24 * 3600_000);
    assert.equal(durationMs('PT1.5S'), 1500);
    assert.throws(() => durationMs('30 minutes'), /ISO 8601/);
    assert.throws(() => durationMs('PT'), /ISO 8601/);
  });

  it('names the broken rule', () => {
    const monday9 = at('2026-11-23T09:00:00Z');
    assert.equal(ruleViolation(rules, at('2026-11-23T10:00:00Z'), thirty, monday9), undefined);
    assert.match(ruleViolation(rules, at('2026-11-23T09:30:00Z'), thirty, monday9)!, /minimum lead time PT1H/);
    assert.match(ruleViolation(rules, at('2026-12-09T10:00:00Z'), thirty, monday9)!, /maximum advance P14D/);
    assert.match(ruleViolation(rules, at('2026-11-23T11:45:00Z'), thirty, monday9)!, /outside the business hours/, 'runs into the lunch break');
    assert.match(ruleViolation(rules, at('2026-11-28T10:00:00Z'), thirty, monday9)!, /outside/, 'Saturday');
    assert.equal(ruleViolation(rules, at('2026-11-23T16:30:00Z'), thirty, monday9), undefined, 'ends exactly at closing');
  });

  it('finds the next slot on the grid after the lead time, skipping busy time, breaks and weekends', () => {
    assert.deepEqual(nextAllowedSlot(rules, thirty, at('2026-11-23T09:00:00Z')), at('2026-11-23T10:00:00Z'));
    assert.deepEqual(nextAllowedSlot(rules, thirty, at('2026-11-23T09:10:00Z')), at('2026-11-23T10:30:00Z'), 'rounded up to the 30-minute grid');
    assert.deepEqual(nextAllowedSlot(rules, thirty, at('2026-11-23T10:45:00Z')), at('2026-11-23T13:00:00Z'), 'after the lunch break');
    assert.deepEqual(nextAllowedSlot(rules, thirty, at('2026-11-27T16:00:00Z')), at('2026-11-30T08:00:00Z'), 'Friday late → Monday');
    const busy = [{ start: Date.parse('2026-11-23T10:00:00Z'), end: Date.parse('2026-11-23T11:00:00Z') }];
    assert.deepEqual(nextAllowedSlot(rules, thirty, at('2026-11-23T09:00:00Z'), busy), at('2026-11-23T11:00:00Z'));
    assert.deepEqual(nextAllowedSlot(rules, 60 * 60_000, at('2026-11-23T09:00:00Z'), busy), at('2026-11-23T11:00:00Z'), 'an hour fits 11:00–12:00');
  });

  it('gives up when nothing fits inside the booking window', () => {
    const closed: BusinessRules = { businessHours: [], policy: rules.policy, timeZone: 'Etc/UTC' };
    assert.equal(nextAllowedSlot(closed, thirty, at('2026-11-23T09:00:00Z')), undefined);
    const tooLong = nextAllowedSlot(rules, 5 * 3600_000, at('2026-11-23T09:00:00Z'));
    assert.equal(tooLong, undefined, 'five hours never fit between 08–12 and 13–17');
  });
});

describe('Bookings business hours in the business\'s time zone', () => {
  // A Pacific-time business open every day 09:00–17:00 local. US daylight saving ends on Sunday 2026-11-01 at 02:00
  // PDT (UTC-7) → 01:00 PST (UTC-8): 09:00 local is 16:00Z on Saturday 31 October and 17:00Z on Sunday 1 November.
  const everyDay = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((day) => ({
    day,
    timeSlots: [{ startTime: '09:00:00.0000000', endTime: '17:00:00.0000000' }],
  }));
  const pacific = ianaZone('Pacific Standard Time');
  assert.ok(pacific.ok);
  const la: BusinessRules = { businessHours: everyDay, policy: { timeSlotInterval: 'PT30M', maximumAdvance: 'P30D' }, timeZone: pacific.zone };

  it('Graph\'s Windows zone names and IANA names are both understood; unknown or empty ones are refused with the reason', () => {
    assert.deepEqual(ianaZone('Pacific Standard Time'), { ok: true, zone: 'America/Los_Angeles' });
    assert.deepEqual(ianaZone('W. Europe Standard Time'), { ok: true, zone: 'Europe/Berlin' });
    assert.deepEqual(ianaZone('America/Los_Angeles'), { ok: true, zone: 'America/Los_Angeles' });
    assert.deepEqual(ianaZone('UTC'), { ok: true, zone: 'Etc/UTC' });
    const unknown = ianaZone('Mars Standard Time');
    assert.ok(!unknown.ok && /"Mars Standard Time" is not one this app can convert/.test(unknown.message));
    const empty = ianaZone(null);
    assert.ok(!empty.ok && /businessTimeZone is empty/.test(empty.message));
  });

  it('the default start falls on the opening hour in local time on the day daylight saving ends', () => {
    // Saturday 31 October 18:00 PDT (after closing): the next slot is Sunday 09:00 PST, which is 17:00Z.
    assert.deepEqual(nextAllowedSlot(la, thirty, at('2026-11-01T01:00:00Z')), at('2026-11-01T17:00:00Z'));
    // The day before, still in PDT: 09:00 local is 16:00Z.
    assert.deepEqual(nextAllowedSlot(la, thirty, at('2026-10-31T05:00:00Z')), at('2026-10-31T16:00:00Z'));
    // At the spring change (Sunday 2026-03-08, PST → PDT at 02:00): 09:00 local is 16:00Z.
    assert.deepEqual(nextAllowedSlot(la, thirty, at('2026-03-08T09:00:00Z')), at('2026-03-08T16:00:00Z'));
  });

  it('the rule check reads the hours in local time across the change', () => {
    const before = at('2026-10-31T12:00:00Z');
    assert.match(ruleViolation(la, at('2026-11-01T16:30:00Z'), thirty, before)!, /outside the business hours \(America\/Los_Angeles\)/, '08:30 PST');
    assert.equal(ruleViolation(la, at('2026-11-01T17:00:00Z'), thirty, before), undefined, '09:00 PST');
    assert.equal(ruleViolation(la, at('2026-11-02T00:30:00Z'), thirty, before), undefined, '16:30 PST on Sunday, which is Monday in UTC');
    assert.match(ruleViolation(la, at('2026-11-02T01:00:00Z'), thirty, before)!, /outside/, '17:00 PST: closed');
  });
});
