// Jira admin webhooks with a secret carry `X-Hub-Signature: sha256=<hex>`, an HMAC-SHA256 of the raw body
// (https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks). jira.js 6.2 ships no
// webhook verifier, so this mirrors octokit/webhooks.js: verify the raw bytes before parsing, compare in constant
// time, and accept a second secret so an admin can rotate without dropping deliveries.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'x-hub-signature';

export function signBody(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** True when `header` is a valid signature of `rawBody` under any of `secrets` (current first, then previous). */
export function verifySignature(header: string | undefined, rawBody: Buffer, secrets: readonly string[]): boolean {
  if (!header) return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!.toLowerCase(), 'hex');
  let valid = false;
  // Check every secret even after a match so the time taken does not tell which one matched.
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    if (timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

/** Constant-time comparison of two tokens of possibly different length (Automation bearer tokens). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHmac('sha256', 'token-compare').update(given).digest();
  const b = createHmac('sha256', 'token-compare').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}
