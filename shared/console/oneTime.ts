// One-time, expiring, signed tokens for the console's own flows: the `state` of an admin's Entra sign-in (holding
// the PKCE verifier server-side) and the local sign-in link `npm start` prints. Same construction as the OAuth
// states of shared/identity/state.ts (a JWT signed with the app's key, shared/identity/signedToken.ts, here with
// `aud` "console" so neither kind passes as the other; a row consumed with an ETag-conditional delete), in the same
// table under their own row key, because these flows are bound to no tenant or feature.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../runtime.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { signingKey } from '../identity/state.js';
import { signToken, verifyToken } from '../identity/signedToken.js';
import { deleteEntity, insertEntity, readEntity, tableNames, type TableAccess } from '../storage/tables.js';

export type OneTimeKind = 'console-sign-in' | 'console-local';

interface OneTimeRow {
  kind: OneTimeKind;
  codeVerifier?: string;
  expiresAt: string;
}

export interface OneTimeDeps {
  secrets: SecretStore;
  tables: TableAccess;
  clock: Clock;
}

const RK = 'console';

export async function createOneTime(deps: OneTimeDeps, kind: OneTimeKind, ttlSeconds: number, data: { codeVerifier?: string } = {}): Promise<string> {
  const now = deps.clock.now();
  const expires = new Date(now.getTime() + ttlSeconds * 1000);
  const nonce = randomBytes(18).toString('base64url');
  const t = await deps.tables.table(tableNames.oauthStates);
  const row: OneTimeRow = { kind, expiresAt: expires.toISOString(), ...(data.codeVerifier ? { codeVerifier: data.codeVerifier } : {}) };
  if (!(await insertEntity(t, nonce, RK, row)).created) throw new Error('one-time token nonce collision');
  return signToken(await signingKey(deps.secrets), 'console', { jti: nonce, flow: kind }, now, expires);
}

export type OneTimeCheck = { ok: true; codeVerifier?: string } | { ok: false; reason: 'missing' | 'malformed' | 'bad-signature' | 'wrong-flow' | 'expired' | 'already-used' };

export async function consumeOneTime(deps: OneTimeDeps, kind: OneTimeKind, value: string | null | undefined): Promise<OneTimeCheck> {
  if (!value) return { ok: false, reason: 'missing' };
  const check = await verifyToken<{ jti?: unknown; flow?: unknown }>(await signingKey(deps.secrets), 'console', value, deps.clock.now());
  if (!check.ok && check.reason !== 'expired') return { ok: false, reason: check.reason === 'wrong-use' ? 'wrong-flow' : check.reason };
  const { jti: nonce, flow } = check.claims;
  if (typeof nonce !== 'string' || !nonce) return { ok: false, reason: 'malformed' };
  if (flow !== kind) return { ok: false, reason: 'wrong-flow' };
  const t = await deps.tables.table(tableNames.oauthStates);
  const row = await readEntity<OneTimeRow>(t, nonce, RK);
  if (!row || !(await deleteEntity(t, nonce, RK, row.etag))) return { ok: false, reason: 'already-used' };
  const now = deps.clock.now().getTime();
  // The row is consumed before expiry is judged (as before): an expired token's row goes too.
  if (!check.ok || Date.parse(row.expiresAt) < now) return { ok: false, reason: 'expired' };
  if (row.kind !== kind) return { ok: false, reason: 'wrong-flow' };
  return { ok: true, codeVerifier: row.codeVerifier };
}
