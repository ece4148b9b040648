// Graph's wire format, shared by every route of the fake: errors, OData bits, path matching.
import type { TestTokenClaims } from '../tokens.js';

/**
 * An error answered in Graph's shape (concepts/errors.md, json-batching.md):
 * `{ error: { code, message, innerError: { date, 'request-id', 'client-request-id' } } }`.
 * Thrown by route handlers; the server turns it into the response.
 */
export class GraphError extends Error {
  override name = 'GraphError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface GraphResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One call, as a route handler sees it (top-level or inside `$batch`). */
export interface GraphCall {
  method: string;
  /** Decoded path without `/v1.0`, e.g. `/chats/19:abc@thread.v2/members`. */
  path: string;
  /** Decoded path segments, with `users('x')` key syntax split into `users`, `x`. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  claims: TestTokenClaims;
  /** Named path parameters of the matched route. */
  params: Record<string, string>;
}

export function errorBody(code: string, message: string, requestId: string, clientRequestId: string) {
  return {
    error: {
      code,
      message,
      innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': clientRequestId },
    },
  };
}

/** Default error code per status where a handler gives none (codes from concepts/errors.md). */
export function defaultErrorCode(status: number): string {
  switch (status) {
    case 400: return 'BadRequest';
    case 401: return 'InvalidAuthenticationToken';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 412: return 'PreconditionFailed';
    case 429: return 'TooManyRequests';
    case 503: return 'serviceNotAvailable';
    case 504: return 'gatewayTimeout';
    default: return status >= 500 ? 'generalException' : 'BadRequest';
  }
}

/**
 * Splits a Graph path into decoded segments. `users('a@b.com')`, `users(userPrincipalName='a@b.com')` and
 * `chats('19:x@thread.v2')` become two segments, the way Graph treats key-in-parentheses addressing.
 */
export function pathSegments(path: string): string[] {
  const segments: string[] = [];
  for (const raw of path.split('/').filter(Boolean)) {
    const decoded = safeDecode(raw);
    const keyed = /^([A-Za-z$][\w.$]*)\((?:\w+=)?'(.*)'\)$/.exec(decoded);
    if (keyed?.[1] && keyed[2] !== undefined) segments.push(keyed[1], keyed[2].replace(/''/g, "'"));
    else segments.push(decoded);
  }
  return segments;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Matches a route pattern like `/chats/{chatId}/members/{membershipId}` against segments; returns the
 * parameters or undefined. Literal segments compare case-insensitively (Graph paths are case-insensitive).
 */
export function matchRoute(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const segment = segments[i] as string;
    const param = /^\{(\w+)\}$/.exec(part);
    if (param?.[1]) params[param[1]] = segment;
    else if (part.toLowerCase() !== segment.toLowerCase()) return undefined;
  }
  return params;
}

/**
 * A test's filter on paths (fault injection, counting). A RegExp is tested against the decoded path (without
 * `/v1.0` and query). A string matches the whole path segment by segment, where `*` or a `{name}` placeholder
 * matches one segment and a trailing `**` any rest: `'/chats'`, `'/chats/{id}/members'`, `'/solutions/**'`.
 */
export type PathPattern = string | RegExp;

export function pathMatches(pattern: PathPattern | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  if (pattern instanceof RegExp) return pattern.test(path);
  const want = pathSegments(pattern);
  const have = pathSegments(path);
  for (let i = 0; i < want.length; i++) {
    const part = want[i];
    if (part === '**') return true;
    if (i >= have.length) return false;
    const wildcard = part === '*' || /^\{\w*\}$/.test(part ?? '');
    if (!wildcard && part?.toLowerCase() !== have[i]?.toLowerCase()) return false;
  }
  return want.length === have.length;
}

/** Applies `$select` (comma-separated) to an object; without it returns `defaults` (or everything). */
export function select<T extends object>(entity: T, query: URLSearchParams, defaults?: readonly string[]): Record<string, unknown> {
  const selectParam = query.get('$select');
  const source = entity as unknown as Record<string, unknown>;
  const names = selectParam ? selectParam.split(',').map((s) => s.trim()).filter(Boolean) : defaults;
  if (!names) return { ...source };
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const key = Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase());
    out[key ?? name] = key ? source[key] : null;
  }
  return out;
}

/** Graph timestamps: ISO 8601 UTC with milliseconds and Z. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** True when the claims are app-only (client credentials). */
export function appOnly(claims: TestTokenClaims): boolean {
  return !claims.oid;
}

/** The key of an `x@odata.bind` URL: `https://graph.microsoft.com/v1.0/users('id')` or `.../users/id`. */
export function bindKey(url: unknown, entitySet: string): string | undefined {
  if (typeof url !== 'string') return undefined;
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // relative bind URL
  }
  const segments = pathSegments(path.replace(/^\/(v1\.0|beta)(?=\/)/, ''));
  const at = segments.findIndex((s) => s.toLowerCase() === entitySet.toLowerCase());
  return at >= 0 ? segments[at + 1] : undefined;
}
