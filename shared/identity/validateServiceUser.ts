// Checks that a signed-in account may serve as a feature's service user (DESIGN §6, graph-contract §6): enabled,
// a real user mailbox (a shared mailbox is refused outright), and the feature's licence provisioned. Three GETs
// (shared/graph/users.ts) with the service user's own delegated token, through a Graph client made for them.
import type { Config } from '../config.js';
import { ThrottledError } from '../errors.js';
import { createGraph, GraphRequestError, type Graph } from '../graph/client.js';
import { getMyMailboxSettings, getMyProfile, listMyLicenseDetails } from '../graph/users.js';
import { featureLicence } from './features.js';
import { type Feature } from '../features.js';

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

/**
 * A Graph answer or the status and code of Graph's refusal: each check explains a refusal itself (graph-contract
 * §13: branch on error.code, never on the message). A throttled answer is a refusal too (its status, no code); a
 * deadline or a lost connection is thrown, as before.
 */
async function attempt<T>(call: () => Promise<T>): Promise<{ ok: true; body: T } | { ok: false; status: number; code?: string }> {
  try {
    return { ok: true, body: await call() };
  } catch (e) {
    if (e instanceof GraphRequestError) return { ok: false, status: e.status, code: e.code };
    if (e instanceof ThrottledError) return { ok: false, status: (e as ThrottledError & { status?: number }).status ?? 429 };
    throw e;
  }
}

/**
 * A client for this one check: the token given, the configured deadline, and no inline retries (the check answers
 * a sign-in or a job at once; what Graph refuses is reported, not waited for).
 */
function checkClient(config: Config, accessToken: string): Graph {
  return createGraph({ baseUrl: config.graphBaseUrl, getAccessToken: async () => accessToken, timeoutMs: config.timeouts.graphMs, maxRetries: 0 });
}

export async function validateServiceUser(deps: { config: Config }, accessToken: string, feature: Feature): Promise<Validation> {
  const graph = checkClient(deps.config, accessToken);
  const me = await attempt(() => getMyProfile(graph));
  if (!me.ok) {
    return { ok: false, code: 'not_verifiable', reason: `reading the account's profile (GET /me) failed with ${me.status} ${me.code ?? ''}`.trim() };
  }
  const profile: ServiceUserProfile = {
    id: me.body.id,
    userPrincipalName: me.body.userPrincipalName,
    displayName: me.body.displayName ?? undefined,
    accountEnabled: me.body.accountEnabled ?? undefined,
  };
  if (profile.accountEnabled === false) {
    return { ok: false, code: 'account_disabled', reason: `${profile.userPrincipalName} is disabled (sign-in blocked)`, profile };
  }

  // userPurpose is the source of truth for shared mailboxes (graph-contract §6); `shared`, `room` and `equipment`
  // are resource mailboxes nobody should sign in as.
  const mailbox = await attempt(() => getMyMailboxSettings(graph));
  let userPurpose: string | undefined;
  if (mailbox.ok) {
    userPurpose = mailbox.body.userPurpose ?? undefined;
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
    const details = await attempt(() => listMyLicenseDetails(graph));
    if (!details.ok) {
      return { ok: false, code: 'not_verifiable', reason: `the licences of ${profile.userPrincipalName} could not be read (${details.status} ${details.code ?? ''})`.trim(), profile };
    }
    const wanted = new Set<string>(servicePlanIds[licence]);
    const provisioned = details.body.some((l) =>
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
