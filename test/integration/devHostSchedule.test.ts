// Timer schedules of the local stand-in Functions host (dev/ncrontab.ts): six-field NCRONTAB in UTC.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedule, resolveAppSettings } from '../../dev/ncrontab.js';

const next = (expr: string, after: string) => parseSchedule(expr).next(new Date(after)).toISOString();

describe('dev host NCRONTAB schedules', () => {
  it('steps seconds with */n and never returns the start instant itself', () => {
    assert.equal(next('*/1 * * * * *', '2026-01-01T00:00:00.000Z'), '2026-01-01T00:00:01.000Z');
    assert.equal(next('*/15 * * * * *', '2026-01-01T00:00:14.500Z'), '2026-01-01T00:00:15.000Z');
  });

  it('handles lists, ranges and stepped ranges', () => {
    assert.equal(next('0 5,35 * * * *', '2026-01-01T00:06:00Z'), '2026-01-01T00:35:00.000Z');
    assert.equal(next('0 0 9-17/4 * * *', '2026-01-01T10:00:00Z'), '2026-01-01T13:00:00.000Z');
  });

  it('jumps to the next matching day of week and month cheaply', () => {
    // 2026-01-01 is a Thursday; the next Monday 09:30 is 2026-01-05.
    assert.equal(next('0 30 9 * * 1', '2026-01-01T12:00:00Z'), '2026-01-05T09:30:00.000Z');
    assert.equal(next('0 0 0 1 1 *', '2026-06-01T00:00:00Z'), '2027-01-01T00:00:00.000Z');
  });

  it('refuses a TimeSpan: Flex Consumption takes NCRONTAB only', () => {
    assert.throws(() => parseSchedule('00:05:00'), /TimeSpan.*NCRONTAB/);
    assert.throws(() => parseSchedule('1.00:00:00'), /TimeSpan/);
  });

  it('rejects five-field cron and out-of-range values with the expression in the message', () => {
    assert.throws(() => parseSchedule('*/5 * * * *'), /six fields/);
    assert.throws(() => parseSchedule('0 61 * * * *'), /minute/);
  });

  it('resolves %APP_SETTING% schedules from the environment and names a missing setting', () => {
    assert.equal(resolveAppSettings('%KEEPALIVE%', { KEEPALIVE: '0 */5 * * * *' }), '0 */5 * * * *');
    assert.throws(() => resolveAppSettings('%MISSING_SCHEDULE%', {}), /MISSING_SCHEDULE/);
  });
});
