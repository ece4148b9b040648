// A verified domain (contoso.com, contoso.onmicrosoft.com) names a tenant on the authority URL, but a consent that
// comes back must be compared with a tenant id. The identity platform's OpenID Connect metadata answers that:
// `{authority}/{tenant}/v2.0/.well-known/openid-configuration` accepts the tenant "in GUID or domain name format" and
// its `issuer` is `https://login.microsoftonline.com/{tenant id}/v2.0`; an unknown tenant gets 400 `invalid_tenant`
// (AADSTS90002 "Tenant '…' not found").
// https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes (AADSTS90002 InvalidTenantName)

import { guidPattern } from '../ids.js';

export type TenantLookup = { ok: true; tenantId: string } | { ok: false; reason: 'not-found' | 'unavailable'; detail: string };

export async function tenantIdForDomain(authorityHost: string, domain: string, timeoutMs = 10_000): Promise<TenantLookup> {
  const url = `${authorityHost}/${encodeURIComponent(domain)}/v2.0/.well-known/openid-configuration`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (e) {
    return { ok: false, reason: 'unavailable', detail: `the identity platform could not be reached (${(e as Error).name})` };
  }
  const body = (await res.json().catch(() => undefined)) as { issuer?: unknown; error?: unknown; error_codes?: unknown } | undefined;
  if (res.status === 400 && (body?.error === 'invalid_tenant' || (Array.isArray(body?.error_codes) && body.error_codes.includes(90002)))) {
    return { ok: false, reason: 'not-found', detail: 'AADSTS90002: no tenant has this domain' };
  }
  if (res.status !== 200 || typeof body?.issuer !== 'string') {
    return { ok: false, reason: 'unavailable', detail: `the OpenID configuration answered ${res.status}` };
  }
  let tenantId: string | undefined;
  try {
    tenantId = new URL(body.issuer).pathname.split('/').filter(Boolean)[0];
  } catch {
    tenantId = undefined;
  }
  if (!tenantId || !guidPattern.test(tenantId)) {
    return { ok: false, reason: 'unavailable', detail: 'the OpenID configuration names no tenant id in its issuer' };
  }
  return { ok: true, tenantId: tenantId.toLowerCase() };
}
