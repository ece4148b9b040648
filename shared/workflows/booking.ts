// `booking` / `cancel-booking` jobs (JSM + Microsoft Bookings, graph-contract §8): book one appointment per request
// in the Bookings business bound to the project: the JSM customer as the booking customer, the assignee as staff
// when they are staff, service and time from the request or the next slot the business rules allow, online
// meeting on. The join link and time go to the customer as a public reply and to the issue's chat.
//
// No double booking: a reservation row per (site, issue id) in the `bookings` table is written before POST
// …/appointments (Graph has no idempotency key for it). The appointment carries a marker with the reservation id
// in its staff-only notes, so a worker that finds an abandoned reservation (a crash between Graph's answer and the
// record) looks the appointment up instead of booking a second one.
//
// Cancelling (`cancel-booking`, or `booking` with `cancel: true`) cancels the recorded appointment; booking again
// after a cancellation makes a new one.
import { PermanentError, ThrottledError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import { findChatLink } from '../chats/chatLinks.js';
import { escapeHtml, link as htmlLink } from '../chats/html.js';
import { postChatMessage } from '../graph/messages.js';
import { customDataSchemas } from '../jira/automation.js';
import { issueUrl, type JiraApi } from '../jira/client.js';
import type { JiraIssue } from '../jira/issue.js';
import type { JobMessage } from '../jobs/messages.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import { once, outcomeIsKnown } from '../jobs/once.js';
import { mapThroughChatsSession } from '../meetings/people.js';
import type { ProjectSettings } from '../rules/projectSettings.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import { deleteEntity, insertEntity, readEntity, replaceIfMatch, tableNames, type Entity } from '../storage/tables.js';
import {
  cancelAppointment,
  createAppointment,
  createCustomer,
  getBusiness,
  instant,
  listAppointments,
  listServices,
  listStaff,
  type BookingAppointment,
  type BookingStaffMember,
} from '../graph/bookings.js';
import { explainBookingsError, type BookingsErrorContext } from '../bookings/graph.js';
import { durationMs, nextAllowedSlot, ruleViolation, type BusinessRules } from '../bookings/rules.js';
import { ianaZone } from '../bookings/timeZone.js';
import { requireProject } from './createChat.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import type { GraphSession } from '../graph/session.js';
import { formatUtc, parseParams } from './meeting.js';

/** How long a reservation protects a booking in progress before another worker may take it over. */
export const bookingLeaseSeconds = 120;

export interface BookingRecord {
  issueKey: string;
  tenantId: string;
  state: 'reserving' | 'booked' | 'cancelled';
  /** Job id of the worker holding the reservation; part of the appointment's marker. */
  reservationId: string;
  reservedAt: string;
  businessId: string;
  serviceId?: string;
  appointmentId?: string;
  joinWebUrl?: string;
  startDateTime?: string;
  endDateTime?: string;
  staffMemberIds?: string[];
  customerEmail?: string;
  bookedAt?: string;
  cancelledAt?: string;
}

/** The Automation custom data (shared/jira/automation.ts); rule params are checked against the same schema. */
export interface BookingParams {
  serviceId?: string;
  start?: string;
  customerEmail?: string;
  customerName?: string;
  staffMemberId?: string;
  cancel?: boolean;
}

/** Staff-only note on the appointment that finds it again (serviceNotes is returned by Graph, additionalInformation is not everywhere). */
export function bookingMarker(siteId: string, issueId: string, reservationId: string): string {
  return `[jira-m365 ${siteId}/${issueId}/${reservationId}]`;
}

interface Ctx {
  deps: WorkflowDeps;
  context: JobContext;
  job: JobMessage;
  jira: JiraApi;
  issue: JiraIssue;
  settings: ProjectSettings;
  sessions: GraphSession[];
}

export async function bookingJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const params = parseParams(customDataSchemas.booking, job.params, job.action) as BookingParams;
  const settings = await requireProject(deps, job.siteId, job.issueKey);
  if (!settings.bookings) {
    throw new PermanentError(
      `project ${job.issueKey.split('-')[0]} has no Bookings business: bind one with PUT /api/manage/bookings/projects/${job.siteId}/${job.issueKey.split('-')[0]}`,
      'bookings_not_bound',
    );
  }
  const jira = await deps.jiraFor(job.siteId);
  const issue = await jira.getIssue(job.issueKey, settings.fieldIds);
  const ctx: Ctx = { deps, context, job, jira, issue, settings, sessions: [] };
  try {
    return job.action === 'cancel-booking' || params.cancel ? await cancel(ctx) : await book(ctx, params);
  } finally {
    for (const s of ctx.sessions) context.graphRequestIds.push(...s.requestIds);
  }
}

async function bookingsSession(ctx: Ctx): Promise<{ graph: GraphSession; errorContext: (action: string, businessId: string) => BookingsErrorContext }> {
  const graph = await ctx.deps.graphFor(ctx.settings.tenantId, 'bookings', { allowAppOnly: true });
  ctx.sessions.push(graph);
  const caller =
    graph.kind === 'app' ? 'the app (app-only)' : ((await readServiceUser(ctx.deps.tables, ctx.settings.tenantId, 'bookings'))?.userPrincipalName ?? 'the Bookings service user');
  return { graph, errorContext: (action, businessId) => ({ action, businessId, caller, kind: graph.kind }) };
}

async function bookingsTable(ctx: Ctx) {
  return ctx.deps.tables.table(tableNames.bookings);
}

// ---- booking ----------------------------------------------------------------------------------------------------

async function book(ctx: Ctx, params: BookingParams): Promise<JobResult> {
  const { deps, job, issue } = ctx;
  const table = await bookingsTable(ctx);
  const now = deps.clock.now();
  const row = await readEntity<BookingRecord>(table, job.siteId, issue.id);
  if (row?.state === 'booked') {
    const notified = await notifyBooked(ctx, row);
    return { outcome: 'done', detail: `already booked (${row.appointmentId}); ${notified}` };
  }

  const businessId = ctx.settings.bookings!.businessId;
  const { graph, errorContext } = await bookingsSession(ctx);
  const fresh: BookingRecord = {
    issueKey: issue.key,
    tenantId: ctx.settings.tenantId,
    state: 'reserving',
    reservationId: job.jobId,
    reservedAt: now.toISOString(),
    businessId,
  };

  // Reserve (or take over an abandoned reservation after checking whether it booked after all).
  let reservation: Entity<BookingRecord>;
  if (!row) {
    const inserted = await insertEntity(table, job.siteId, issue.id, fresh);
    if (!inserted.created) throw new ThrottledError(`another worker is booking for ${issue.key}`, 5);
    reservation = { ...fresh, partitionKey: job.siteId, rowKey: issue.id, etag: inserted.etag };
  } else {
    if (row.state === 'reserving') {
      const age = (now.getTime() - Date.parse(row.reservedAt)) / 1000;
      if (row.reservationId !== job.jobId && age < bookingLeaseSeconds) {
        throw new ThrottledError(`another worker (job ${row.reservationId}) is booking for ${issue.key}`, Math.ceil(bookingLeaseSeconds - age) + 1);
      }
      const marker = bookingMarker(job.siteId, issue.id, row.reservationId);
      const found = (await withBookingsErrors(() => listAppointments(graph, row.businessId), errorContext('list appointments', row.businessId))).find((a) =>
        a.serviceNotes?.includes(marker),
      );
      if (found) {
        const adopted = await replaceIfMatch(table, job.siteId, issue.id, { ...strip(row), ...bookedFields(found, deps.clock.now()) }, row.etag);
        if (!adopted.ok) throw new ThrottledError('the booking reservation changed while recovering it', 5);
        ctx.context.log.warn('booking.recovered', { appointmentId: found.id, previousReservation: row.reservationId });
        const recovered = { ...strip(row), ...bookedFields(found, deps.clock.now()) } as BookingRecord;
        return { outcome: 'done', detail: `recovered appointment ${found.id} booked by an interrupted attempt; ${await notifyBooked(ctx, recovered)}` };
      }
    }
    const taken = await replaceIfMatch(table, job.siteId, issue.id, fresh, row.etag);
    if (!taken.ok) throw new ThrottledError(`another worker is booking for ${issue.key}`, 5);
    reservation = { ...fresh, partitionKey: job.siteId, rowKey: issue.id, etag: taken.etag };
  }
  const release = () => deleteEntity(table, job.siteId, issue.id, reservation.etag);

  let appointment: BookingAppointment;
  try {
    appointment = await createFor(ctx, graph, errorContext, params, reservation);
  } catch (e) {
    // Graph said no (or we refused before asking): nothing was booked, the next job may try again. An unknown
    // outcome keeps the reservation; its marker finds the appointment if there is one.
    if (outcomeIsKnown(e) || e instanceof PermanentError) await release();
    throw e;
  }
  const booked: BookingRecord = { ...fresh, ...bookedFields(appointment, deps.clock.now()), customerEmail: reservation.customerEmail };
  const saved = await replaceIfMatch(table, job.siteId, issue.id, booked, reservation.etag);
  if (!saved.ok) {
    return { outcome: 'done', detail: `booked ${appointment.id}; another worker took over the reservation and records it` };
  }
  return { outcome: 'done', detail: `booked ${appointment.id} for ${formatUtc(booked.startDateTime!)}; ${await notifyBooked(ctx, booked)}` };
}

function bookedFields(a: BookingAppointment, now: Date): Partial<BookingRecord> {
  return {
    state: 'booked',
    appointmentId: a.id,
    serviceId: a.serviceId ?? undefined,
    joinWebUrl: a.joinWebUrl ?? undefined,
    startDateTime: instant(a.startDateTime).toISOString(),
    endDateTime: instant(a.endDateTime).toISOString(),
    staffMemberIds: a.staffMemberIds ?? [],
    bookedAt: now.toISOString(),
  };
}

async function createFor(
  ctx: Ctx,
  graph: GraphSession,
  errorContext: (action: string, businessId: string) => BookingsErrorContext,
  params: BookingParams,
  reservation: BookingRecord,
): Promise<BookingAppointment> {
  const { deps, job, issue, jira, settings } = ctx;
  const businessId = reservation.businessId;
  const ec = (action: string) => errorContext(action, businessId);
  const serviceId = params.serviceId ?? settings.bookings?.serviceId;
  if (!serviceId) {
    throw new PermanentError('no Bookings service given: pass serviceId in the request or bind a default service to the project', 'bookings_service_missing');
  }

  const [business, services, staff] = await Promise.all([
    withBookingsErrors(() => getBusiness(graph, businessId), ec('read the business')),
    withBookingsErrors(() => listServices(graph, businessId), ec('read the services')),
    withBookingsErrors(() => listStaff(graph, businessId), ec('read the staff')),
  ]);
  const service = services.find((s) => s.id === serviceId);
  if (!service) {
    throw new PermanentError(`Bookings business ${businessId} has no service ${serviceId}: GET /api/manage/bookings/businesses/${businessId} lists its services`, 'bookings_service_not_found');
  }
  // Business hours mean something only in the business's time zone; it is needed when the rules are applied
  // (app-only with a given start) or a slot is chosen (no start), and refused with the reason when unusable.
  const policy = service.schedulingPolicy ?? business.schedulingPolicy ?? {};
  const zone = ianaZone(business.bookingPageSettings?.businessTimeZone);
  const rulesOf = (): BusinessRules => {
    if (!zone.ok) {
      throw new PermanentError(`Bookings business ${businessId} cannot be scheduled by its business hours: ${zone.message}; or pass an explicit start (delegated mode)`, 'bookings_time_zone_unknown');
    }
    return { businessHours: business.businessHours ?? [], policy, timeZone: zone.zone };
  };
  const length = durationMs(service.defaultDuration);

  // The JSM customer: the reporter. Jira often hides e-mails; Automation can pass {{reporter.emailAddress}}.
  const reporter = issue.reporter;
  const customerEmail = params.customerEmail ?? reporter?.emailAddress ?? (reporter ? (await jira.getUser(reporter.accountId))?.emailAddress : undefined);
  if (!customerEmail) {
    throw new PermanentError(
      `the customer of ${issue.key} has no visible e-mail address: pass customerEmail (e.g. {{reporter.emailAddress}}) in the Automation request`,
      'booking_customer_email_missing',
    );
  }
  reservation.customerEmail = customerEmail;
  const customerName = params.customerName ?? reporter?.displayName ?? customerEmail;

  // Staff: the one asked for, else the assignee when they are staff of the business.
  let staffIds: string[] = [];
  if (params.staffMemberId) {
    if (!staff.some((s) => s.id === params.staffMemberId)) {
      throw new PermanentError(`staff member ${params.staffMemberId} is not staff of Bookings business ${businessId}`, 'bookings_staff_not_found');
    }
    staffIds = [params.staffMemberId];
  } else if (issue.assignee) {
    const assigneeStaff = await staffForAssignee(ctx, staff);
    if (assigneeStaff) staffIds = [assigneeStaff.id];
  }
  if (graph.kind === 'app' && policy.allowStaffSelection === false && staffIds.length) {
    if (params.staffMemberId) {
      throw new PermanentError(`Bookings business ${businessId} does not allow staff selection, which app-only booking must respect; leave staffMemberId out`, 'booking_outside_business_rules');
    }
    staffIds = [];
  }

  let start: Date;
  if (params.start) {
    start = new Date(params.start);
    const violation = graph.kind === 'app' ? ruleViolation(rulesOf(), start, length, deps.clock.now()) : undefined;
    if (violation) {
      throw new PermanentError(
        `${start.toISOString()} cannot be booked app-only because ${violation}; app-only booking must keep the business rules (choose another time, or leave start out for the next free slot)`,
        'booking_outside_business_rules',
      );
    }
  } else {
    const appointments = await withBookingsErrors(() => listAppointments(graph, businessId), ec('list appointments'));
    const busy = appointments
      .filter((a) => staffIds.length === 0 || (a.staffMemberIds ?? []).some((id) => staffIds.includes(id)))
      .map((a) => ({ start: instant(a.startDateTime).getTime(), end: instant(a.endDateTime).getTime() }));
    const slot = nextAllowedSlot(rulesOf(), length, deps.clock.now(), busy);
    if (!slot) throw new PermanentError(`Bookings business ${businessId} has no free slot within its booking window`, 'booking_no_slot');
    start = slot;
  }

  let customerId: string | undefined;
  if ((service.maximumAttendeesCount ?? 1) > 1) {
    customerId = await withBookingsErrors(() => createCustomer(graph, businessId, { name: customerName, emailAddress: customerEmail }), ec('create the customer'));
  }
  return withBookingsErrors(
    () =>
      createAppointment(graph, businessId, {
        serviceId,
        start,
        end: new Date(start.getTime() + length),
        staffMemberIds: staffIds,
        customer: { name: customerName, emailAddress: customerEmail, customerId },
        serviceNotes: `Jira ${issue.key}: ${issueUrl(jira.baseUrl, issue.key)} ${bookingMarker(job.siteId, issue.id, reservation.reservationId)}`,
      }),
    ec('create an appointment'),
  );
}

async function staffForAssignee(ctx: Ctx, staff: BookingStaffMember[]): Promise<BookingStaffMember | undefined> {
  const assignee = ctx.issue.assignee!;
  const addresses = new Set<string>();
  if (assignee.emailAddress) addresses.add(assignee.emailAddress.toLowerCase());
  const mapped = await mapThroughChatsSession(ctx.deps, ctx.context, ctx.sessions, ctx.settings.tenantId, [assignee], {
    siteId: ctx.job.siteId,
    issueKey: ctx.issue.key,
  });
  for (const m of mapped) for (const a of [m.userPrincipalName, m.mail]) if (a) addresses.add(a.toLowerCase());
  return staff.find((s) => s.emailAddress && addresses.has(s.emailAddress.toLowerCase()));
}

async function withBookingsErrors<T>(run: () => Promise<T>, ec: BookingsErrorContext): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw explainBookingsError(e, ec);
  }
}

// ---- telling the customer and the chat -------------------------------------------------------------------------

async function notifyBooked(ctx: Ctx, record: BookingRecord): Promise<string> {
  const { deps, job, issue, jira } = ctx;
  const table = await bookingsTable(ctx);
  const when = `${formatUtc(record.startDateTime!)} – ${formatUtc(record.endDateTime!).slice(11)}`;
  const options = (what: string) => ({ clock: deps.clock, owner: job.jobId, what });
  const replyText =
    `Your appointment is booked for ${when}.` + (record.joinWebUrl ? `\nJoin the Microsoft Teams meeting: ${record.joinWebUrl}` : '');
  const reply = await once(table, job.siteId, `${issue.id}|reply|${record.appointmentId}`, options(`the booking reply on ${issue.key}`), () =>
    replyToCustomer(jira, issue, replyText),
  );
  const chat = await postToChat(ctx, `${issue.id}|chat|${record.appointmentId}`, () =>
    `<p>📅 <b>Appointment booked</b> for ${htmlLink(issueUrl(jira.baseUrl, issue.key), issue.key)}: ${escapeHtml(when)}</p>` +
      (record.joinWebUrl ? `<p>${htmlLink(record.joinWebUrl, 'Join the Teams meeting')}</p>` : ''),
  );
  return `customer reply: ${reply.status === 'ran' ? 'posted' : reply.status === 'done-before' ? 'already posted' : 'outcome unknown, not repeated'}; chat: ${chat}`;
}

async function replyToCustomer(jira: JiraApi, issue: JiraIssue, text: string): Promise<void> {
  // A public reply is a JSM feature; outside service projects the note goes on the issue as a comment.
  if (issue.projectType === 'service_desk') await jira.addPublicReply(issue.key, text);
  else await jira.addInternalComment(issue.key, text, false);
}

async function postToChat(ctx: Ctx, rowKey: string, html: () => string): Promise<string> {
  const chat = await findChatLink(ctx.deps, ctx.job.siteId, ctx.issue.id);
  if (!chat?.chatId) return 'no chat for the issue';
  const chatId = chat.chatId;
  const graph = await ctx.deps.graphFor(chat.tenantId, 'chats');
  ctx.sessions.push(graph);
  const table = await bookingsTable(ctx);
  const r = await once(table, ctx.job.siteId, rowKey, { clock: ctx.deps.clock, owner: ctx.job.jobId, what: `the booking message in the chat of ${ctx.issue.key}` }, async () =>
    (await postChatMessage(graph, chatId, html())).messageId,
  );
  return r.status === 'ran' ? 'posted' : r.status === 'done-before' ? 'already posted' : 'outcome unknown, not repeated';
}

// ---- cancelling -------------------------------------------------------------------------------------------------

async function cancel(ctx: Ctx): Promise<JobResult> {
  const { deps, job, issue, jira } = ctx;
  const table = await bookingsTable(ctx);
  const row = await readEntity<BookingRecord>(table, job.siteId, issue.id);
  if (!row || row.state === 'cancelled') return { outcome: 'ignored', detail: `${issue.key} has no booked appointment to cancel` };

  const { graph, errorContext } = await bookingsSession(ctx);
  let record: Entity<BookingRecord> = row;
  if (row.state === 'reserving') {
    const age = (deps.clock.now().getTime() - Date.parse(row.reservedAt)) / 1000;
    if (age < bookingLeaseSeconds) throw new ThrottledError(`a booking for ${issue.key} is in progress; cancelling once it is recorded`, Math.ceil(bookingLeaseSeconds - age) + 1);
    const marker = bookingMarker(job.siteId, issue.id, row.reservationId);
    const found = (await withBookingsErrors(() => listAppointments(graph, row.businessId), errorContext('list appointments', row.businessId))).find((a) =>
      a.serviceNotes?.includes(marker),
    );
    if (!found) {
      await replaceIfMatch(table, job.siteId, issue.id, { ...strip(row), state: 'cancelled', cancelledAt: deps.clock.now().toISOString() }, row.etag);
      return { outcome: 'ignored', detail: `the interrupted booking for ${issue.key} made no appointment; nothing to cancel` };
    }
    record = { ...row, ...bookedFields(found, deps.clock.now()) } as Entity<BookingRecord>;
  }

  try {
    await cancelAppointment(graph, record.businessId, record.appointmentId!, `Cancelled from Jira ${issue.key}.`);
  } catch (e) {
    // Already cancelled or deleted in Bookings: the goal is reached.
    if (!(e instanceof GraphRequestError && e.status === 404)) throw explainBookingsError(e, errorContext('cancel the appointment', record.businessId));
  }
  const cancelled: BookingRecord = { ...strip(record), state: 'cancelled', cancelledAt: deps.clock.now().toISOString() };
  const saved = await replaceIfMatch(table, job.siteId, issue.id, cancelled, row.etag);
  if (!saved.ok) throw new ThrottledError('the booking changed while cancelling it; checking again', 5);

  const when = record.startDateTime ? formatUtc(record.startDateTime) : 'the booked time';
  const reply = await once(table, job.siteId, `${issue.id}|cancel-reply|${record.appointmentId}`, { clock: deps.clock, owner: job.jobId, what: `the cancellation reply on ${issue.key}` }, () =>
    replyToCustomer(jira, issue, `Your appointment for ${when} was cancelled.`),
  );
  const chat = await postToChat(ctx, `${issue.id}|cancel-chat|${record.appointmentId}`, () =>
    `<p>🚫 <b>Appointment cancelled</b> for ${htmlLink(issueUrl(jira.baseUrl, issue.key), issue.key)}: ${escapeHtml(when)}</p>`,
  );
  return { outcome: 'done', detail: `cancelled ${record.appointmentId}; customer reply: ${reply.status}; chat: ${chat}` };
}

function strip<T extends { partitionKey?: string; rowKey?: string; etag?: string }>(row: T): Omit<T, 'partitionKey' | 'rowKey' | 'etag'> {
  const { partitionKey: _p, rowKey: _r, etag: _e, ...rest } = row;
  return rest;
}
