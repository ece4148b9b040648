import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainBookingsError } from '../../../shared/bookings/graph.js';
import { instant } from '../../../shared/graph/bookings.js';
import { ownStaffEntry, roleCheck } from '../../../shared/bookings/admin.js';
import { PermanentError } from '../../../shared/errors.js';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { bookingMarker } from '../../../shared/workflows/booking.js';

describe('booking workflow helpers', () => {
  it('marks appointments per site, issue and reservation', () => {
    assert.equal(bookingMarker('acme', '10001', 'job-1'), '[jira-m365 acme/10001/job-1]');
    assert.notEqual(bookingMarker('acme', '10001', 'job-1'), bookingMarker('acme', '10001', 'job-2'));
  });

  it('reads Bookings times with seven fractional digits, with or without an offset', () => {
    assert.equal(instant({ dateTime: '2026-05-01T12:00:00.0000000Z', timeZone: 'UTC' }).toISOString(), '2026-05-01T12:00:00.000Z');
    assert.equal(instant({ dateTime: '2026-05-01T12:00:00.0000000', timeZone: 'UTC' }).toISOString(), '2026-05-01T12:00:00.000Z');
    assert.equal(instant({ dateTime: '2026-05-01T12:00:00.0000000+02:00' }).toISOString(), '2026-05-01T10:00:00.000Z');
  });

  it('finds the service user among the staff by UPN or mail and requires the Administrator role', () => {
    const me = { id: '1', userPrincipalName: 'svc@x.onmicrosoft.com', mail: 'svc@x.example' };
    const staff = [{ id: 's1', displayName: 'Svc', emailAddress: 'SVC@x.example', role: 'scheduler' as const }];
    assert.equal(ownStaffEntry(staff, me)?.id, 's1');
    assert.match(roleCheck('scheduler', me, 'b@x.example').detail, /is a scheduler .*Role: Administrator/);
    assert.match(roleCheck(undefined, me, 'b@x.example').detail, /is not staff/);
    assert.equal(roleCheck('administrator', me, 'b@x.example').ok, true);
  });

  it('explains refusals: role and licence for delegated, consent for app-only, rules for app-only 400s', () => {
    const ctx = { businessId: 'b@x.example', action: 'create an appointment', caller: 'svc@x.example', kind: 'delegated' as const };
    const denied = explainBookingsError(new GraphRequestError(403, 'ErrorAccessDenied', 'm', 'POST', '/p'), ctx);
    assert.ok(denied instanceof PermanentError && denied.code === 'bookings_access_denied' && /Role: Administrator/.test(denied.message));
    const app = explainBookingsError(new GraphRequestError(403, 'Forbidden', 'm', 'POST', '/p'), { ...ctx, kind: 'app' });
    assert.ok(app instanceof PermanentError && /BookingsAppointment\.ReadWrite\.All/.test(app.message));
    const rules = explainBookingsError(new GraphRequestError(400, 'BadRequest', 'outside hours', 'POST', '/p'), { ...ctx, kind: 'app' });
    assert.ok(rules instanceof PermanentError && rules.code === 'bookings_rules_violated');
    const transient = new GraphRequestError(502, 'BadGateway', 'm', 'POST', '/p');
    assert.equal(explainBookingsError(transient, ctx), transient);
  });
});
