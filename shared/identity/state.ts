// OAuth `state` for the consent and sign-in redirects (DESIGN §6: signed, bound to the flow, single-use, expiring).
//
// The value sent to Entra is a compact JWS JWT (./signedToken.ts: HS256 with a key kept in the secret store,
// generated on first use; `aud` "oauth-state", so no other token of this app passes as a state) whose claims are a
// random nonce (`jti`), the flow (`flow`) and the expiry. The signature rejects tampering before any storage read;
// the `oauthStates` row (consumed with an ETag-conditional delete) makes it single-use and holds what the flow is
// bound to (tenant, feature, site, PKCE verifier), so nothing the browser carries back is trusted beyond the nonce.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../runtime.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { consumeOAuthState, saveOAuthState, type OAuthFlowKind, type OAuthStateRecord } from '../storage/oauthStates.js';
import type { TableAccess } from '../storage/tables.js';
import { peekClaim, signToken, verifyToken } from './signedToken.js';

export const stateSigningKeySecretName = 'oauth-state-signing-key';

interface StateDeps {
  secrets: SecretStore;
  tables: TableAccess;
  clock: Clock;
  config: { oauthStateTtlSeconds: number };
}

let keyCache: { store: SecretStore; key: Uint8Array } | undefined;

/** The app's HS256 key for short signed values (states, self-link invitations), kept in the secret store. */
export async function signingKey(secrets: SecretStore): Promise<Uint8Array> {
  if (keyCache?.store === secrets) return keyCache.key;
  let value = await secrets.get(stateSigningKeySecretName);
  if (!value) {
    await secrets.set(stateSigningKeySecretName, randomBytes(32).toString('base64'));
    // Read back: if two instances raced on first use, both continue with whichever write won.
    value = await secrets.get(stateSigningKeySecretName);
    if (!value) throw new Error('the OAuth state signing key could not be stored');
  }
  keyCache = { store: secrets, key: new Uint8Array(Buffer.from(value, 'base64')) };
  return keyCache.key;
}

export type NewState = Omit<OAuthStateRecord, 'kind' | 'createdAt' | 'expiresAt'>;

/** Creates and stores a state for one flow; returns the opaque value to put in the redirect. */
export async function createState(deps: StateDeps, kind: OAuthFlowKind, bound: NewState, ttlSeconds = deps.config.oauthStateTtlSeconds): Promise<string> {
  const now = deps.clock.now();
  const expires = new Date(now.getTime() + ttlSeconds * 1000);
  const nonce = randomBytes(18).toString('base64url');
  await saveOAuthState(deps.tables, nonce, { ...bound, kind, createdAt: now.toISOString(), expiresAt: expires.toISOString() });
  return signToken(await signingKey(deps.secrets), 'oauth-state', { jti: nonce, flow: kind } satisfies StateClaims, now, expires);
}

interface StateClaims {
  jti: string;
  flow: OAuthFlowKind;
}

/** The flow a state names, read WITHOUT verifying it: only to pick the handler, which then verifies. */
export function stateFlow(value: string | null | undefined): string | undefined {
  const flow = peekClaim(value, 'oauth-state', 'flow');
  return typeof flow === 'string' ? flow : undefined;
}

export type StateCheck =
  | { ok: true; record: OAuthStateRecord }
  | { ok: false; reason: 'missing' | 'malformed' | 'bad-signature' | 'wrong-flow' | 'expired' | 'already-used' };

/** Verifies signature, flow and expiry, then consumes the stored state; a second call with the same value fails. */
export async function consumeState(deps: StateDeps, kind: OAuthFlowKind, value: string | null | undefined): Promise<StateCheck> {
  if (!value) return { ok: false, reason: 'missing' };
  const check = await verifyToken<Partial<StateClaims>>(await signingKey(deps.secrets), 'oauth-state', value, deps.clock.now());
  if (!check.ok && check.reason !== 'expired') return { ok: false, reason: check.reason === 'wrong-use' ? 'wrong-flow' : check.reason };
  const { jti: nonce, flow } = check.claims;
  if (typeof nonce !== 'string' || !nonce) return { ok: false, reason: 'malformed' };
  if (flow !== kind) return { ok: false, reason: 'wrong-flow' };
  if (!check.ok) {
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
