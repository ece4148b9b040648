// Microsoft Bookings under /solutions/bookingBusinesses (graph-contract.md §8). App-only appointment creation
// must obey the business rules — business hours, slot length = the service's duration, minimum lead time and
// maximum advance, staff selection allowed (bookingsbusiness-business-rules.md: "Only administrators have the
// authority to override Bookings rules"); delegated calls (the service user as a Bookings administrator) may
// override them, so the fake applies the rules to app-only tokens only.
import { randomUUID } from 'node:crypto';
import type { FakeGraph, Route } from '../graph.js';
import {
  durationMs,
  isoDuration,
  type FakeBookingAppointment,
  type FakeBookingBusiness,
  type FakeBookingStaffMember,
} from './state.js';
import { appOnly, GraphError, type GraphCall } from './wire.js';

const READ = ['Bookings.Read.All', 'BookingsAppointment.ReadWrite.All', 'Bookings.ReadWrite.All', 'Bookings.Manage.All'];
const WRITE_APPOINTMENTS = ['BookingsAppointment.ReadWrite.All', 'Bookings.ReadWrite.All', 'Bookings.Manage.All'];

/** bookingstaffmember.md: scheduler and teamMember are evolvable enum members, sent only when asked for. */
const EVOLVABLE_ROLES = new Set(['scheduler', 'teamMember']);

function business(graph: FakeGraph, call: GraphCall): FakeBookingBusiness {
  const found = graph.bookingBusinesses.get((call.params.businessId ?? '').toLowerCase());
  if (!found) throw new GraphError(404, 'ErrorItemNotFound', `Booking business '${call.params.businessId}' was not found.`);
  return found;
}

function businessResource(b: FakeBookingBusiness) {
  return {
    id: b.id,
    displayName: b.displayName,
    businessType: '',
    phone: '',
    email: b.id,
    webSiteUrl: '',
    defaultCurrencyIso: 'USD',
    isPublished: true,
    publicUrl: `https://outlook.office365.com/owa/calendar/${encodeURIComponent(b.id)}/bookings/`,
    languageTag: 'en-US',
    address: { street: '', city: '', state: '', countryOrRegion: '', postalCode: '' },
    businessHours: b.businessHours.map((h) => ({ '@odata.type': '#microsoft.graph.bookingWorkHours', ...h })),
    schedulingPolicy: { '@odata.type': '#microsoft.graph.bookingSchedulingPolicy', ...b.schedulingPolicy },
    // v1.0 bookingPageSettings (graph-v1.0-index.json): the zone the business hours are written in.
    bookingPageSettings: {
      '@odata.type': '#microsoft.graph.bookingPageSettings',
      accessControl: 'unrestricted',
      businessTimeZone: b.businessTimeZone,
      enforceOneTimePassword: false,
      isBusinessLogoDisplayEnabled: false,
      isCustomerConsentEnabled: false,
      isSearchEngineIndexabilityDisabled: false,
      isTimeSlotTimeZoneSetToBusinessTimeZone: false,
      bookingPageColorCode: '#0078D4',
      customerConsentMessage: '',
      privacyPolicyWebUrl: '',
      termsAndConditionsWebUrl: '',
    },
  };
}

function staffResource(s: FakeBookingStaffMember, includeUnknownEnumMembers: boolean) {
  return {
    '@odata.type': '#microsoft.graph.bookingStaffMember',
    id: s.id,
    displayName: s.displayName,
    emailAddress: s.emailAddress,
    role: EVOLVABLE_ROLES.has(s.role) && !includeUnknownEnumMembers ? 'unknownFutureValue' : s.role,
    timeZone: s.timeZone,
    useBusinessHours: s.useBusinessHours,
    availabilityIsAffectedByPersonalCalendar: false,
    workingHours: [],
  };
}

function appointmentResource(graph: FakeGraph, b: FakeBookingBusiness, a: FakeBookingAppointment) {
  const service = b.services.find((s) => s.id === a.serviceId);
  return {
    '@odata.context': `${graph.baseUrl}/$metadata#solutions/bookingBusinesses('${encodeURIComponent(b.id)}')/appointments/$entity`,
    id: a.id,
    selfServiceAppointmentId: `00000000000000000000000000000000${a.id.slice(-8)}`.slice(-32),
    isLocationOnline: a.isLocationOnline,
    joinWebUrl: a.joinWebUrl,
    serviceId: a.serviceId,
    serviceName: service?.displayName ?? '',
    duration: isoDuration(Date.parse(a.endDateTime.dateTime) - Date.parse(a.startDateTime.dateTime)),
    startDateTime: { '@odata.type': '#microsoft.graph.dateTimeTimeZone', ...a.startDateTime },
    endDateTime: { '@odata.type': '#microsoft.graph.dateTimeTimeZone', ...a.endDateTime },
    staffMemberIds: a.staffMemberIds,
    customers: a.customers,
    customerTimeZone: (a.request.customerTimeZone as string | undefined) ?? null,
    serviceNotes: (a.request.serviceNotes as string | undefined) ?? null,
    optOutOfCustomerEmail: Boolean(a.request.optOutOfCustomerEmail),
    price: 0,
    priceType: 'notSet',
    reminders: [],
    maximumAttendeesCount: service?.maximumAttendeesCount ?? 1,
    filledAttendeesCount: a.customers.length,
  };
}

/** dateTimeTimeZone to epoch ms; the fake understands UTC and explicit offsets only. */
function instant(value: unknown, field: string): number {
  const v = (value ?? {}) as { dateTime?: unknown; timeZone?: unknown };
  if (typeof v.dateTime !== 'string') throw new GraphError(400, 'BadRequest', `${field}.dateTime is required.`);
  const hasOffset = /(Z|[+-]\d\d:\d\d)$/.test(v.dateTime);
  if (!hasOffset && v.timeZone !== undefined && String(v.timeZone).toUpperCase() !== 'UTC') {
    throw new Error(`the fake Graph only understands UTC booking times, got ${field}.timeZone ${String(v.timeZone)}`);
  }
  const ms = Date.parse(hasOffset ? v.dateTime : `${v.dateTime}Z`);
  if (Number.isNaN(ms)) throw new GraphError(400, 'BadRequest', `${field}.dateTime is not a valid date.`);
  return ms;
}

/** Graph echoes booking times as UTC with seven fractional digits. */
function graphUtc(ms: number): { dateTime: string; timeZone: string } {
  return { dateTime: new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z'), timeZone: 'UTC' };
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

function minutesOfDay(time: string): number {
  const [h, m] = time.split(':');
  return Number(h) * 60 + Number(m);
}

function enforceBusinessRules(graph: FakeGraph, b: FakeBookingBusiness, serviceDuration: string | undefined, start: number, end: number, staff: string[]) {
  const rule = (message: string) => new GraphError(400, 'BadRequest', `The appointment violates the business rules: ${message}`);
  if (serviceDuration && end - start !== durationMs(serviceDuration)) {
    throw rule(`its length must match the service duration ${serviceDuration}.`);
  }
  const lead = start - graph.now();
  if (lead < durationMs(b.schedulingPolicy.minimumLeadTime)) throw rule(`it starts sooner than the minimum lead time ${b.schedulingPolicy.minimumLeadTime}.`);
  if (lead > durationMs(b.schedulingPolicy.maximumAdvance)) throw rule(`it starts later than the maximum advance ${b.schedulingPolicy.maximumAdvance}.`);
  if (staff.length > 0 && !b.schedulingPolicy.allowStaffSelection) throw rule('staff selection is not allowed for this business.');
  // Bookings reads the hours as wall-clock times in the business's time zone.
  const local = wallClock(fakeZone(b.businessTimeZone), start);
  const day = b.businessHours.find((h) => h.day === DAYS[local.weekday]);
  const startMinute = local.hour * 60 + local.minute;
  const endMinute = startMinute + Math.round((end - start) / 60000);
  const open = day?.timeSlots.some((slot) => startMinute >= minutesOfDay(slot.startTime) && endMinute <= minutesOfDay(slot.endTime));
  if (!open) throw rule('it is outside business hours.');
}

/**
 * The IANA zone for a business's Graph zone name, for the fake's own rule check. Deliberately its own short table
 * (CLDR windowsZones.xml, territory 001) rather than the app's, so a wrong entry in the app is not mirrored here.
 */
function fakeZone(name: string): string {
  const windows: Record<string, string> = { UTC: 'UTC', 'Pacific Standard Time': 'America/Los_Angeles', 'W. Europe Standard Time': 'Europe/Berlin' };
  const zone = windows[name] ?? name;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new Error(`the fake Graph cannot evaluate business hours in ${JSON.stringify(name)}: add it to fakeZone`);
  }
  return zone;
}

function wallClock(zone: string, ms: number): { weekday: number; hour: number; minute: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', weekday: 'short', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
  );
  return { weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday!), hour: Number(parts.hour), minute: Number(parts.minute) };
}

export function bookingRoutes(): Route[] {
  const base = '/solutions/bookingBusinesses';
  return [
    {
      method: 'GET',
      pattern: base,
      permissions: READ,
      handle(graph) {
        // bookingbusiness-list.md: the list returns only id and displayName.
        const value = [...graph.bookingBusinesses.values()].map((b) => ({ id: b.id, displayName: b.displayName }));
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#solutions/bookingBusinesses`, value } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/{businessId}`,
      permissions: READ,
      handle(graph, call) {
        const b = business(graph, call);
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#solutions/bookingBusinesses/$entity`, ...businessResource(b) } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/{businessId}/services`,
      permissions: READ,
      handle(graph, call) {
        const b = business(graph, call);
        const value = b.services.map((s) => ({
          id: s.id,
          displayName: s.displayName,
          defaultDuration: s.defaultDuration,
          maximumAttendeesCount: s.maximumAttendeesCount,
          isLocationOnline: s.isLocationOnline,
          staffMemberIds: s.staffMemberIds,
          isHiddenFromCustomers: false,
          defaultPrice: 0,
          defaultPriceType: 'notSet',
          schedulingPolicy: null,
        }));
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#solutions/bookingBusinesses('${encodeURIComponent(b.id)}')/services`, value } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/{businessId}/staffMembers`,
      permissions: READ,
      handle(graph, call) {
        const b = business(graph, call);
        const include = /include-unknown-enum-members/i.test(call.headers.prefer ?? '');
        const value = b.staffMembers.map((s) => staffResource(s, include));
        return {
          status: 200,
          headers: include ? { 'preference-applied': 'include-unknown-enum-members' } : {},
          body: { '@odata.context': `${graph.baseUrl}/$metadata#solutions/bookingBusinesses('${encodeURIComponent(b.id)}')/staffMembers`, value },
        };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/{businessId}/appointments`,
      permissions: WRITE_APPOINTMENTS,
      handle(graph, call) {
        const b = business(graph, call);
        const body = (call.body ?? {}) as Record<string, unknown>;
        const start = instant(body.startDateTime, 'startDateTime');
        const end = instant(body.endDateTime, 'endDateTime');
        if (end <= start) throw new GraphError(400, 'BadRequest', 'endDateTime must be after startDateTime.');
        const serviceId = typeof body.serviceId === 'string' ? body.serviceId : null;
        const service = serviceId ? b.services.find((s) => s.id === serviceId) : undefined;
        if (serviceId && !service) throw new GraphError(400, 'BadRequest', `Service '${serviceId}' was not found.`);
        const staff = Array.isArray(body.staffMemberIds) ? body.staffMemberIds.map(String) : [];
        const unknownStaff = staff.find((id) => !b.staffMembers.some((s) => s.id === id));
        if (unknownStaff) throw new GraphError(400, 'BadRequest', `Staff member '${unknownStaff}' was not found.`);
        if (appOnly(call.claims)) enforceBusinessRules(graph, b, service?.defaultDuration, start, end, staff);
        const isLocationOnline = body.isLocationOnline === true;
        const appointment: FakeBookingAppointment = {
          id: `AAMkA${Buffer.from(randomUUID()).toString('base64url').slice(0, 40)}=`,
          serviceId,
          startDateTime: graphUtc(start),
          endDateTime: graphUtc(end),
          isLocationOnline,
          joinWebUrl: isLocationOnline
            ? `https://teams.microsoft.com/l/meetup-join/${encodeURIComponent(`19:meeting_${randomUUID().replace(/-/g, '')}@thread.v2`)}/0`
            : null,
          staffMemberIds: staff,
          customers: Array.isArray(body.customers) ? body.customers : [],
          request: body,
          cancelled: null,
        };
        b.appointments.push(appointment);
        return { status: 201, body: appointmentResource(graph, b, appointment) };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/{businessId}/appointments`,
      permissions: READ,
      handle(graph, call) {
        const b = business(graph, call);
        const value = b.appointments.filter((a) => !a.cancelled).map((a) => {
          const { '@odata.context': _context, ...rest } = appointmentResource(graph, b, a);
          return rest;
        });
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#solutions/bookingBusinesses('${encodeURIComponent(b.id)}')/appointments`, value } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/{businessId}/appointments/{appointmentId}`,
      permissions: READ,
      handle(graph, call) {
        const b = business(graph, call);
        const a = b.appointments.find((x) => x.id === call.params.appointmentId && !x.cancelled);
        if (!a) throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        return { status: 200, body: appointmentResource(graph, b, a) };
      },
    },
    {
      method: 'DELETE',
      pattern: `${base}/{businessId}/appointments/{appointmentId}`,
      permissions: WRITE_APPOINTMENTS,
      handle(graph, call) {
        const b = business(graph, call);
        const index = b.appointments.findIndex((x) => x.id === call.params.appointmentId);
        if (index < 0) throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        b.appointments.splice(index, 1);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/{businessId}/appointments/{appointmentId}/cancel`,
      permissions: WRITE_APPOINTMENTS,
      handle(graph, call) {
        const b = business(graph, call);
        const a = b.appointments.find((x) => x.id === call.params.appointmentId && !x.cancelled);
        if (!a) throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        const message = (call.body as { cancellationMessage?: unknown } | undefined)?.cancellationMessage;
        a.cancelled = { message: typeof message === 'string' ? message : null };
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/{businessId}/customers`,
      permissions: WRITE_APPOINTMENTS,
      handle(graph, call) {
        const b = business(graph, call);
        const body = (call.body ?? {}) as Record<string, unknown>;
        if (typeof body.displayName !== 'string') throw new GraphError(400, 'BadRequest', 'displayName is required.');
        const customer = {
          id: randomUUID(),
          displayName: body.displayName,
          emailAddress: typeof body.emailAddress === 'string' ? body.emailAddress : null,
          request: body,
        };
        b.customers.push(customer);
        return {
          status: 201,
          body: {
            '@odata.context': `${graph.baseUrl}/$metadata#solutions/bookingBusinesses('${encodeURIComponent(b.id)}')/customers/$entity`,
            '@odata.type': '#microsoft.graph.bookingCustomer',
            id: customer.id,
            displayName: customer.displayName,
            emailAddress: customer.emailAddress,
            addresses: [],
            phones: [],
          },
        };
      },
    },
  ];
}
