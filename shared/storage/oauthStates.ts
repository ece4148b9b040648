// OAuth `state` rows (DESIGN §5: single use, expiring). The signed state string carries only a random nonce and
// the expiry; what the flow is bound to (kind, tenant, feature, site, PKCE verifier) stays here, server-side, and
// the row is consumed with an ETag-conditional delete so a replayed callback finds nothing to consume.
//
// Rows in the `oauthStates` table: PK nonce, RK `state`.
import type { Feature } from '../features.js';
import { deleteEntity, insertEntity, readEntity, tableNames, type TableAccess } from './tables.js';

export type OAuthFlowKind =
  | 'consent'
  | 'sign-in'
  | 'self-link'
  /** Invitations an admin sends: open a consent / service-user sign-in for one tenant and feature, once. */
  | 'invite-consent'
  | 'invite-sign-in';

export interface OAuthStateRecord {
  kind: OAuthFlowKind;
  /**
   * The tenant id the flow must come back from; `organizations` only for a consent link the admin explicitly made
   * multi-tenant (`multiTenant`). A domain named on the start link is resolved to its id before the link is made.
   */
  tenant: string;
  /** Consent only: the admin asked for a link any organisation's administrator may use. */
  multiTenant?: boolean;
  /** Consent only: the verified domain the start link named, shown beside the tenant id on the result page. */
  requestedAs?: string;
  feature: Feature;
  siteId?: string;
  /** Consent for application permissions (`/.default`) rather than the feature's delegated scopes. */
  appOnly?: boolean;
  /** PKCE code verifier (sign-in and self-link): needed to redeem the code; deleted with the row. */
  codeVerifier?: string;
  /** Self-link: the Atlassian account the signed-in Microsoft user is linked to. */
  accountId?: string;
  /** Self-link: the invitation's id (consumed once the link is made) and the issue whose note carried it. */
  invitationId?: string;
  issueKey?: string;
  createdAt: string;
  expiresAt: string;
}

const RK = 'state';

export async function saveOAuthState(tables: TableAccess, nonce: string, record: OAuthStateRecord): Promise<void> {
  const t = await tables.table(tableNames.oauthStates);
  const r = await insertEntity(t, nonce, RK, record);
  if (!r.created) throw new Error('oauth state nonce collision');
}

/**
 * Reads and deletes the row in one conditional step: only the caller whose delete matched the ETag it read gets the
 * record; a concurrent or later duplicate gets `undefined`.
 */
export async function consumeOAuthState(tables: TableAccess, nonce: string): Promise<OAuthStateRecord | undefined> {
  const t = await tables.table(tableNames.oauthStates);
  const row = await readEntity<OAuthStateRecord>(t, nonce, RK);
  if (!row) return undefined;
  if (!(await deleteEntity(t, nonce, RK, row.etag))) return undefined;
  const { etag: _e, partitionKey: _p, rowKey: _r, ...record } = row;
  return record;
}
