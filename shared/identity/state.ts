// OAuth `state` for the consent and sign-in redirects (DESIGN §6: signed, bound to the flow, single-use, expiring).
//
// The value sent to Entra is `v1.<nonce>.<expiry>.<kind>.<hmac>`: an HMAC-SHA256 over the other parts with a key
// kept in the secret store (generated on first use). The signature rejects tampering before any storage read; the
// `oauthStates` row (consumed with an ETag-conditional delete) makes it single-use and holds what the flow is bound
// to (tenant, feature, site, PKCE verifier), so nothing the browser carries back is trusted beyond the nonce.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../runtime.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { consumeOAuthState, saveOAuthState, type OAuthFlowKind, type OAuthStateRecord } from '../storage/oauthStates.js';
import type { TableAccess } from '../storage/tables.js';

export const stateSigningKeySecretName = 'oauth-state-signing-key';

interface StateDeps {
  secrets: SecretStore;
  tables: TableAccess;
  clock: Clock;
  config: { oauthStateTtlSeconds: number };
}

let keyCache: { store: SecretStore; key: Buffer } | undefined;

/** The app's HMAC key for short signed values (states, self-link invitations), kept in the secret store. */
export async function signingKey(secrets: SecretStore): Promise<Buffer> {
  if (keyCache?.store === secrets) return keyCache.key;
  let value = await secrets.get(stateSigningKeySecretName);
  if (!value) {
    await secrets.set(stateSigningKeySecretName, randomBytes(32).toString('base64'));
    // Read back: if two instances raced on first use, both continue with whichever write won.
    value = await secrets.get(stateSigningKeySecretName);
    if (!value) throw new Error('the OAuth state signing key could not be stored');
  }
  keyCache = { store: secrets, key: Buffer.from(value, 'base64') };
  return keyCache.key;
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export type NewState = Omit<OAuthStateRecord, 'kind' | 'createdAt' | 'expiresAt'>;

/** Creates and stores a state for one flow; returns the opaque value to put in the redirect. */
export async function createState(deps: StateDeps, kind: OAuthFlowKind, bound: NewState, ttlSeconds = deps.config.oauthStateTtlSeconds): Promise<string> {
  const now = deps.clock.now();
  const expires = new Date(now.getTime() + ttlSeconds * 1000);
  const nonce = randomBytes(18).toString('base64url');
  await saveOAuthState(deps.tables, nonce, { ...bound, kind, createdAt: now.toISOString(), expiresAt: expires.toISOString() });
  const payload = `v1.${nonce}.${Math.floor(expires.getTime() / 1000)}.${kind}`;
  return `${payload}.${sign(await signingKey(deps.secrets), payload)}`;
}

export type StateCheck =
  | { ok: true; record: OAuthStateRecord }
  | { ok: false; reason: 'missing' | 'malformed' | 'bad-signature' | 'wrong-flow' | 'expired' | 'already-used' };

/** Verifies signature, flow and expiry, then consumes the stored state; a second call with the same value fails. */
export async function consumeState(deps: StateDeps, kind: OAuthFlowKind, value: string | null | undefined): Promise<StateCheck> {
  if (!value) return { ok: false, reason: 'missing' };
  const parts = value.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1') return { ok: false, reason: 'malformed' };
  const [, nonce, exp, stateKind, mac] = parts as [string, string, string, string, string];
  const expected = Buffer.from(sign(await signingKey(deps.secrets), parts.slice(0, 4).join('.')));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  if (stateKind !== kind) return { ok: false, reason: 'wrong-flow' };
  const nowSeconds = deps.clock.now().getTime() / 1000;
  if (!/^\d+$/.test(exp) || Number(exp) < nowSeconds) {
    // Expired: remove the row too, so it cannot be used later with a manipulated clock.
    await consumeOAuthState(deps.tables, nonce);
    return { ok: false, reason: 'expired' };
  }
  const record = await consumeOAuthState(deps.tables, nonce);
  if (!record) return { ok: false, reason: 'already-used' };
  if (record.kind !== kind) return { ok: false, reason: 'wrong-flow' };
  if (Date.parse(record.expiresAt) < deps.clock.now().getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, record };
}

/** What to tell the person in the browser for each rejected state. */
export function describeStateFailure(reason: Exclude<StateCheck, { ok: true }>['reason']): string {
  switch (reason) {
    case 'missing':
      return 'The response from Microsoft carried no state. Start again from the link you were given.';
    case 'expired':
      return 'This link has expired. Ask for a new link and finish within the time allowed.';
    case 'already-used':
      return 'This link was already used. Each link works once; ask for a new one if you need to repeat the step.';
    default:
      return 'The response could not be verified (the state was altered or belongs to another flow). Start again from the link you were given.';
  }
}

/** Tests only: forget the cached signing key. */
export function resetStateKeyCache(): void {
  keyCache = undefined;
}
