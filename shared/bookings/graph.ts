// Microsoft Bookings through Graph (/solutions/bookingBusinesses, graph-contract §8): the reads the admin API and
// the booking jobs need, creating and cancelling appointments, and Graph's refusals turned into what an admin has
// to do. Business ids are SMTP-like addresses and travel percent-encoded in paths.
import { PermanentError } from '../errors.js';
import { graphKey, GraphRequestError, type Graph } from '../graph/client.js';
import type { BookingWorkHours, SchedulingPolicy } from './rules.js';

export interface BookingBusinessSummary {
  id: string;
  displayName: string;
}

export interface BookingBusiness extends BookingBusinessSummary {
  email?: string;
  businessHours?: BookingWorkHours[];
  schedulingPolicy?: SchedulingPolicy;
  /** v1.0 bookingPageSettings: `businessTimeZone` is the zone the business hours are in (see ./timeZone.ts). */
  bookingPageSettings?: { businessTimeZone?: string | null } | null;
}

export interface BookingService {
  id: string;
  displayName: string;
  defaultDuration: string;
  maximumAttendeesCount?: number;
  isLocationOnline?: boolean;
  staffMemberIds?: string[];
  schedulingPolicy?: SchedulingPolicy | null;
}

export type BookingStaffRole = 'guest' | 'administrator' | 'viewer' | 'externalGuest' | 'scheduler' | 'teamMember' | 'unknownFutureValue';

export interface BookingStaffMember {
  id: string;
  displayName: string;
  emailAddress?: string;
  role?: BookingStaffRole;
}

export interface DateTimeTimeZone {
  dateTime: string;
  timeZone?: string;
}

export interface BookingAppointment {
  id: string;
  joinWebUrl?: string | null;
  serviceId?: string | null;
  serviceName?: string;
  startDateTime: DateTimeTimeZone;
  endDateTime: DateTimeTimeZone;
  staffMemberIds?: string[];
  serviceNotes?: string | null;
}

export const businessPath = (businessId: string) => `/solutions/bookingBusinesses/${graphKey(businessId)}`;

// bookingstaffmember.md: `scheduler` and `teamMember` come back as `unknownFutureValue` unless asked for.
const includeUnknownEnumMembers = { Prefer: 'include-unknown-enum-members' };

export async function listBusinesses(graph: Graph): Promise<BookingBusinessSummary[]> {
  // bookingbusiness-list.md: only id and displayName, at most 500, no paging.
  return (await graph.get<{ value: BookingBusinessSummary[] }>('/solutions/bookingBusinesses')).body.value;
}

export async function getBusiness(graph: Graph, businessId: string): Promise<BookingBusiness> {
  return (await graph.get<BookingBusiness>(businessPath(businessId))).body;
}

export async function listServices(graph: Graph, businessId: string): Promise<BookingService[]> {
  return (await graph.get<{ value: BookingService[] }>(`${businessPath(businessId)}/services`)).body.value;
}

export async function listStaff(graph: Graph, businessId: string): Promise<BookingStaffMember[]> {
  return (await graph.get<{ value: BookingStaffMember[] }>(`${businessPath(businessId)}/staffMembers`, includeUnknownEnumMembers)).body.value;
}

/** Staff lists of many businesses in `$batch`es of 20 (json-batching); a failed one is reported, not thrown. */
export async function listStaffOfMany(graph: Graph, businessIds: string[]): Promise<Map<string, BookingStaffMember[] | { status: number; code?: string }>> {
  const out = new Map<string, BookingStaffMember[] | { status: number; code?: string }>();
  for (let i = 0; i < businessIds.length; i += 20) {
    const chunk = businessIds.slice(i, i + 20);
    const responses = await graph.batch(
      chunk.map((id, n) => ({ id: String(n + 1), method: 'GET' as const, url: `${businessPath(id)}/staffMembers`, headers: includeUnknownEnumMembers })),
    );
    for (const r of responses) {
      const businessId = chunk[Number(r.id) - 1];
      if (!businessId) continue;
      const body = r.body as { value?: BookingStaffMember[]; error?: { code?: string } } | undefined;
      out.set(businessId, r.status === 200 && body?.value ? body.value : { status: r.status, code: body?.error?.code });
    }
  }
  return out;
}

export async function listAppointments(graph: Graph, businessId: string): Promise<BookingAppointment[]> {
  return (await graph.get<{ value: BookingAppointment[] }>(`${businessPath(businessId)}/appointments`)).body.value;
}

export interface NewAppointment {
  serviceId: string;
  start: Date;
  end: Date;
  staffMemberIds: string[];
  customer: { name: string; emailAddress: string; customerId?: string };
  /** Staff-only notes; carries the marker that finds this appointment again after a crash. */
  serviceNotes: string;
}

export async function createAppointment(graph: Graph, businessId: string, a: NewAppointment): Promise<BookingAppointment> {
  const when = (d: Date) => ({ '@odata.type': '#microsoft.graph.dateTimeTimeZone', dateTime: d.toISOString(), timeZone: 'UTC' });
  const body = {
    '@odata.type': '#microsoft.graph.bookingAppointment',
    serviceId: a.serviceId,
    startDateTime: when(a.start),
    endDateTime: when(a.end),
    isLocationOnline: true,
    ...(a.staffMemberIds.length ? { staffMemberIds: a.staffMemberIds } : {}),
    serviceNotes: a.serviceNotes,
    customerTimeZone: 'UTC',
    customers: [
      {
        '@odata.type': '#microsoft.graph.bookingCustomerInformation',
        ...(a.customer.customerId ? { customerId: a.customer.customerId } : {}),
        name: a.customer.name,
        emailAddress: a.customer.emailAddress,
        timeZone: 'UTC',
      },
    ],
  };
  return (await graph.post<BookingAppointment>(`${businessPath(businessId)}/appointments`, body)).body;
}

/** bookingbusiness-post-appointments.md: services for several attendees need existing customers (by id). */
export async function createCustomer(graph: Graph, businessId: string, customer: { name: string; emailAddress: string }): Promise<string> {
  const r = await graph.post<{ id: string }>(`${businessPath(businessId)}/customers`, {
    '@odata.type': '#microsoft.graph.bookingCustomer',
    displayName: customer.name,
    emailAddress: customer.emailAddress,
  });
  return r.body.id;
}

export async function cancelAppointment(graph: Graph, businessId: string, appointmentId: string, message: string): Promise<void> {
  await graph.post(`${businessPath(businessId)}/appointments/${graphKey(appointmentId)}/cancel`, { cancellationMessage: message });
}

/** A dateTimeTimeZone from Bookings (UTC, seven fractional digits, sometimes without `Z`) as a Date. */
export function instant(value: DateTimeTimeZone): Date {
  const hasOffset = /(Z|[+-]\d\d:\d\d)$/i.test(value.dateTime);
  const trimmed = value.dateTime.replace(/(\.\d{3})\d+/, '$1');
  return new Date(hasOffset ? trimmed : `${trimmed}Z`);
}

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
