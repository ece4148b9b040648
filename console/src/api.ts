// Calls the admin API through the console's own route (/api/console/api/<manage route>): the session cookie goes
// along by itself (same origin); changes carry the CSRF token the session endpoint handed out. Every failure is
// turned into words: the API's own message, with its status and code.

export interface Session {
  name: string;
  via: 'entra' | 'local';
  csrfToken: string;
  expiresAt: string;
  publicBaseUrl: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';

export async function loadSession(): Promise<Session | undefined> {
  const r = await fetch('/api/console/session', { credentials: 'same-origin', cache: 'no-store' });
  if (r.status === 401) return undefined;
  if (!r.ok) throw new ApiError(r.status, 'session', `the console session could not be read (HTTP ${r.status})`);
  const s = (await r.json()) as Session;
  csrfToken = s.csrfToken;
  return s;
}

/** `alsoOk`: statuses whose body is an answer, not an error (health answers 503 with its report when degraded). */
export async function api<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json', alsoOk: readonly number[] = []): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let r: Response;
  try {
    r = await fetch(`/api/console/api/${path}`, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'the app could not be reached; check that it is running');
  }
  const text = await r.text();
  let data: any = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (r.status === 401) {
    location.assign('/api/console/sign-in');
    throw new ApiError(401, 'not_signed_in', 'your session has ended; sign in again');
  }
  if (!r.ok && !alsoOk.includes(r.status)) {
    const e = data?.error;
    throw new ApiError(r.status, e?.code ?? 'http_error', e?.message ?? `the app answered HTTP ${r.status}`);
  }
  return data as T;
}

/** Words for an error shown to the admin. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.status ? `${e.message} (HTTP ${e.status}, ${e.code})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

export async function signOut(): Promise<void> {
  await fetch('/api/console/sign-out', { method: 'POST', headers: { 'x-csrf-token': csrfToken }, credentials: 'same-origin' });
  location.assign('/api/console/sign-in');
}
