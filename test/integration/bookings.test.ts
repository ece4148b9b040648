// Microsoft Bookings end to end: the admin API (administered businesses, binding with licence and role checks) and
// booking / cancel-booking jobs against the fake Graph (schema-checked; app-only calls held to the business rules)
// and fake Jira, with real tables on Azurite.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AdminRequest } from '../../shared/admin/request.js';
import { adminBookings } from '../../shared/bookings/admin.js';
import { PermanentError, ThrottledError } from '../../shared/errors.js';
import { getProjectSettings } from '../../shared/sites/projects.js';
import { bookingJob } from '../../shared/workflows/booking.js';
import { ensureChatForIssue } from '../../shared/workflows/createChat.js';
import type { FakeBookingBusiness } from '../fakes/graph.js';
import { startHarness, type Harness } from './meetingsHarness.js';

describe('Microsoft Bookings', () => {
  let h: Harness;
  let support: FakeBookingBusiness;
  let agent: ReturnType<Harness['person']>;
  const monday9 = '2026-11-23T09:00:00.000Z';

  before(async () => {
    h = await startHarness({ now: monday9 });
    agent = h.person('Alex Agent', 'alex.agent@contoso.example');
    support = h.graph.addBookingBusiness({
      id: 'support@contoso.example',
      displayName: 'Support desk',
      services: [{ displayName: 'Remote session', defaultDuration: 'PT30M' }, { displayName: 'Workshop', defaultDuration: 'PT1H', maximumAttendeesCount: 5 }],
      staffMembers: [
        { displayName: 'Bridge Service', emailAddress: h.serviceUser.userPrincipalName, role: 'administrator' },
        { displayName: 'Alex Agent', emailAddress: 'alex.agent@contoso.example', role: 'teamMember' },
      ],
    });
    h.graph.addBookingBusiness({
      id: 'sales@contoso.example',
      displayName: 'Sales',
      services: [{ displayName: 'Demo' }],
      staffMembers: [{ displayName: 'Bridge Service', emailAddress: h.serviceUser.userPrincipalName, role: 'viewer' }],
    });
    h.graph.addBookingBusiness({ id: 'hr@contoso.example', displayName: 'HR', services: [{ displayName: 'Chat' }] });
    await h.configure('HELP', { bookings: { businessId: support.id, serviceId: support.services[0]!.id } });
  });
  beforeEach(() => h.clock.set(monday9));
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  const admin = (method: string, params: AdminRequest['params'], query: AdminRequest['query'] = {}, body?: unknown) =>
    adminBookings(h.deps, { method, params, query, headers: {}, body }) as Promise<{ status: number; body: any }>;

  function request(key: string, options: { emailVisible?: boolean; assignee?: boolean } = {}) {
    const customer = h.jira.addUser({ displayName: `Casey ${key}`, emailAddress: `casey.${key.toLowerCase()}@customer.example`, accountType: 'customer', emailVisible: options.emailVisible ?? true });
    h.jira.addJsmIssue({ key, summary: `Help with ${key}`, kind: 'serviceRequest', reporter: customer, assignee: options.assignee === false ? null : agent.jira });
    return customer;
  }
  const appointmentsFor = (key: string, business = support) => business.appointments.filter((a) => String(a.request.serviceNotes).includes(`Jira ${key}:`));
  const publicReplies = (key: string) => h.jira.issue(key)!.comments.filter((c) => c.jsdPublic).map((c) => String(c.body));

  describe('admin API', () => {
    it('lists the businesses the service user administers, and why the others are not', async () => {
      const r = await admin('GET', { section: 'businesses' }, { tenant: h.tenantId });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.businesses.map((b: { id: string }) => b.id), ['support@contoso.example']);
      assert.equal(r.body.notAdministered, 2);
      assert.equal(r.body.licence.ok, true);
      const all = await admin('GET', { section: 'businesses' }, { tenant: h.tenantId, all: 'true' });
      const sales = all.body.businesses.find((b: { id: string }) => b.id === 'sales@contoso.example');
      assert.equal(sales.role, 'viewer');
      assert.match(sales.detail, /Role: Administrator/);
      assert.match(all.body.businesses.find((b: { id: string }) => b.id === 'hr@contoso.example').detail, /is not staff/);
      const staffReads = h.graph.requestsTo('GET', /\/staffMembers$/);
      assert.ok(staffReads.every((x) => x.batch && /include-unknown-enum-members/.test(x.headers.prefer ?? '')), 'staff read in $batch, asking for scheduler/teamMember');
    });

    it('shows one business with its services, staff and checks', async () => {
      const r = await admin('GET', { section: 'businesses', id: support.id }, { tenant: h.tenantId });
      assert.equal(r.status, 200);
      assert.equal(r.body.ok, true);
      assert.deepEqual(r.body.services.map((s: { displayName: string }) => s.displayName), ['Remote session', 'Workshop']);
      assert.equal(r.body.staff.find((s: { displayName: string }) => s.displayName === 'Alex Agent').role, 'teamMember');
    });

    it('binds a business and default service to a project only when the service user may administer it', async () => {
      await h.configure('BIND');
      const viewer = await admin('PUT', { section: 'projects', id: h.siteId, key: 'BIND' }, {}, { businessId: 'sales@contoso.example' });
      assert.equal(viewer.status, 409);
      assert.equal(viewer.body.error.code, 'bookings_role_missing');
      assert.match(viewer.body.error.message, /is a viewer .*Administrator/);

      const badService = await admin('PUT', { section: 'projects', id: h.siteId, key: 'BIND' }, {}, { businessId: support.id, serviceId: 'nope' });
      assert.equal(badService.status, 400);
      assert.equal(badService.body.error.code, 'bookings_service_not_found');
      assert.match(badService.body.error.message, /Remote session/);

      const missing = await admin('PUT', { section: 'projects', id: h.siteId, key: 'BIND' }, {}, { businessId: 'nobody@contoso.example' });
      assert.equal(missing.status, 404);

      const good = await admin('PUT', { section: 'projects', id: h.siteId, key: 'BIND' }, {}, { businessId: support.id, serviceId: support.services[1]!.id });
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.deepEqual((await getProjectSettings(h.deps, h.siteId, 'BIND'))?.bookings, { businessId: support.id, serviceId: support.services[1]!.id });
      const read = await admin('GET', { section: 'projects', id: h.siteId, key: 'BIND' });
      assert.equal(read.body.ok, true);

      const unbind = await admin('DELETE', { section: 'projects', id: h.siteId, key: 'BIND' });
      assert.equal(unbind.status, 204);
      assert.equal((await getProjectSettings(h.deps, h.siteId, 'BIND'))?.bookings, undefined);
      const bad = await admin('PUT', { section: 'projects', id: h.siteId, key: 'BIND' }, {}, { businessId: '' });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /businessId/);
    });

    it('refuses a binding when the service user has no Bookings licence', async () => {
      await h.configure('LIC');
      const saved = h.serviceUser.licenseDetails;
      h.serviceUser.licenseDetails = [];
      try {
        const r = await admin('PUT', { section: 'projects', id: h.siteId, key: 'LIC' }, {}, { businessId: support.id });
        assert.equal(r.status, 409);
        assert.equal(r.body.error.code, 'bookings_licence_missing');
        assert.match(r.body.error.message, /MICROSOFTBOOKINGS/);
      } finally {
        h.serviceUser.licenseDetails = saved;
      }
    });

    it('needs a tenant to list', async () => {
      const r = await admin('GET', { section: 'businesses' }, {});
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /tenant/);
    });
  });

  describe('booking jobs', () => {
    it('books the next allowed slot for the JSM customer with the assignee as staff, tells the customer and the chat once', async () => {
      const customer = request('HELP-1');
      const chat = await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: 'HELP-1', kind: 'customer', jobId: 'setup-help-1' });
      const result = await bookingJob(h.job('booking', 'HELP-1'), h.context(), h.deps);
      assert.equal(result.outcome, 'done', result.detail);
      const [appointment, ...others] = appointmentsFor('HELP-1');
      assert.equal(others.length, 0);
      assert.equal(appointment!.startDateTime.dateTime.slice(0, 16), '2026-11-23T10:00', 'Monday 09:00 + 1 h lead time, on the 30-minute grid');
      assert.equal(Date.parse(appointment!.endDateTime.dateTime) - Date.parse(appointment!.startDateTime.dateTime), 30 * 60_000);
      assert.equal(appointment!.isLocationOnline, true);
      assert.deepEqual(appointment!.staffMemberIds, [support.staffMembers[1]!.id], 'the assignee is staff');
      assert.equal((appointment!.customers[0] as { emailAddress: string }).emailAddress, customer.emailAddress);

      const replies = publicReplies('HELP-1');
      assert.equal(replies.length, 1);
      assert.ok(replies[0]!.includes(appointment!.joinWebUrl!), 'the join link goes to the customer');
      assert.match(replies[0]!, /2026-11-23 10:00 UTC/);
      const posts = h.graph.chats.get(chat.chatId)!.messages.filter((m) => m.body.content.includes('Appointment booked'));
      assert.equal(posts.length, 1);

      const again = await bookingJob(h.job('booking', 'HELP-1'), h.context(), h.deps);
      assert.match(again.detail!, /already booked/);
      assert.equal(appointmentsFor('HELP-1').length, 1, 'no double booking');
      assert.equal(publicReplies('HELP-1').length, 1);
      assert.equal(h.graph.chats.get(chat.chatId)!.messages.filter((m) => m.body.content.includes('Appointment booked')).length, 1);
    });

    it('app-only: refuses a requested time the business rules forbid, before calling Graph', async () => {
      request('HELP-2');
      h.modes.bookings = 'app';
      try {
        const posts = h.graph.count('POST', /\/appointments$/);
        for (const [start, reason] of [
          ['2026-11-23T20:00:00Z', /outside the business hours/],
          ['2026-11-23T09:30:00Z', /minimum lead time PT1H/],
          ['2028-01-03T10:00:00Z', /maximum advance/],
        ] as const) {
          await assert.rejects(bookingJob(h.job('booking', 'HELP-2', { start }), h.context(), h.deps), (e: unknown) => {
            assert.ok(e instanceof PermanentError);
            assert.equal(e.code, 'booking_outside_business_rules');
            assert.match(e.message, reason);
            return true;
          });
        }
        assert.equal(h.graph.count('POST', /\/appointments$/), posts);
        // The reservation was released each time: an allowed time books.
        const ok = await bookingJob(h.job('booking', 'HELP-2', { start: '2026-11-24T11:00:00Z' }), h.context(), h.deps);
        assert.equal(ok.outcome, 'done', ok.detail);
        assert.equal(appointmentsFor('HELP-2')[0]!.startDateTime.dateTime.slice(0, 16), '2026-11-24T11:00');
      } finally {
        delete h.modes.bookings;
      }
    });

    it('app-only: the next slot skips the staff member\'s booked time and passes Graph\'s rule check', async () => {
      request('HELP-3');
      h.clock.set('2026-11-23T16:10:00.000Z'); // too late today (closes 17:00, lead 1 h): next is Tuesday 08:00
      h.modes.bookings = 'app';
      try {
        await bookingJob(h.job('booking', 'HELP-3'), h.context(), h.deps);
        request('HELP-4');
        await bookingJob(h.job('booking', 'HELP-4'), h.context(), h.deps);
      } finally {
        delete h.modes.bookings;
      }
      assert.equal(appointmentsFor('HELP-3')[0]!.startDateTime.dateTime.slice(0, 16), '2026-11-24T08:00');
      assert.equal(appointmentsFor('HELP-4')[0]!.startDateTime.dateTime.slice(0, 16), '2026-11-24T08:30', 'the same agent is busy at 08:00');
    });

    it('app-only: leaves staff out when the business does not allow staff selection', async () => {
      const solo = h.graph.addBookingBusiness({
        id: 'solo@contoso.example',
        services: [{ displayName: 'Call' }],
        schedulingPolicy: { allowStaffSelection: false },
        staffMembers: [{ displayName: 'Alex Agent', emailAddress: 'alex.agent@contoso.example', role: 'teamMember' }],
      });
      await h.configure('SOLO', { bookings: { businessId: solo.id, serviceId: solo.services[0]!.id } });
      request('SOLO-1');
      h.modes.bookings = 'app';
      try {
        await bookingJob(h.job('booking', 'SOLO-1'), h.context(), h.deps);
      } finally {
        delete h.modes.bookings;
      }
      assert.equal(solo.appointments.length, 1);
      assert.deepEqual(solo.appointments[0]!.staffMemberIds, []);
    });

    describe('a business whose hours are in its own time zone (Pacific, daylight saving ends Sunday 2026-11-01)', () => {
      let pacific: FakeBookingBusiness;
      before(async () => {
        pacific = h.graph.addBookingBusiness({
          id: 'pacific@contoso.example',
          displayName: 'Pacific desk',
          // What Graph really returns: a Windows zone name (bookingPageSettings.businessTimeZone).
          businessTimeZone: 'Pacific Standard Time',
          businessHours: (['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const).map((day) => ({
            day,
            timeSlots: [{ startTime: '09:00:00.0000000', endTime: '17:00:00.0000000' }],
          })),
          services: [{ displayName: 'Call', defaultDuration: 'PT30M' }],
        });
        await h.configure('PAC', { bookings: { businessId: pacific.id, serviceId: pacific.services[0]!.id } });
      });

      it('app-only: the default start on the day daylight saving ends is 09:00 local (17:00Z), which Graph\'s own rule check accepts', async () => {
        request('PAC-1');
        h.clock.set('2026-11-01T00:30:00.000Z'); // Saturday 31 October 17:30 PDT: closed until Sunday 09:00 PST
        h.modes.bookings = 'app';
        try {
          const result = await bookingJob(h.job('booking', 'PAC-1'), h.context(), h.deps);
          assert.equal(result.outcome, 'done', result.detail);
        } finally {
          delete h.modes.bookings;
        }
        assert.equal(Date.parse(appointmentsFor('PAC-1', pacific)[0]!.startDateTime.dateTime), Date.parse('2026-11-01T17:00:00Z'));
      });

      it('app-only: a requested 08:30 PST is refused as outside the hours, 09:00 PST books', async () => {
        request('PAC-2');
        h.clock.set('2026-10-31T12:00:00.000Z');
        h.modes.bookings = 'app';
        try {
          await assert.rejects(bookingJob(h.job('booking', 'PAC-2', { start: '2026-11-01T16:30:00Z' }), h.context(), h.deps), /outside the business hours \(America\/Los_Angeles\)/);
          const ok = await bookingJob(h.job('booking', 'PAC-2', { start: '2026-11-01T17:00:00Z' }), h.context(), h.deps);
          assert.equal(ok.outcome, 'done', ok.detail);
        } finally {
          delete h.modes.bookings;
        }
      });

      it('a business time zone the app cannot convert is refused with the reason, not read as UTC', async () => {
        const mars = h.graph.addBookingBusiness({ id: 'mars@contoso.example', businessTimeZone: 'Mars Standard Time', services: [{ displayName: 'Call' }] });
        await h.configure('MARS', { bookings: { businessId: mars.id, serviceId: mars.services[0]!.id } });
        request('MARS-1');
        await assert.rejects(bookingJob(h.job('booking', 'MARS-1'), h.context(), h.deps), (e: unknown) => {
          assert.ok(e instanceof PermanentError);
          assert.equal(e.code, 'bookings_time_zone_unknown');
          assert.match(e.message, /"Mars Standard Time" is not one this app can convert/);
          return true;
        });
        assert.equal(mars.appointments.length, 0);
      });
    });

    it('creates the Bookings customer first for a service with several attendees', async () => {
      request('HELP-5');
      await bookingJob(h.job('booking', 'HELP-5', { serviceId: support.services[1]!.id, start: '2026-11-25T13:00:00Z' }), h.context(), h.deps);
      const customer = support.customers.find((c) => c.emailAddress === 'casey.help-5@customer.example');
      assert.ok(customer);
      assert.equal((appointmentsFor('HELP-5')[0]!.customers[0] as { customerId?: string }).customerId, customer.id);
    });

    it('cancels the appointment and tells the customer; booking again afterwards makes a new one', async () => {
      request('HELP-6');
      await bookingJob(h.job('booking', 'HELP-6'), h.context(), h.deps);
      const first = appointmentsFor('HELP-6')[0]!;
      const cancelled = await bookingJob(h.job('cancel-booking', 'HELP-6'), h.context(), h.deps);
      assert.equal(cancelled.outcome, 'done', cancelled.detail);
      assert.equal(h.graph.count('POST', `/solutions/bookingBusinesses/${support.id}/appointments/${first.id}/cancel`), 1);
      assert.ok(first.cancelled);
      assert.match(publicReplies('HELP-6').at(-1)!, /was cancelled/);
      const twice = await bookingJob(h.job('booking', 'HELP-6', { cancel: true }), h.context(), h.deps);
      assert.equal(twice.outcome, 'ignored');

      await bookingJob(h.job('booking', 'HELP-6'), h.context(), h.deps);
      const live = appointmentsFor('HELP-6').filter((a) => !a.cancelled);
      assert.equal(live.length, 1);
      assert.notEqual(live[0]!.id, first.id);
    });

    it('recovers an appointment booked by a worker that died before recording it, instead of booking twice', async () => {
      request('HELP-7');
      h.graph.dropConnectionAfter({ method: 'POST', pathPattern: /\/appointments$/ });
      await assert.rejects(bookingJob(h.job('booking', 'HELP-7'), h.context(), h.deps));
      assert.equal(appointmentsFor('HELP-7').length, 1, 'Graph booked it');
      await assert.rejects(bookingJob(h.job('booking', 'HELP-7'), h.context(), h.deps), (e: unknown) => e instanceof ThrottledError, 'a fresh reservation is respected');
      h.clock.advance(3 * 60_000);
      const recovered = await bookingJob(h.job('booking', 'HELP-7'), h.context(), h.deps);
      assert.match(recovered.detail!, /recovered appointment/);
      assert.equal(appointmentsFor('HELP-7').length, 1);
      assert.equal(publicReplies('HELP-7').length, 1);
    });

    it('explains a missing Bookings role and frees the reservation', async () => {
      request('HELP-8');
      h.graph.failNext({ method: 'POST', pathPattern: /\/appointments$/, status: 403, code: 'ErrorAccessDenied' });
      await assert.rejects(bookingJob(h.job('booking', 'HELP-8'), h.context(), h.deps), (e: unknown) => {
        assert.ok(e instanceof PermanentError);
        assert.equal(e.code, 'bookings_access_denied');
        assert.match(e.message, /Role: Administrator/);
        assert.match(e.message, /MICROSOFTBOOKINGS/);
        return true;
      });
      const retry = await bookingJob(h.job('booking', 'HELP-8'), h.context(), h.deps);
      assert.equal(retry.outcome, 'done');
    });

    it('asks for the customer e-mail when Jira hides it, and takes it from the request', async () => {
      request('HELP-9', { emailVisible: false, assignee: false });
      await assert.rejects(bookingJob(h.job('booking', 'HELP-9'), h.context(), h.deps), (e: unknown) => e instanceof PermanentError && e.code === 'booking_customer_email_missing' && /customerEmail/.test(e.message));
      await bookingJob(h.job('booking', 'HELP-9', { customerEmail: 'hidden@customer.example', customerName: 'Hidden Customer' }), h.context(), h.deps);
      const appointment = appointmentsFor('HELP-9')[0]!;
      assert.deepEqual(appointment.customers[0], {
        '@odata.type': '#microsoft.graph.bookingCustomerInformation',
        name: 'Hidden Customer',
        emailAddress: 'hidden@customer.example',
        timeZone: 'UTC',
      });
      assert.deepEqual(appointment.staffMemberIds, [], 'no assignee, no staff');
    });

    it('tells the admin to bind a business when the project has none', async () => {
      await h.configure('NOB');
      h.jira.addJsmIssue({ key: 'NOB-1', summary: 'x', kind: 'serviceRequest' });
      await assert.rejects(bookingJob(h.job('booking', 'NOB-1'), h.context(), h.deps), (e: unknown) => e instanceof PermanentError && e.code === 'bookings_not_bound' && /PUT \/api\/manage\/bookings\/projects\//.test(e.message));
    });
  });
});
