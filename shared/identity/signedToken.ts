// The app's short signed values (OAuth states, self-link invitations) as compact JWS JWTs made with `jose`:
// HS256 with the app's signing key (./state.ts `signingKey`), `iss` this app, `aud` the one use the token was made
// for, `iat`, `exp`. The audience is what keeps a token of one use from being accepted as another (RFC 8725 §3.9
// "Use Explicit Typing" / §3.10 "Use Mutually Exclusive Validation Rules for Different Kinds of JWTs": one key,
// several kinds of token, so each verifier requires its own `aud`). Compact JWS is base64url segments joined by
// dots (RFC 7515 §7.1), so a token is safe in a query string as it is.
//
// Only HS256 is accepted on verification (`algorithms`), so neither `none` nor an algorithm switch gets through
// (RFC 8725 §3.1). The signature is checked before any claim is read; a verifier never trusts a claim of a token
// whose signature failed.
import { SignJWT, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';

/** `iss` of every token this app makes. */
export const tokenIssuer = 'jira-teams-bridge';

/** What a token is for: the `aud` it carries and the one its verifier requires. */
export type TokenUse = 'oauth-state' | 'self-link' | 'console';

export type TokenCheck<C> =
  | { ok: true; claims: C & JWTPayload }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'wrong-use' }
  /** Signed by this app for this use, but past `exp`: the claims are given so the caller can clean up after it. */
  | { ok: false; reason: 'expired'; claims: C & JWTPayload };

/** Signs `claims` for one use, valid from `now` until `expiresAt` (both taken from the caller's clock). */
export async function signToken(key: Uint8Array, use: TokenUse, claims: Record<string, unknown>, now: Date, expiresAt: Date): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(tokenIssuer)
    .setAudience(use)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key);
}

/** Verifies signature, issuer, audience and expiry (against `now`, the caller's clock). */
export async function verifyToken<C>(key: Uint8Array, use: TokenUse, value: string, now: Date): Promise<TokenCheck<C>> {
  try {
    const { payload } = await jwtVerify(value, key, {
      algorithms: ['HS256'],
      issuer: tokenIssuer,
      audience: use,
      requiredClaims: ['iat', 'exp'],
      currentDate: now,
    });
    return { ok: true, claims: payload as C & JWTPayload };
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'bad-signature' };
    // jose checks the signature before any claim, so a claim error means the token is this app's own.
    if (e instanceof errors.JWTExpired) return { ok: false, reason: 'expired', claims: e.payload as C & JWTPayload };
    if (e instanceof errors.JWTClaimValidationFailed && (e.claim === 'aud' || e.claim === 'iss')) return { ok: false, reason: 'wrong-use' };
    if (e instanceof errors.JOSEError) return { ok: false, reason: 'malformed' };
    throw e;
  }
}

/**
 * A claim of a token read WITHOUT verifying it, for routing only (which flow's handler verifies it); undefined when
 * the value is no JWT of this use.
 */
export function peekClaim(value: string | null | undefined, use: TokenUse, claim: string): unknown {
  if (!value) return undefined;
  try {
    const payload = decodeJwt(value);
    const aud = payload.aud;
    if (aud !== use && !(Array.isArray(aud) && aud.includes(use))) return undefined;
    return payload[claim];
  } catch {
    return undefined;
  }
}
