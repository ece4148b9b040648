import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationMs, nextAllowedSlot, ruleViolation, type BusinessRules } from '../../../shared/bookings/rules.js';

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
    const closed: BusinessRules = { businessHours: [], policy: rules.policy };
    assert.equal(nextAllowedSlot(closed, thirty, at('2026-11-23T09:00:00Z')), undefined);
    const tooLong = nextAllowedSlot(rules, 5 * 3600_000, at('2026-11-23T09:00:00Z'));
    assert.equal(tooLong, undefined, 'five hours never fit between 08–12 and 13–17');
  });
});
