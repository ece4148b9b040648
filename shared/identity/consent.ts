// Admin consent per tenant and feature (DESIGN §6, graph-contract §11 "Admin consent").
//
// The start link goes to `{AUTHORITY_HOST}/{tenant}/v2.0/adminconsent`. For the delegated mode it asks only for
// the feature's scopes (the v2 admin-consent endpoint takes dynamic delegated scopes as well as `/.default`,
// Entra docs v2-admin-consent "scope"); application permissions can only be requested statically, so the
// app-only consent asks for `https://graph.microsoft.com/.default`. The callback never trusts the returned
// `tenant` on its own ("Never use the tenant ID value of the tenant parameter to authenticate or authorize users"):
// it is confirmed by a client-credentials token request against that tenant, which succeeds only where the app's
// service principal exists, i.e. where an admin really consented.
import { describeAuthError, graphDefaultScope } from './msal.js';
import { featureGraphScopes, graphScopeUris } from './features.js';
import { features, isFeature, type Feature } from '../features.js';
import { renderPage, type Page } from './pages.js';
import { fail, invalid, methodNotAllowed, ok, redirect, type HttpOutcome, type Invalid } from '../http/outcome.js';
import { consumeState, createState, describeStateFailure } from './state.js';
import { getAppOnlyToken, reauthPath, type IdentityDeps } from './tokens.js';
import { linkSiteTenant, updateTenant } from '../storage/tenantConnections.js';
import { tenantIdForDomain } from './tenantDiscovery.js';

import { guidPattern, siteIdPattern } from '../ids.js';

export { guidPattern, siteIdPattern };
// A verified domain (contoso.com, contoso.onmicrosoft.com) also names a tenant on the authority URL.
const domainPattern = /^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export type { Invalid };

export function parseTenant(value: string | null | undefined, field = 'tenant', allowOrganizations = true): { ok: true; tenant: string } | Invalid {
  const v = (value ?? '').trim();
  if (!v) return { ok: false, status: 400, code: 'tenant_missing', message: `query parameter ${field} is required: the Microsoft 365 tenant id (a GUID)` };
  if (guidPattern.test(v)) return { ok: true, tenant: v.toLowerCase() };
  if (allowOrganizations && (v === 'organizations' || domainPattern.test(v))) return { ok: true, tenant: v.toLowerCase() };
  return {
    ok: false,
    status: 400,
    code: 'tenant_invalid',
    message: allowOrganizations
      ? `query parameter ${field} must be a tenant id (GUID), a verified domain, or "organizations" ("common" is not allowed for admin consent)`
      : `query parameter ${field} must be a tenant id (GUID)`,
  };
}

export function parseFeature(value: string | null | undefined): { ok: true; feature: Feature } | Invalid {
  if (isFeature(value)) return { ok: true, feature: value };
  return {
    ok: false,
    status: 400,
    code: 'feature_invalid',
    message: `query parameter feature must be one of ${features.join(', ')}`,
  };
}

export interface ConsentStartInput {
  tenant: string | null;
  feature: string | null;
  site: string | null;
  mode: string | null;
  /** `true`: a link for `organizations`, which connects whichever tenant the consenting administrator belongs to. */
  multiTenant?: string | null;
}

interface ConsentTarget {
  /** The authority path segment and the state's tenant: a tenant id, or `organizations` for a multi-tenant link. */
  tenant: string;
  multiTenant: boolean;
  requestedAs?: string;
}

/**
 * The tenant a consent link is for. A domain is resolved to its tenant id now, so the callback can require that
 * tenant; `organizations` (any work or school tenant) only when the admin asked for a multi-tenant link, because
 * such a link connects whichever tenant the person who opens it administers.
 */
async function consentTarget(deps: IdentityDeps, tenantParam: string | null, multiTenantParam: string | null | undefined): Promise<{ ok: true; target: ConsentTarget } | Invalid> {
  const multi = (multiTenantParam ?? '').trim().toLowerCase();
  if (multi !== '' && multi !== 'true' && multi !== 'false') {
    return { ok: false, status: 400, code: 'multi_tenant_invalid', message: 'query parameter multiTenant must be "true" or "false"' };
  }
  const requested = (tenantParam ?? '').trim().toLowerCase();
  if (multi === 'true') {
    if (requested && requested !== 'organizations') {
      return {
        ok: false,
        status: 400,
        code: 'tenant_invalid',
        message: `multiTenant=true makes a link for any organisation (tenant "organizations"); leave tenant out, or drop multiTenant to make a link for ${requested.slice(0, 60)} only`,
      };
    }
    return { ok: true, target: { tenant: 'organizations', multiTenant: true } };
  }
  if (requested === 'organizations' || requested === 'common') {
    return {
      ok: false,
      status: 400,
      code: 'multi_tenant_not_requested',
      message: `tenant=${requested} makes a link that connects whichever tenant its user administers: name the tenant (its id or a verified domain), or ask for that explicitly with multiTenant=true (and no tenant)`,
    };
  }
  const tenant = parseTenant(tenantParam, 'tenant', true);
  if (!tenant.ok) return tenant;
  if (guidPattern.test(tenant.tenant)) return { ok: true, target: { tenant: tenant.tenant, multiTenant: false } };

  const lookup = await tenantIdForDomain(deps.config.authorityHost, tenant.tenant);
  if (!lookup.ok) {
    deps.log.warn('consent.domainLookupFailed', { domain: tenant.tenant, reason: lookup.reason, detail: lookup.detail });
    return lookup.reason === 'not-found'
      ? { ok: false, status: 400, code: 'tenant_not_found', message: `no Microsoft Entra tenant has the domain ${tenant.tenant} (${lookup.detail}): check the spelling, or use the tenant id` }
      : { ok: false, status: 502, code: 'tenant_lookup_failed', message: `the tenant of ${tenant.tenant} could not be looked up (${lookup.detail}): try again, or use the tenant id` };
  }
  return { ok: true, target: { tenant: lookup.tenantId, multiTenant: false, requestedAs: tenant.tenant } };
}

/** Validates the start request and builds the admin-consent URL with a fresh state. */
export async function startConsent(
  deps: IdentityDeps,
  input: ConsentStartInput,
): Promise<{ ok: true; url: string; expiresInSeconds: number; tenantId: string; multiTenant: boolean } | Invalid> {
  const feature = parseFeature(input.feature);
  if (!feature.ok) return feature;
  const site = (input.site ?? '').trim();
  if (!siteIdPattern.test(site)) {
    return { ok: false, status: 400, code: 'site_invalid', message: 'query parameter site is required: the id of the registered Jira site this tenant will serve (3-40 lower-case letters, digits or dashes)' };
  }
  if (input.mode !== null && input.mode !== 'app' && input.mode !== 'delegated') {
    return { ok: false, status: 400, code: 'mode_invalid', message: 'query parameter mode must be "delegated" (default) or "app"' };
  }
  const clientId = deps.config.entra.clientId;
  if (!clientId) return { ok: false, status: 409, code: 'client_id_missing', message: 'ENTRA_CLIENT_ID is not configured on this app' };
  const resolved = await consentTarget(deps, input.tenant, input.multiTenant);
  if (!resolved.ok) return resolved;
  const tenant = resolved.target;
  const appOnly = input.mode === 'app';
  const state = await createState(deps, 'consent', {
    tenant: tenant.tenant,
    feature: feature.feature,
    siteId: site,
    appOnly,
    ...(tenant.multiTenant ? { multiTenant: true } : {}),
    ...(tenant.requestedAs ? { requestedAs: tenant.requestedAs } : {}),
  });
  const scope = appOnly ? graphDefaultScope : graphScopeUris(featureGraphScopes(feature.feature)).join(' ');
  const url = new URL(`${deps.config.authorityHost}/${encodeURIComponent(tenant.tenant)}/v2.0/adminconsent`);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('scope', scope);
  url.searchParams.set('redirect_uri', `${deps.config.publicBaseUrl}/api/consent/callback`);
  url.searchParams.set('state', state);
  return { ok: true, url: url.toString(), expiresInSeconds: deps.config.oauthStateTtlSeconds, tenantId: tenant.tenant, multiTenant: tenant.multiTenant };
}

/**
 * GET /api/consent/start as an HTTP answer: the link as JSON (`format=json`, for a Jira admin to send on) or a
 * redirect to it; a refusal names the query parameter.
 */
export async function answerConsentStart(deps: IdentityDeps, method: string, query: URLSearchParams): Promise<HttpOutcome> {
  if (method !== 'GET') return methodNotAllowed(['GET']);
  const format = query.get('format');
  if (format !== null && format !== 'json' && format !== 'redirect') return fail(400, 'format_invalid', 'query parameter format must be "json" or "redirect"');
  const r = await startConsent(deps, { tenant: query.get('tenant'), feature: query.get('feature'), site: query.get('site'), mode: query.get('mode'), multiTenant: query.get('multiTenant') });
  if (!r.ok) return invalid(r);
  if (format === 'json') return ok({ url: r.url, expiresInSeconds: r.expiresInSeconds, tenantId: r.tenantId, multiTenant: r.multiTenant });
  return redirect(r.url);
}

/** What the identity platform's error codes mean to the admin who just clicked (Entra v2-admin-consent, auth-code-flow). */
const consentErrors: Record<string, string> = {
  access_denied: 'The administrator declined the consent, so the app was not connected. Open the link again and accept to connect.',
  consent_required: 'Microsoft did not record the consent. Make sure you sign in with a Global Administrator or Privileged Role Administrator (or Cloud Application Administrator for delegated permissions) of the tenant, then open the link again.',
  invalid_request: 'Microsoft rejected the consent request as malformed. Check that the app registration lists this redirect URI and that the tenant is right.',
  unauthorized_client: 'The app registration is not allowed in this tenant (it may not be multi-tenant, or it is blocked). Check the app registration and the tenant\'s enterprise application settings.',
  invalid_client: 'Microsoft does not know this app (client id). Check ENTRA_CLIENT_ID.',
  temporarily_unavailable: 'Microsoft\'s sign-in service was temporarily unavailable. Try the link again in a few minutes.',
  server_error: 'Microsoft\'s sign-in service had an error. Try the link again in a few minutes.',
};

export interface ConsentCallbackResult {
  page: Page;
  outcome: 'connected' | 'rejected';
  tenantId?: string;
  feature?: Feature;
  siteId?: string;
}

/** Handles the admin-consent redirect; always answers with a page a person can read. */
export async function completeConsent(deps: IdentityDeps, query: URLSearchParams): Promise<ConsentCallbackResult> {
  const log = deps.log.with({ flow: 'adminConsent' });
  const check = await consumeState(deps, 'consent', query.get('state'));
  if (!check.ok) {
    log.warn('consent.stateRejected', { reason: check.reason });
    return rejected(400, 'This consent link cannot be completed', [describeStateFailure(check.reason)]);
  }
  const { tenant: requestedTenant, feature, siteId, appOnly, multiTenant, requestedAs } = check.record;
  const what = appOnly ? `app-only access for ${feature}` : `the ${feature} feature`;

  const error = query.get('error');
  if (error) {
    const description = (query.get('error_description') ?? '').slice(0, 500);
    log.warn('consent.failed', { error, feature, siteId, requestedTenant });
    const known = consentErrors[error];
    return rejected(error === 'access_denied' ? 403 : 400, `Consent for ${what} was not granted`, [
      known ?? `Microsoft returned the error "${error}".`,
      ...(description ? [`Details from Microsoft: ${description}`] : []),
    ]);
  }

  const returnedTenant = (query.get('tenant') ?? '').trim().toLowerCase();
  if (query.get('admin_consent')?.toLowerCase() !== 'true' || !guidPattern.test(returnedTenant)) {
    return rejected(400, 'This consent response is incomplete', ['Microsoft did not confirm an admin consent for a tenant. Start again from the consent link.']);
  }
  // Only a link the admin explicitly made multi-tenant accepts whichever tenant comes back; every other link names
  // one tenant id (a domain was resolved when the link was made) and only that tenant may come back.
  const anyTenant = multiTenant === true && requestedTenant === 'organizations';
  if (!anyTenant && requestedTenant !== returnedTenant) {
    const named = guidPattern.test(requestedTenant) ? `tenant ${requestedTenant}${requestedAs ? ` (${requestedAs})` : ''}` : `"${requestedTenant}", not a tenant id`;
    log.warn('consent.tenantMismatch', { requestedTenant, returnedTenant });
    return rejected(400, 'Consent was given in a different tenant', [
      `The link was made for ${named}, but consent came back from tenant ${returnedTenant}. Nothing was connected. Sign in with an administrator of the tenant the link names, or ask the Jira admin for a new link.`,
    ]);
  }

  // Confirm the tenant: a client-credentials token for it exists only if the app's service principal was
  // created there by a real consent.
  try {
    await getAppOnlyToken(deps, returnedTenant, { skipCache: true });
  } catch (e) {
    log.warn('consent.unconfirmed', { tenantId: returnedTenant, feature, error: describeAuthError(e) });
    return rejected(400, 'The consent could not be confirmed', [
      `Microsoft reported a consent for tenant ${returnedTenant}, but this app could not obtain a token for that tenant (${describeAuthError(e)}). Nothing was connected. If you did consent, wait a minute and open a new consent link; otherwise check the tenant id.`,
    ]);
  }

  const now = deps.clock.now();
  await updateTenant(
    deps.tables,
    returnedTenant,
    (t) =>
      appOnly
        ? { ...t, appConsentedAt: now.toISOString(), consentedFeatures: { ...t.consentedFeatures } }
        : { ...t, consentedFeatures: { ...t.consentedFeatures, [feature]: now.toISOString() } },
    now,
  );
  if (siteId) await linkSiteTenant(deps.tables, siteId, returnedTenant, now);
  log.info('consent.recorded', { tenantId: returnedTenant, feature, siteId, appOnly: !!appOnly });
  const signIn = `${deps.config.publicBaseUrl}${reauthPath(returnedTenant, feature)}`;
  return {
    outcome: 'connected',
    tenantId: returnedTenant,
    feature,
    siteId,
    page: {
      status: 200,
      title: `Microsoft 365 connected for ${what}`,
      paragraphs: [
        `Tenant ${returnedTenant}${requestedAs ? ` (${requestedAs})` : ''} is now connected to Jira site ${siteId ?? ''} for ${what}.`,
        ...(anyTenant ? [`This was a multi-tenant link: it connected the tenant of the administrator who consented, ${returnedTenant}.`] : []),
        appOnly
          ? 'The app can now use its application permissions in this tenant where the Jira admin chose app-only mode.'
          : `Next step: the Jira admin sends the owner of the service user for ${feature} a sign-in invitation (a single-use link without any key) from the bridge console: ${signIn}`,
      ],
    },
  };
}

function rejected(status: number, title: string, paragraphs: string[]): ConsentCallbackResult {
  return { outcome: 'rejected', page: { status, title, paragraphs } };
}

export { renderPage };
