// Microsoft Bookings refusals in words an admin can act on. The Graph calls themselves are ../graph/bookings.ts
// (/solutions/bookingBusinesses, graph-contract §8); this turns their GraphRequestErrors into what to do.
import { PermanentError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';

export interface BookingsErrorContext {
  businessId: string;
  /** What was being done ("create an appointment"). */
  action: string;
  /** The service user's UPN, or "the app (app-only)". */
  caller: string;
  kind: 'delegated' | 'app';
}

/** Graph's Bookings refusals as actionable PermanentErrors; other errors (5xx, network, throttling) unchanged. */
export function explainBookingsError(e: unknown, ctx: BookingsErrorContext): unknown {
  if (!(e instanceof GraphRequestError) || e.status >= 500) return e;
  const graph = `(Graph ${e.status} ${e.code})`;
  const details = { status: e.status, graphCode: e.code, requestId: e.requestId, businessId: ctx.businessId };
  if (e.status === 401 || e.status === 403) {
    return new PermanentError(
      ctx.kind === 'app'
        ? `the app may not ${ctx.action} in Bookings business ${ctx.businessId} ${graph}: a Microsoft 365 admin must consent to the application permission BookingsAppointment.ReadWrite.All for the bookings feature.`
        : `${ctx.caller} may not ${ctx.action} in Bookings business ${ctx.businessId} ${graph}. The Bookings service user must hold a Microsoft Bookings licence ` +
            '(service plan MICROSOFTBOOKINGS) and be a staff member of the business with the role Administrator ' +
            '(Bookings web app → the business → Staff → edit the service user → Role: Administrator); then try again.',
      'bookings_access_denied',
      details,
      { cause: e },
    );
  }
  if (e.status === 404) {
    return new PermanentError(
      `Bookings business ${ctx.businessId} (or the item) was not found ${graph}: check the business bound to the project (GET /api/manage/bookings/businesses lists them).`,
      'bookings_not_found',
      details,
      { cause: e },
    );
  }
  if (e.status === 400 && ctx.kind === 'app') {
    return new PermanentError(
      `Bookings refused to ${ctx.action} app-only ${graph}: ${e.message} App-only callers must keep the business rules (business hours, the service's length, lead time, staff selection); only a Bookings administrator acting as itself may override them.`,
      'bookings_rules_violated',
      details,
      { cause: e },
    );
  }
  return new PermanentError(`Bookings refused to ${ctx.action} ${graph}: ${e.message}`, 'bookings_rejected', details, { cause: e });
}
