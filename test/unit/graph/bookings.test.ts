// shared/graph/bookings.ts against the fake Graph over HTTPS (test/fakes/graph.ts): every request checked against
// Microsoft's v1.0 schema (../shared/contracts/graph/check.mjs), Bookings permissions enforced, and app-only
// creates held to the business rules as Graph holds them (bookingsbusiness-business-rules.md).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGraph, GraphRequestError, type Graph } from '../../../shared/graph/client.js';
import {
  cancelAppointment,
  createAppointment,
  createCustomer,
  getBusiness,
  instant,
  listAppointments,
  listBusinesses,
  listServices,
  listStaff,
  listStaffOfMany,
} from '../../../shared/graph/bookings.js';
import { FakeGraph } from '../../fakes/graph.js';

describe('graph/bookings', () => {
  // A Monday 09:00 UTC: the default business hours (Mon–Fri 08:00–17:00 UTC) are open and the lead time is an hour.
  const now = Date.parse('2026-11-23T09:00:00Z');
  const fake = new FakeGraph({ enforceScopes: true, now: () => now });
  const admin = fake.addUser({ displayName: 'Bookings Admin', mail: 'bookings@contoso.com' });
  const businessId = 'Desk@contoso.onmicrosoft.com';
  const business = fake.addBookingBusiness({
    id: businessId,
    displayName: 'Help desk',
    services: [{ displayName: 'Call', defaultDuration: 'PT30M' }],
    staffMembers: [
      { displayName: 'Bookings Admin', emailAddress: 'bookings@contoso.com', role: 'administrator' },
      { displayName: 'Sam Scheduler', emailAddress: 'sam@contoso.com', role: 'scheduler' },
    ],
  });
  let graph: Graph;
  let appGraph: Graph;
  let close: () => Promise<void>;

  before(async () => {
    const started = await fake.start();
    close = started.close;
    graph = createGraph({ baseUrl: started.baseUrl, getAccessToken: async () => fake.delegatedToken(admin, 'Bookings.ReadWrite.All'), maxRetries: 0 });
    appGraph = createGraph({ baseUrl: started.baseUrl, getAccessToken: async () => fake.appToken(['BookingsAppointment.ReadWrite.All']), maxRetries: 0 });
  });
  after(async () => {
    fake.assertNoViolations();
    await close();
  });

  it('listBusinesses answers id and displayName of each business', async () => {
    const list = await listBusinesses(graph);
    assert.deepEqual(list.find((b) => b.id === businessId), { id: businessId, displayName: 'Help desk' });
  });

  it('getBusiness reads hours, policy and time zone, with the SMTP-like id percent-encoded in the path', async () => {
    const b = await getBusiness(graph, businessId);
    assert.equal(b.displayName, 'Help desk');
    assert.equal(b.bookingPageSettings?.businessTimeZone, 'UTC');
    assert.equal(b.businessHours?.find((h) => h.day === 'monday')?.timeSlots[0]?.startTime.slice(0, 5), '08:00');
    assert.equal(b.schedulingPolicy?.minimumLeadTime, 'PT1H');
    assert.equal(fake.requests.at(-1)!.path, `/solutions/bookingBusinesses/${businessId}`);
  });

  it('listStaff asks for every role, so a scheduler is named as such (not unknownFutureValue)', async () => {
    const staff = await listStaff(graph, businessId);
    assert.equal(staff.find((s) => s.emailAddress === 'sam@contoso.com')?.role, 'scheduler');
    assert.match(fake.requests.at(-1)!.headers.prefer ?? '', /include-unknown-enum-members/);
  });

  it('listStaffOfMany reads many businesses in one $batch and reports a missing one by status, not by throwing', async () => {
    const result = await listStaffOfMany(graph, [businessId, 'gone@contoso.onmicrosoft.com']);
    assert.equal((result.get(businessId) as unknown[]).length, 2);
    assert.deepEqual(result.get('gone@contoso.onmicrosoft.com'), { status: 404, code: 'ErrorItemNotFound' });
    assert.equal(fake.count('POST', '/$batch'), 1);
  });

  it('createCustomer, createAppointment, listAppointments and cancelAppointment send the documented bodies', async () => {
    const [service] = await listServices(graph, businessId);
    assert.equal(service!.defaultDuration, 'PT30M');
    const customerId = await createCustomer(graph, businessId, { name: 'Jordan Miller', emailAddress: 'jordan@example.com' });
    assert.deepEqual(business.customers.at(-1)!.request, { '@odata.type': '#microsoft.graph.bookingCustomer', displayName: 'Jordan Miller', emailAddress: 'jordan@example.com' });
    const start = new Date('2026-11-23T11:00:00Z');
    const end = new Date('2026-11-23T11:30:00Z');
    const created = await createAppointment(graph, businessId, {
      serviceId: service!.id,
      start,
      end,
      staffMemberIds: [],
      customer: { name: 'Jordan Miller', emailAddress: 'jordan@example.com', customerId },
      serviceNotes: 'Jira HELP-1',
    });
    assert.deepEqual(business.appointments.at(-1)!.request, {
      '@odata.type': '#microsoft.graph.bookingAppointment',
      serviceId: service!.id,
      startDateTime: { '@odata.type': '#microsoft.graph.dateTimeTimeZone', dateTime: start.toISOString(), timeZone: 'UTC' },
      endDateTime: { '@odata.type': '#microsoft.graph.dateTimeTimeZone', dateTime: end.toISOString(), timeZone: 'UTC' },
      isLocationOnline: true,
      serviceNotes: 'Jira HELP-1',
      customerTimeZone: 'UTC',
      customers: [{ '@odata.type': '#microsoft.graph.bookingCustomerInformation', customerId, name: 'Jordan Miller', emailAddress: 'jordan@example.com', timeZone: 'UTC' }],
    });
    assert.match(created.joinWebUrl ?? '', /^https:\/\/teams\.microsoft\.com\//);
    assert.equal(instant(created.startDateTime).toISOString(), start.toISOString());
    const listed = await listAppointments(graph, businessId);
    assert.ok(listed.some((a) => a.id === created.id && a.serviceNotes === 'Jira HELP-1'));
    await cancelAppointment(graph, businessId, created.id, 'Cancelled from Jira');
    assert.deepEqual(business.appointments.find((a) => a.id === created.id)!.cancelled, { message: 'Cancelled from Jira' });
    assert.equal((await listAppointments(graph, businessId)).some((a) => a.id === created.id), false);
  });

  it('an app-only create outside business hours is refused by Graph with 400', async () => {
    const [service] = await listServices(appGraph, businessId);
    const start = new Date('2026-11-23T20:00:00Z');
    await assert.rejects(
      createAppointment(appGraph, businessId, { serviceId: service!.id, start, end: new Date(start.getTime() + 30 * 60_000), staffMemberIds: [], customer: { name: 'J', emailAddress: 'j@example.com' }, serviceNotes: 'n' }),
      (e: unknown) => e instanceof GraphRequestError && e.status === 400,
    );
  });

  it('instant reads Bookings\' seven-digit UTC times with or without an offset', () => {
    assert.equal(instant({ dateTime: '2026-11-23T11:00:00.0000000' }).toISOString(), '2026-11-23T11:00:00.000Z');
    assert.equal(instant({ dateTime: '2026-11-23T11:00:00.0000000+00:00', timeZone: 'UTC' }).toISOString(), '2026-11-23T11:00:00.000Z');
  });
});
