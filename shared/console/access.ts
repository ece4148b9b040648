// Who may call the console's API: a valid session cookie; for a state-changing call also a same-origin `Origin`
// header and the session's CSRF token in `x-csrf-token` (OWASP CSRF cheat sheet: "Verifying origin with standard
// headers" plus the synchronizer token pattern). A forged cross-site form or fetch fails the Origin check; a
// same-site attacker that could forge Origin still has no token, which only the console page can read.
import { timingSafeEqual } from 'node:crypto';
import { fail, type HttpOutcome } from '../http/outcome.js';
import { adminRole, readSession, type ConsoleSession, type SessionDeps } from './session.js';

export interface ConsoleAccessDeps extends SessionDeps {
  config: SessionDeps['config'] & { publicBaseUrl: string };
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function authorizeConsoleCall(
  deps: ConsoleAccessDeps,
  request: { method: string; headers: Record<string, string | undefined> },
): Promise<{ ok: true; session: ConsoleSession } | { ok: false; outcome: HttpOutcome }> {
  const session = await readSession(deps, request.headers.cookie);
  if (!session) return { ok: false, outcome: fail(401, 'not_signed_in', 'sign in to the console first (your session is missing or has expired)') };
  if (!session.roles.includes(adminRole)) return { ok: false, outcome: fail(403, 'not_allowed', `the ${adminRole} app role is required`) };
  if (!safeMethods.has(request.method.toUpperCase())) {
    const origin = request.headers.origin;
    const expected = new URL(deps.config.publicBaseUrl).origin;
    if (origin !== expected) {
      return { ok: false, outcome: fail(403, 'cross_site_request', `refused: the request's Origin (${origin ? JSON.stringify(origin.slice(0, 100)) : 'none'}) is not ${expected}`) };
    }
    const token = request.headers['x-csrf-token'] ?? '';
    const a = Buffer.from(token);
    const b = Buffer.from(session.csrf);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      return { ok: false, outcome: fail(403, 'csrf_token_invalid', 'refused: the x-csrf-token header is missing or does not belong to this session; reload the console') };
    }
  }
  return { ok: true, session };
}

/**
 * True when the request was made on this machine: the Host names the loopback interface and no proxy forwarded
 * it (a tunnel or App Service front end adds X-Forwarded-For / Forwarded). The local host listens on 127.0.0.1
 * only, so a request it serves came from this machine; the Host check also defeats DNS rebinding (an outside page
 * whose name resolves to 127.0.0.1 still sends its own name as Host).
 */
export function isLoopbackRequest(headers: Record<string, string | undefined>): boolean {
  if (headers['x-forwarded-for'] || headers.forwarded || headers['x-forwarded-host']) return false;
  const host = (headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}
