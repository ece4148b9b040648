// Microsoft Bookings through Graph (/solutions/bookingBusinesses, ../shared/graph-contract.md §8): the reads the
// admin API and the booking jobs need, creating customers and appointments, and cancelling appointments. What a
// refusal means for an admin is ../bookings/graph.ts (explainBookingsError); the business rules are
// ../bookings/rules.ts.
//
// Permissions (graph-contract §8): reads take delegated Bookings.Read.All (or any higher Bookings permission);
// writes take delegated BookingsAppointment.ReadWrite.All, Bookings.ReadWrite.All or Bookings.Manage.All, or the
// application permission BookingsAppointment.ReadWrite.All, which "allows reading businesses, services, and staff"
// too. Delegated, only a staff member of the business (administrator, scheduler, team member, viewer) may call
// them; app-only callers must keep the business rules (bookingsbusiness-business-rules.md).
//
// Business ids are SMTP-like addresses and travel percent-encoded in paths (graphKey).
import type * as G from '@microsoft/microsoft-graph-types';
import { graphKey, type Graph } from './client.js';

/** Graph's type with the properties Graph always returns made required (the generated types mark all optional). */
type Returned<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };

export type DateTimeTimeZone = Returned<G.DateTimeTimeZone, 'dateTime'>;

/** A day's hours as a business lists them: the day and its slots (possibly none), each with start and end. */
export type BookingWorkHours = Returned<G.BookingWorkHours, 'day'> & { timeSlots: Array<Required<G.BookingWorkTimeSlot>> };

/** What bookingbusiness-list answers per business: only id and displayName. */
export type BookingBusinessSummary = Returned<Pick<G.BookingBusiness, 'id' | 'displayName'>, 'id' | 'displayName'>;

export type BookingBusiness = Returned<Omit<G.BookingBusiness, 'businessHours'>, 'id' | 'displayName'> & {
  businessHours?: BookingWorkHours[] | null;
};

export type BookingService = Returned<G.BookingService, 'id' | 'displayName' | 'defaultDuration'>;

export type BookingStaffRole = G.BookingStaffRole;

export type BookingStaffMember = Returned<G.BookingStaffMember, 'id' | 'displayName'>;

export type BookingAppointment = Returned<Omit<G.BookingAppointment, 'startDateTime' | 'endDateTime'>, 'id'> & {
  startDateTime: DateTimeTimeZone;
  endDateTime: DateTimeTimeZone;
};

export const businessPath = (businessId: string) => `/solutions/bookingBusinesses/${graphKey(businessId)}`;

// bookingstaffmember.md: `scheduler` and `teamMember` come back as `unknownFutureValue` unless asked for.
const includeUnknownEnumMembers = { Prefer: 'include-unknown-enum-members' };

/**
 * GET /solutions/bookingBusinesses (bookingbusiness-list.md): the businesses the caller can see, only id and
 * displayName, at most 500, no paging. Delegated only in the doc version read (graph-contract §8).
 */
export async function listBusinesses(graph: Graph): Promise<BookingBusinessSummary[]> {
  return (await graph.get<{ value: BookingBusinessSummary[] }>('/solutions/bookingBusinesses')).body.value;
}

/** GET /solutions/bookingBusinesses/{id} (bookingbusiness-get.md): hours, scheduling policy, time zone. */
export async function getBusiness(graph: Graph, businessId: string): Promise<BookingBusiness> {
  return (await graph.get<BookingBusiness>(businessPath(businessId))).body;
}

/** GET …/{id}/services (bookingbusiness-list-services.md). */
export async function listServices(graph: Graph, businessId: string): Promise<BookingService[]> {
  return (await graph.get<{ value: BookingService[] }>(`${businessPath(businessId)}/services`)).body.value;
}

/** GET …/{id}/staffMembers (bookingbusiness-list-staffmembers.md), every role named; at most 100 staff per business. */
export async function listStaff(graph: Graph, businessId: string): Promise<BookingStaffMember[]> {
  return (await graph.get<{ value: BookingStaffMember[] }>(`${businessPath(businessId)}/staffMembers`, includeUnknownEnumMembers)).body.value;
}

/**
 * listStaff for many businesses, in `$batch`es of at most 20 (json-batching.md); a business whose list failed is
 * reported with its status and code, not thrown.
 */
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

/** GET …/{id}/appointments (bookingbusiness-list-appointments.md). */
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

/**
 * POST …/{id}/appointments (bookingbusiness-post-appointments.md), 201 with the appointment (a Teams `joinWebUrl`
 * when online). Times in UTC. Staff may be named only when the business allows staff selection (app-only callers
 * are held to it); invalid customer ids are dropped silently, so a service for several attendees gets a customer
 * created first (createCustomer).
 */
export async function createAppointment(graph: Graph, businessId: string, a: NewAppointment): Promise<BookingAppointment> {
  const when = (d: Date) => ({ '@odata.type': '#microsoft.graph.dateTimeTimeZone', dateTime: d.toISOString(), timeZone: 'UTC' });
  const customer: G.BookingCustomerInformation & { '@odata.type': string } = {
    '@odata.type': '#microsoft.graph.bookingCustomerInformation',
    ...(a.customer.customerId ? { customerId: a.customer.customerId } : {}),
    name: a.customer.name,
    emailAddress: a.customer.emailAddress,
    timeZone: 'UTC',
  };
  const body: G.BookingAppointment & { '@odata.type': string } = {
    '@odata.type': '#microsoft.graph.bookingAppointment',
    serviceId: a.serviceId,
    startDateTime: when(a.start),
    endDateTime: when(a.end),
    isLocationOnline: true,
    ...(a.staffMemberIds.length ? { staffMemberIds: a.staffMemberIds } : {}),
    serviceNotes: a.serviceNotes,
    customerTimeZone: 'UTC',
    customers: [customer],
  };
  return (await graph.post<BookingAppointment>(`${businessPath(businessId)}/appointments`, body)).body;
}

/**
 * POST …/{id}/customers (bookingbusiness-post-customers.md), 201 with the customer; answers its id. Services for
 * several attendees need existing customers, named by id (bookingbusiness-post-appointments.md).
 */
export async function createCustomer(graph: Graph, businessId: string, customer: { name: string; emailAddress: string }): Promise<string> {
  const body: G.BookingCustomer & { '@odata.type': string } = {
    '@odata.type': '#microsoft.graph.bookingCustomer',
    displayName: customer.name,
    emailAddress: customer.emailAddress,
  };
  const r = await graph.post<{ id: string }>(`${businessPath(businessId)}/customers`, body);
  return r.body.id;
}

/**
 * POST …/{id}/appointments/{id}/cancel `{ cancellationMessage }` (bookingappointment-cancel.md), 204; the customer
 * is told with the message.
 */
export async function cancelAppointment(graph: Graph, businessId: string, appointmentId: string, message: string): Promise<void> {
  await graph.post(`${businessPath(businessId)}/appointments/${graphKey(appointmentId)}/cancel`, { cancellationMessage: message });
}

/** A dateTimeTimeZone from Bookings (UTC, seven fractional digits, sometimes without `Z`) as a Date. */
export function instant(value: DateTimeTimeZone): Date {
  const hasOffset = /(Z|[+-]\d\d:\d\d)$/i.test(value.dateTime);
  const trimmed = value.dateTime.replace(/(\.\d{3})\d+/, '$1');
  return new Date(hasOffset ? trimmed : `${trimmed}Z`);
}
