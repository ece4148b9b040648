// The console's session: a short-lived cookie holding an encrypted JWT (JWE, `dir` + A256GCM, made with `jose`).
// AES-GCM is authenticated encryption, so the cookie is both unreadable and tamper-evident without a second
// signature (RFC 7516 §5.2, RFC 7518 §5.3). The key lives in the secret store (Key Vault in Azure), generated on
// first use, so every instance of the app reads the same one and nothing about it is in app settings.
//
// The cookie is HttpOnly (no script reads it), Secure, SameSite=Lax and `__Host-` prefixed (no Domain, Path=/:
// the browser refuses it from any other origin; RFC 6265bis §4.1.3.2). Lax and not Strict: the first request after
// Microsoft's sign-in redirect is a cross-site navigation and a Strict cookie would not be sent with it. State-
// changing calls do not rely on SameSite alone: they need the Origin check and the CSRF token (./access.ts).
import { randomBytes } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import type { Clock } from '../runtime.js';
import type { SecretStore } from '../secrets/secretStore.js';

export const sessionCookieName = '__Host-bridge-console';
export const sessionKeySecretName = 'console-session-key';
/** The app role an admin needs (bicep/modules/entraApp.bicep defines it on the app registration). */
export const adminRole = 'Bridge.Admin';

export interface ConsoleSession {
  /** Entra object id, or `local` for the one-time local sign-in. */
  sub: string;
  name: string;
  roles: string[];
  /** Sent back by the page in `x-csrf-token` with every state-changing call. */
  csrf: string;
  via: 'entra' | 'local';
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export interface SessionDeps {
  secrets: SecretStore;
  clock: Clock;
  config: { console: { sessionMinutes: number } };
}

export interface OutcomeCookie {
  name: string;
  value: string;
  maxAge: number;
  path: string;
  httpOnly: true;
  secure: true;
  sameSite: 'Lax';
}

let keyCache: { store: SecretStore; key: Uint8Array } | undefined;

async function sessionKey(secrets: SecretStore): Promise<Uint8Array> {
  if (keyCache?.store === secrets) return keyCache.key;
  let value = await secrets.get(sessionKeySecretName);
  if (!value) {
    await secrets.set(sessionKeySecretName, randomBytes(32).toString('base64'));
    // Read back: two instances racing on first use both continue with whichever write won.
    value = await secrets.get(sessionKeySecretName);
    if (!value) throw new Error('the console session key could not be stored');
  }
  keyCache = { store: secrets, key: new Uint8Array(Buffer.from(value, 'base64')) };
  return keyCache.key;
}

/** A new session cookie for a signed-in admin (a fresh CSRF token with it). */
export async function createSessionCookie(
  deps: SessionDeps,
  who: Pick<ConsoleSession, 'sub' | 'name' | 'roles' | 'via'>,
): Promise<{ cookie: OutcomeCookie; session: ConsoleSession }> {
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  const maxAge = deps.config.console.sessionMinutes * 60;
  const session: ConsoleSession = { ...who, csrf: randomBytes(24).toString('base64url'), exp: now + maxAge };
  const { exp: _exp, ...claims } = session;
  const jwe = await new EncryptJWT({ ...claims })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + maxAge)
    .encrypt(await sessionKey(deps.secrets));
  return { cookie: { name: sessionCookieName, value: jwe, maxAge, path: '/', httpOnly: true, secure: true, sameSite: 'Lax' }, session };
}

/** A cookie that removes the session (sign-out). */
export function clearedSessionCookie(): OutcomeCookie {
  return { name: sessionCookieName, value: '', maxAge: 0, path: '/', httpOnly: true, secure: true, sameSite: 'Lax' };
}

/** The session in the request's Cookie header, or undefined when there is none or it is expired or forged. */
export async function readSession(deps: SessionDeps, cookieHeader: string | undefined): Promise<ConsoleSession | undefined> {
  const value = readCookie(cookieHeader, sessionCookieName);
  if (!value) return undefined;
  try {
    const { payload } = await jwtDecrypt(value, await sessionKey(deps.secrets), {
      currentDate: deps.clock.now(),
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const { sub, name, roles, csrf, via, exp } = payload as Partial<ConsoleSession>;
    if (typeof sub !== 'string' || typeof csrf !== 'string' || !Array.isArray(roles) || (via !== 'entra' && via !== 'local') || typeof exp !== 'number') return undefined;
    return { sub, name: typeof name === 'string' ? name : sub, roles: roles.filter((r): r is string => typeof r === 'string'), csrf, via, exp };
  } catch {
    // Expired, tampered with, or made with another key: the same as no session.
    return undefined;
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Tests only: forget the cached key. */
export function resetSessionKeyCache(): void {
  keyCache = undefined;
}
