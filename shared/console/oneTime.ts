// One-time, expiring, signed tokens for the console's own flows: the `state` of an admin's Entra sign-in (holding
// the PKCE verifier server-side) and the local sign-in link `npm start` prints. Same construction as the OAuth
// states of shared/identity/state.ts (HMAC with the app's signing key, a row consumed with an ETag-conditional
// delete), in the same table under their own row key, because these flows are bound to no tenant or feature.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../runtime.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { signingKey } from '../identity/state.js';
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

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export async function createOneTime(deps: OneTimeDeps, kind: OneTimeKind, ttlSeconds: number, data: { codeVerifier?: string } = {}): Promise<string> {
  const expires = new Date(deps.clock.now().getTime() + ttlSeconds * 1000);
  const nonce = randomBytes(18).toString('base64url');
  const t = await deps.tables.table(tableNames.oauthStates);
  const row: OneTimeRow = { kind, expiresAt: expires.toISOString(), ...(data.codeVerifier ? { codeVerifier: data.codeVerifier } : {}) };
  if (!(await insertEntity(t, nonce, RK, row)).created) throw new Error('one-time token nonce collision');
  const payload = `c1.${nonce}.${Math.floor(expires.getTime() / 1000)}.${kind}`;
  return `${payload}.${mac(await signingKey(deps.secrets), payload)}`;
}

export type OneTimeCheck = { ok: true; codeVerifier?: string } | { ok: false; reason: 'missing' | 'malformed' | 'bad-signature' | 'wrong-flow' | 'expired' | 'already-used' };

export async function consumeOneTime(deps: OneTimeDeps, kind: OneTimeKind, value: string | null | undefined): Promise<OneTimeCheck> {
  if (!value) return { ok: false, reason: 'missing' };
  const parts = value.split('.');
  if (parts.length !== 5 || parts[0] !== 'c1') return { ok: false, reason: 'malformed' };
  const [, nonce, exp, tokenKind, given] = parts as [string, string, string, string, string];
  const expected = Buffer.from(mac(await signingKey(deps.secrets), parts.slice(0, 4).join('.')));
  if (Buffer.byteLength(given) !== expected.length || !timingSafeEqual(Buffer.from(given), expected)) return { ok: false, reason: 'bad-signature' };
  if (tokenKind !== kind) return { ok: false, reason: 'wrong-flow' };
  const t = await deps.tables.table(tableNames.oauthStates);
  const row = await readEntity<OneTimeRow>(t, nonce, RK);
  if (!row || !(await deleteEntity(t, nonce, RK, row.etag))) return { ok: false, reason: 'already-used' };
  const now = deps.clock.now().getTime();
  if (!/^\d+$/.test(exp) || Number(exp) * 1000 < now || Date.parse(row.expiresAt) < now) return { ok: false, reason: 'expired' };
  if (row.kind !== kind) return { ok: false, reason: 'wrong-flow' };
  return { ok: true, codeVerifier: row.codeVerifier };
}
