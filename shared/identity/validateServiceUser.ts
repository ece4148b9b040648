// Checks that a signed-in account may serve as a feature's service user (DESIGN §6, graph-contract §6): enabled,
// a real user mailbox (a shared mailbox is refused outright), and the feature's licence provisioned. Three GETs
// with the service user's own delegated token; no general Graph client needed for that.
import type { Config } from '../config.js';
import { featureLicence, type Feature } from './features.js';

/** Service plan ids to accept, matched on id not name (graph-contract §6 [svcplan-teams] [svcplan-bookings]). */
export const servicePlanIds = {
  teams: ['57ff2da0-773e-42df-b2af-ffb7a2317929'], // TEAMS1
  bookings: ['199a5c09-e0ca-4e37-8f7c-b05d533e1ea2'], // MICROSOFTBOOKINGS
} as const;

export interface ServiceUserProfile {
  id: string;
  userPrincipalName: string;
  displayName?: string;
  accountEnabled?: boolean;
}

export type Validation =
  | { ok: true; profile: ServiceUserProfile; userPurpose?: string }
  | { ok: false; code: 'account_disabled' | 'shared_mailbox' | 'no_licence' | 'not_verifiable'; reason: string; profile?: ServiceUserProfile };

interface LicenseDetails {
  skuPartNumber?: string;
  servicePlans?: Array<{ servicePlanId?: string; servicePlanName?: string; provisioningStatus?: string }>;
}

async function graphGet<T>(config: Config, accessToken: string, path: string): Promise<{ ok: true; body: T } | { ok: false; status: number; code?: string }> {
  const res = await fetch(`${config.graphBaseUrl}${path}`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    signal: AbortSignal.timeout(config.timeouts.graphMs),
  });
  if (!res.ok) {
    // graph-contract §13: branch on error.code, never on the message.
    const body = (await res.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
    return { ok: false, status: res.status, code: body?.error?.code };
  }
  return { ok: true, body: (await res.json()) as T };
}

export async function validateServiceUser(deps: { config: Config }, accessToken: string, feature: Feature): Promise<Validation> {
  const me = await graphGet<ServiceUserProfile>(deps.config, accessToken, '/me?$select=id,userPrincipalName,displayName,accountEnabled');
  if (!me.ok) {
    return { ok: false, code: 'not_verifiable', reason: `reading the account's profile (GET /me) failed with ${me.status} ${me.code ?? ''}`.trim() };
  }
  const profile: ServiceUserProfile = {
    id: me.body.id,
    userPrincipalName: me.body.userPrincipalName,
    displayName: me.body.displayName,
    accountEnabled: me.body.accountEnabled,
  };
  if (profile.accountEnabled === false) {
    return { ok: false, code: 'account_disabled', reason: `${profile.userPrincipalName} is disabled (sign-in blocked)`, profile };
  }

  // userPurpose is the source of truth for shared mailboxes (graph-contract §6); `shared`, `room` and `equipment`
  // are resource mailboxes nobody should sign in as.
  const mailbox = await graphGet<{ userPurpose?: string }>(deps.config, accessToken, '/me/mailboxSettings');
  let userPurpose: string | undefined;
  if (mailbox.ok) {
    userPurpose = mailbox.body.userPurpose;
    if (userPurpose && userPurpose !== 'user' && userPurpose !== 'linked') {
      return {
        ok: false,
        code: 'shared_mailbox',
        reason: `${profile.userPrincipalName} is a ${userPurpose} mailbox; a service user must be a licensed user account, not a shared or resource mailbox`,
        profile,
      };
    }
  } else if (feature === 'mail') {
    return { ok: false, code: 'not_verifiable', reason: `the mailbox of ${profile.userPrincipalName} could not be read (${mailbox.status} ${mailbox.code ?? ''}); mail needs an Exchange Online mailbox`.trim(), profile };
  }

  const licence = featureLicence[feature];
  if (licence) {
    const details = await graphGet<{ value: LicenseDetails[] }>(deps.config, accessToken, '/me/licenseDetails');
    if (!details.ok) {
      return { ok: false, code: 'not_verifiable', reason: `the licences of ${profile.userPrincipalName} could not be read (${details.status} ${details.code ?? ''})`.trim(), profile };
    }
    const wanted = new Set<string>(servicePlanIds[licence]);
    const provisioned = details.body.value.some((l) =>
      (l.servicePlans ?? []).some((p) => p.servicePlanId && wanted.has(p.servicePlanId.toLowerCase()) && p.provisioningStatus === 'Success'),
    );
    if (!provisioned) {
      const plan = licence === 'teams' ? 'Microsoft Teams (service plan TEAMS1)' : 'Microsoft Bookings (service plan MICROSOFTBOOKINGS)';
      return {
        ok: false,
        code: 'no_licence',
        reason: `${profile.userPrincipalName} has no provisioned ${plan} licence, which the ${feature} feature needs; assign one in the Microsoft 365 admin center and sign in again`,
        profile,
      };
    }
  }
  return { ok: true, profile, userPurpose };
}
