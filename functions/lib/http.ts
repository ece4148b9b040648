// The only place that converts between @azure/functions HTTP types and the app's plain request/outcome values, so
// shared/ stays free of the Functions library.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { HttpOutcome, RawRequest } from '../../shared/http/outcome.js';
import { ConfigError } from '../../shared/config.js';
import { ensureError } from '../../shared/errors.js';
import { createLogger, invocationSink } from '../../shared/log.js';

const log = createLogger(invocationSink);

export async function toRawRequest(request: HttpRequest): Promise<RawRequest> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
  const query: Record<string, string> = {};
  request.query.forEach((value, name) => (query[name] ??= value));
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : Buffer.alloc(0);
  return { method: request.method.toUpperCase(), headers, query, params: { ...request.params }, body };
}

/** The one mapping from the app's HttpOutcome to the Functions response. */
export function toResponse(outcome: HttpOutcome): HttpResponseInit {
  const headers: Record<string, string> = { ...outcome.headers };
  const cookies = outcome.cookies?.length ? { cookies: outcome.cookies.map((c) => ({ ...c })) } : {};
  if (outcome.body === undefined) return { status: outcome.status, headers, ...cookies };
  if (typeof outcome.body === 'string') {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    return { status: outcome.status, headers, body: outcome.body, ...cookies };
  }
  if (outcome.body instanceof Uint8Array) {
    headers['content-type'] ??= 'application/octet-stream';
    return { status: outcome.status, headers, body: outcome.body, ...cookies };
  }
  headers['content-type'] ??= 'application/json; charset=utf-8';
  return { status: outcome.status, headers, body: JSON.stringify(outcome.body), ...cookies };
}

/**
 * Runs a handler and never lets an unexpected error become a bare 500 with a stack: it is logged with the
 * invocation id and answered 500 `internal_error` (bad input never reaches here; it is a 4xx value).
 */
export async function answer(context: InvocationContext, run: () => Promise<HttpOutcome>): Promise<HttpResponseInit> {
  try {
    return toResponse(await run());
  } catch (e) {
    if (e instanceof ConfigError) {
      // The app refused its configuration: say which setting (never its value), as /api/health does.
      context.error(JSON.stringify({ level: 'error', event: 'config.refused', invocationId: context.invocationId, setting: e.setting, message: e.message }));
      return toResponse({ status: 503, body: { error: { code: 'configuration_error', message: e.message } } });
    }
    const error = ensureError(e);
    log.error('http.unhandled', { error: error.name, message: error.message });
    return toResponse({ status: 500, body: { error: { code: 'internal_error', message: `unexpected error; see logs for invocation ${context.invocationId}` } } });
  }
}

/** Every method, so the app (not the host) answers 405 with an Allow header for the wrong one. */
export const allMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
