// Forging the app's signed tokens (shared/identity/signedToken.ts) the way an attacker could: change a claim and
// re-encode the payload but keep the original signature, or sign with a key of one's own. Verifiers must refuse both.
import { SignJWT, decodeJwt } from 'jose';

/** The token with its payload's claims changed by `change`, header and signature kept. */
export function withChangedClaims(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, , signature] = token.split('.');
  const claims = decodeJwt(token) as Record<string, unknown>;
  change(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

/** The same claims, signed HS256 with another key (another deployment, or a guess). */
export async function resignedWithOtherKey(token: string, key: Uint8Array = new Uint8Array(32).fill(7)): Promise<string> {
  return new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: 'HS256' }).sign(key);
}
