// /api/manage/bookings/...: what an admin needs to bind a JSM project to Microsoft Bookings.
//   GET    /api/manage/bookings/businesses?tenant={tenantId}[&all=true]   businesses the Bookings service user administers
//   GET    /api/manage/bookings/businesses/{businessId}?tenant={tenantId} one business: rules, services, staff, checks
//   GET    /api/manage/bookings/projects/{siteId}/{projectKey}            the project's binding, checked against Graph
//   PUT    /api/manage/bookings/projects/{siteId}/{projectKey}            bind { businessId, serviceId? } (checked first)
//   DELETE /api/manage/bookings/projects/{siteId}/{projectKey}            unbind
// Listing businesses is delegated-only in the docs read (graph-contract §8), so these calls use the bookings
// service user even when jobs run app-only. The checks are the ones Bookings enforces: a Microsoft Bookings licence
// (service plan MICROSOFTBOOKINGS) and the Administrator role on the business.
import { projectKeySchema as projectKeySchemaFor, tenantIdSchema } from '../ids.js';
import { z } from 'zod';
import type { AdminRequest } from '../admin/request.js';
import { NeedsReauthError, PermanentError } from '../errors.js';
import { GraphRequestError, type Graph } from '../graph/client.js';
import { fail, methodNotAllowed, ok, type HttpOutcome } from '../http/outcome.js';
import { servicePlanIds } from '../identity/validateServiceUser.js';
import { getSite, siteIdSchema } from '../sites/sites.js';
import { getProjectSettings, putProjectSettings } from '../sites/projects.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { getMyAddresses, listMyLicenseDetails } from '../graph/users.js';
import { getBusiness, listBusinesses, listServices, listStaff, listStaffOfMany, type BookingStaffMember, type BookingStaffRole } from '../graph/bookings.js';
import { explainBookingsError } from './graph.js';
import { ianaZone } from './timeZone.js';

export type BookingsAdminDeps = WorkflowDeps & { onSettingsChanged?: () => void };

const projectKeySchema = projectKeySchemaFor('HELP');
const bindingSchema = z.object({ businessId: z.string().trim().min(1).max(320), serviceId: z.string().trim().min(1).max(200).optional() }).strict();

/** Businesses whose staff lists are read in one listing (each costs one `$batch` slot). */
const maxBusinessesChecked = 100;

export interface ServiceUserIdentity {
  id: string;
  userPrincipalName: string;
  mail?: string | null;
}

export interface Check {
  ok: boolean;
  detail: string;
}

export async function adminBookings(deps: BookingsAdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  const { section, id, key } = request.params;
  try {
    if (section === 'businesses') {
      if (request.method !== 'GET') return methodNotAllowed(['GET']);
      const tenant = tenantIdSchema.safeParse(request.query.tenant ?? '');
      if (!tenant.success) return fail(400, 'invalid_request', `tenant (query): ${tenant.error.issues[0]!.message}`);
      return id ? await businessDetail(deps, tenant.data, id) : await listAdministered(deps, tenant.data, request.query.all === 'true');
    }
    if (section === 'projects' && id && key) return await projectBinding(deps, request, id, key);
    return fail(404, 'not_found', 'use /api/manage/bookings/businesses[/{businessId}]?tenant=… or /api/manage/bookings/projects/{siteId}/{projectKey}');
  } catch (e) {
    return errorOutcome(e);
  }
}

function errorOutcome(e: unknown): HttpOutcome {
  if (e instanceof NeedsReauthError) return fail(409, 'needs_reauth', `${e.message}; sign the service user in again at ${e.reauthPath}`);
  if (e instanceof PermanentError) {
    const status = e.code === 'bookings_access_denied' ? 403 : e.code === 'bookings_not_found' ? 404 : 409;
    return fail(status, e.code, e.message);
  }
  throw e;
}

async function session(deps: BookingsAdminDeps, tenantId: string): Promise<{ graph: Graph; me: ServiceUserIdentity }> {
  // Delegated on purpose (see the header); the profile tells which staff entry is the service user.
  const graph = await deps.graphFor(tenantId, 'bookings');
  const me = await getMyAddresses(graph);
  return { graph, me };
}

function explain(e: unknown, action: string, businessId: string, me?: ServiceUserIdentity): unknown {
  return explainBookingsError(e, { action, businessId, caller: me?.userPrincipalName ?? 'the Bookings service user', kind: 'delegated' });
}

/** The service user's own staff entry in a business (matched on UPN or primary address). */
export function ownStaffEntry(staff: BookingStaffMember[], me: ServiceUserIdentity): BookingStaffMember | undefined {
  const addresses = new Set([me.userPrincipalName, me.mail].filter((a): a is string => !!a).map((a) => a.toLowerCase()));
  return staff.find((s) => s.emailAddress && addresses.has(s.emailAddress.toLowerCase()));
}

export function roleCheck(role: BookingStaffRole | undefined, me: ServiceUserIdentity, businessId: string): Check {
  if (role === 'administrator') return { ok: true, detail: `${me.userPrincipalName} is an Administrator of ${businessId}` };
  const now = role ? `is ${role === 'unknownFutureValue' ? 'staff with a role Graph did not name' : `a ${role}`}` : 'is not staff';
  return {
    ok: false,
    detail:
      `${me.userPrincipalName} ${now} in ${businessId}; booking on behalf of JSM customers needs the Administrator role: ` +
      'open the business in the Bookings web app → Staff → add or edit the service user → Role: Administrator.',
  };
}

export async function licenceCheck(graph: Graph, me: ServiceUserIdentity): Promise<Check> {
  try {
    const licences = await listMyLicenseDetails(graph);
    const wanted = new Set<string>(servicePlanIds.bookings);
    const has = licences.some((l) => (l.servicePlans ?? []).some((p) => p.servicePlanId && wanted.has(p.servicePlanId.toLowerCase()) && p.provisioningStatus === 'Success'));
    return has
      ? { ok: true, detail: `${me.userPrincipalName} has a provisioned Microsoft Bookings licence` }
      : {
          ok: false,
          detail: `${me.userPrincipalName} has no provisioned Microsoft Bookings licence (service plan MICROSOFTBOOKINGS): assign one in the Microsoft 365 admin center; Bookings refuses unlicensed users.`,
        };
  } catch (e) {
    if (e instanceof GraphRequestError) return { ok: false, detail: `the licences of ${me.userPrincipalName} could not be read (${e.status} ${e.code})` };
    throw e;
  }
}

async function listAdministered(deps: BookingsAdminDeps, tenantId: string, all: boolean): Promise<HttpOutcome> {
  const { graph, me } = await session(deps, tenantId);
  let businesses;
  try {
    businesses = await listBusinesses(graph);
  } catch (e) {
    throw explain(e, 'list Bookings businesses', '(all)', me);
  }
  const checked = businesses.slice(0, maxBusinessesChecked);
  const staff = await listStaffOfMany(graph, checked.map((b) => b.id));
  const rows = checked.map((b) => {
    const s = staff.get(b.id);
    if (!s || !Array.isArray(s)) {
      return { id: b.id, displayName: b.displayName, role: null, administrator: false, detail: `its staff could not be read (${s?.status ?? '?'} ${s?.code ?? ''})`.trim() };
    }
    const role = ownStaffEntry(s, me)?.role;
    const check = roleCheck(role, me, b.id);
    return { id: b.id, displayName: b.displayName, role: role ?? null, administrator: check.ok, ...(check.ok ? {} : { detail: check.detail }) };
  });
  const licence = await licenceCheck(graph, me);
  return ok({
    tenantId,
    serviceUser: me.userPrincipalName,
    licence,
    businesses: rows.filter((r) => all || r.administrator),
    notAdministered: all ? undefined : rows.filter((r) => !r.administrator).length,
    truncated: businesses.length > checked.length ? `only the first ${checked.length} of ${businesses.length} businesses were checked` : undefined,
  });
}

/** The business with its services and staff, read in parallel; a failure is explained for the admin. */
async function readBusiness(graph: Awaited<ReturnType<typeof session>>['graph'], me: Awaited<ReturnType<typeof session>>['me'], businessId: string) {
  try {
    const [business, services, staff] = await Promise.all([getBusiness(graph, businessId), listServices(graph, businessId), listStaff(graph, businessId)]);
    return { business, services, staff };
  } catch (e) {
    throw explain(e, 'read the business', businessId, me);
  }
}

async function businessDetail(deps: BookingsAdminDeps, tenantId: string, businessId: string): Promise<HttpOutcome> {
  const { graph, me } = await session(deps, tenantId);
  const { business, services, staff } = await readBusiness(graph, me, businessId);
  const role = roleCheck(ownStaffEntry(staff, me)?.role, me, businessId);
  const licence = await licenceCheck(graph, me);
  return ok({
    business: {
      id: business.id,
      displayName: business.displayName,
      businessHours: business.businessHours ?? [],
      // The zone the hours are in, and whether booking by business hours can use it (see ./timeZone.ts).
      businessTimeZone: business.bookingPageSettings?.businessTimeZone ?? null,
      timeZoneCheck: timeZoneCheck(business.bookingPageSettings?.businessTimeZone),
      schedulingPolicy: business.schedulingPolicy ?? null,
    },
    services: services.map((s) => ({ id: s.id, displayName: s.displayName, defaultDuration: s.defaultDuration, maximumAttendeesCount: s.maximumAttendeesCount, isLocationOnline: s.isLocationOnline })),
    staff: staff.map((s) => ({ id: s.id, displayName: s.displayName, emailAddress: s.emailAddress, role: s.role })),
    checks: { licence, role },
    ok: licence.ok && role.ok,
  });
}

async function projectBinding(deps: BookingsAdminDeps, request: AdminRequest, siteIdRaw: string, projectKeyRaw: string): Promise<HttpOutcome> {
  const siteId = siteIdSchema.safeParse(siteIdRaw);
  if (!siteId.success) return fail(400, 'invalid_request', `siteId: ${siteId.error.issues[0]!.message}`);
  const projectKey = projectKeySchema.safeParse(projectKeyRaw);
  if (!projectKey.success) return fail(400, 'invalid_request', `projectKey: ${projectKey.error.issues[0]!.message}`);
  if (!(await getSite(deps, siteId.data))) return fail(404, 'unknown_site', `no site is registered with id ${siteId.data}`);
  const settings = await getProjectSettings(deps, siteId.data, projectKey.data);
  if (!settings) return fail(404, 'unknown_project', `project ${projectKey.data} is not configured for site ${siteId.data}: PUT its settings first`);

  switch (request.method) {
    case 'GET': {
      if (!settings.bookings) return ok({ projectKey: projectKey.data, bookings: null });
      const check = await checkBinding(deps, settings.tenantId, settings.bookings.businessId, settings.bookings.serviceId);
      return ok({ projectKey: projectKey.data, bookings: settings.bookings, ...check });
    }
    case 'PUT': {
      const body = bindingSchema.safeParse(request.body);
      if (!body.success) {
        const issue = body.error.issues[0]!;
        return fail(400, 'invalid_request', `body${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
      }
      const check = await checkBinding(deps, settings.tenantId, body.data.businessId, body.data.serviceId);
      if (!check.ok) {
        const failed = Object.entries(check.checks).find(([, c]) => !c.ok)!;
        const code = failed[0] === 'service' ? 'bookings_service_not_found' : failed[0] === 'licence' ? 'bookings_licence_missing' : 'bookings_role_missing';
        return fail(failed[0] === 'service' ? 400 : 409, code, failed[1].detail);
      }
      const saved = await putProjectSettings(deps, siteId.data, projectKey.data, { ...settings, bookings: { businessId: check.businessId, serviceId: body.data.serviceId } });
      deps.onSettingsChanged?.();
      return ok({ projectKey: projectKey.data, bookings: saved.bookings, ...check });
    }
    case 'DELETE': {
      if (!settings.bookings) return fail(404, 'not_bound', `project ${projectKey.data} has no Bookings business`);
      const { bookings: _unbound, ...rest } = settings;
      await putProjectSettings(deps, siteId.data, projectKey.data, rest);
      deps.onSettingsChanged?.();
      return { status: 204 };
    }
    default:
      return methodNotAllowed(['GET', 'PUT', 'DELETE']);
  }
}

/** Business exists, the service user is its Administrator and licensed, and the service (if any) is one of its services. */
async function checkBinding(deps: BookingsAdminDeps, tenantId: string, businessId: string, serviceId: string | undefined) {
  const { graph, me } = await session(deps, tenantId);
  const { business, services, staff } = await readBusiness(graph, me, businessId);
  const checks: Record<string, Check> = {
    licence: await licenceCheck(graph, me),
    role: roleCheck(ownStaffEntry(staff, me)?.role, me, business.id),
  };
  if (serviceId) {
    const service = services.find((s) => s.id === serviceId);
    checks.service = service
      ? { ok: true, detail: `service ${service.displayName} (${service.defaultDuration})` }
      : { ok: false, detail: `${business.id} has no service ${serviceId}; its services: ${services.map((s) => `${s.id} (${s.displayName})`).join(', ') || 'none'}` };
  }
  return { businessId: business.id, businessName: business.displayName, serviceUser: me.userPrincipalName, checks, ok: Object.values(checks).every((c) => c.ok) };
}

function timeZoneCheck(name: string | null | undefined): { ok: true; ianaZone: string } | { ok: false; detail: string } {
  const zone = ianaZone(name);
  return zone.ok ? { ok: true, ianaZone: zone.zone } : { ok: false, detail: `the next free slot cannot be chosen because ${zone.message}` };
}
