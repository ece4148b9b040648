// Access tokens shared by the fake Entra authority (which mints them) and the fake Graph (which reads them), so both
// sides agree on the claims. They are JWT-shaped — `base64url(header).base64url(payload).x` — but unsigned: the
// app must never read or validate Graph tokens ("Don't attempt to validate or read tokens for any API you don't
// own", Entra docs), so the fakes are the only readers and a signature would add nothing.
import { randomUUID } from 'node:crypto';

/** The claims the fakes act on; any other claim is carried along as is. Names as in Entra v1 access tokens. */
export interface TestTokenClaims {
  /** Tenant id. */
  tid: string;
  /** Object id of the signed-in user; absent for app-only (client credentials) tokens. */
  oid?: string;
  /** Delegated scopes, space-separated (`'Chat.Create ChatMessage.Send'`). */
  scp?: string;
  /** Application permissions (`['Chat.Create']`), app-only tokens. */
  roles?: string[];
  /** Client id of the app the token was issued to. */
  appid?: string;
  /** Expiry, seconds since the epoch (default: an hour from now). */
  exp?: number;
  [claim: string]: unknown;
}

export const DEFAULT_TEST_APP_ID = '11111111-2222-3333-4444-555555555555';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Mints an unsigned JWT-shaped token. `aud`, `iss`, `iat`, `nbf`, `exp`, `ver`, `uti` and `appid` get realistic
 * defaults unless given.
 *
 *   makeTestToken({ tid, oid: serviceUserId, scp: 'Chat.Create ChatMessage.Send' })   // delegated
 *   makeTestToken({ tid, roles: ['OnlineMeetings.ReadWrite.All'] })                   // app-only
 */
export function makeTestToken(claims: TestTokenClaims): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    aud: 'https://graph.microsoft.com',
    iss: `https://sts.windows.net/${claims.tid}/`,
    iat: now,
    nbf: now,
    exp: now + 3600,
    ver: '1.0',
    uti: randomUUID(),
    appid: DEFAULT_TEST_APP_ID,
    idtyp: claims.oid ? 'user' : 'app',
    ...claims,
  };
  return `${encode({ typ: 'JWT', alg: 'none' })}.${encode(payload)}.x`;
}

/** Decodes a token made by `makeTestToken`; `undefined` if it is not one (wrong shape, no `tid`). */
export function readTestToken(token: string): TestTokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof payload !== 'object' || payload === null || typeof (payload as { tid?: unknown }).tid !== 'string') {
      return undefined;
    }
    return payload as TestTokenClaims;
  } catch {
    return undefined;
  }
}

/** True for app-only tokens (no user). */
export function isAppOnly(claims: TestTokenClaims): boolean {
  return !claims.oid;
}

/** The token's permissions: delegated scopes or application roles. */
export function tokenPermissions(claims: TestTokenClaims): string[] {
  if (claims.roles?.length) return [...claims.roles];
  return (claims.scp ?? '').split(' ').filter(Boolean);
}
