// What a Graph error answer means for a job (issue 12 items 6 and 12). The Graph client classifies each answer
// once (GraphRequestError.permanent / .unauthenticated, ThrottledError for 429/503/504); this decides the cases
// where the service user's own access may be the cause, which only a look at the service user can tell:
// - 401: the access token was refused. A forced refresh tells a dead refresh token (needs-reauth: park) from a
//   token that was merely revoked or expired early (transient: the host retries with a new one).
// - 403 from a delegated call: Graph answers a service user without a Teams licence with a bare 403 `Forbidden`
//   ("Failed to get license information for the user", msgraph-sdk-powershell#1666, OfficeDev requestateam#355),
//   the same code as any other refusal, and its message must not be branched on (graph-contract §13). So the
//   service user is re-validated (GET /me, mailboxSettings, licenseDetails): if it lost its licence or was
//   disabled, it is flagged invalid-licence and the job parked; otherwise the 403 is about the target (removed
//   from the chat, a policy) and the job ends with Graph's reason.
// - any other permanent answer (400/403/404/409/410/...) ends the job with Graph's reason: retrying it as sent
//   cannot help.
import { NeedsReauthError, PermanentError, ServiceUserUnavailableError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import { isFeature } from '../features.js';
import { invalidLicence, markInvalidLicence, reauthPath, refreshDelegated, type IdentityDeps } from './tokens.js';
import { validateServiceUser } from './validateServiceUser.js';

/** The error the job runner should act on instead of `e`: a park, a permanent failure, or `e` itself (transient). */
export async function explainGraphError(deps: IdentityDeps, e: GraphRequestError): Promise<Error> {
  const identity = e.identity;
  if (identity?.kind === 'delegated' && isFeature(identity.feature) && (e.status === 401 || e.status === 403)) {
    const user = await readServiceUser(deps.tables, identity.tenantId, identity.feature);
    // Another job may have just found the cause and flagged the service user: park this one for the same reason.
    if (user?.status === 'invalid-licence') return invalidLicence(deps, identity.tenantId, identity.feature, user.statusReason);
    if (user?.status === 'needs-reauth') {
      return new NeedsReauthError(
        `service user for tenant ${identity.tenantId} feature ${identity.feature} needs re-authentication: open ${deps.config.publicBaseUrl}${reauthPath(identity.tenantId, identity.feature)}`,
        identity.tenantId,
        identity.feature,
        reauthPath(identity.tenantId, identity.feature),
      );
    }
    if (user?.status === 'active') {
      try {
        const { accessToken } = await refreshDelegated(deps, user, { force: e.status === 401 });
        if (e.status === 401) return e; // a fresh token exists now: the retry will use it
        const validation = await validateServiceUser(deps, accessToken, identity.feature);
        if (!validation.ok && validation.code !== 'not_verifiable') {
          await markInvalidLicence(deps, user, validation.reason);
          return invalidLicence(deps, identity.tenantId, identity.feature, validation.reason);
        }
      } catch (x) {
        if (x instanceof ServiceUserUnavailableError) return x;
        // The check itself failed (Entra or Graph unreachable): retry the job later rather than judge it.
        return x instanceof Error ? x : e;
      }
    }
  }
  if (!e.permanent) return e;
  return new PermanentError(
    `Microsoft Graph refused ${e.method} ${e.path.split('?')[0]} with ${e.status} ${e.code}: ${e.graphMessage.slice(0, 300)}`,
    `graph_${e.status}`,
    { graphCode: e.code, graphRequestId: e.requestId },
    { cause: e },
  );
}
