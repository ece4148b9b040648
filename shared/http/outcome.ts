// What the HTTP edge answers, as a value: handlers in functions/ map it to an HttpResponseInit unchanged. A
// validation failure is a value, not an exception (STYLE "Errors"); the JSON body names what is wrong.

export interface HttpOutcome {
  status: number;
  /** A string is sent as text, bytes (a Buffer) as they are, anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Set-Cookie, in the shape the Functions host writes (the console's session). */
  cookies?: HttpCookie[];
}

/** A cookie to set (the fields of @azure/functions `Cookie` the app uses; shared/ stays free of that library). */
export interface HttpCookie {
  name: string;
  value: string;
  path?: string;
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
}

export function ok(body: unknown, status = 200, headers?: Record<string, string>): HttpOutcome {
  return { status, body, headers };
}

export function fail(status: number, code: string, message: string, headers?: Record<string, string>): HttpOutcome {
  return { status, body: { error: { code, message } }, headers };
}

/**
 * A validation failure as a value (STYLE "Errors"), before it is an answer: parsers that more than one edge uses
 * (a query parameter here, a body field there) return it, and `invalid` makes it the HTTP answer.
 */
export type Invalid = { ok: false; status: number; code: string; message: string };

export function invalid(value: Invalid): HttpOutcome {
  return fail(value.status, value.code, value.message);
}

/** A 302 to `location`; never cached (the links carry one-time state). */
export function redirect(location: string, headers: Record<string, string> = {}): HttpOutcome {
  return { status: 302, headers: { location, 'cache-control': 'no-store', ...headers } };
}

export function methodNotAllowed(allowed: readonly string[]): HttpOutcome {
  return fail(405, 'method_not_allowed', `use ${allowed.join(' or ')}`, { Allow: allowed.join(', ') });
}

export interface RawRequest {
  method: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  params: Record<string, string | undefined>;
  body: Buffer;
}

/** Content-Type check shared by the JSON endpoints: 415 names what was sent. */
export function requireJson(request: RawRequest): HttpOutcome | undefined {
  const type = request.headers['content-type'];
  if (!type) return fail(415, 'unsupported_media_type', 'Content-Type header is missing; send application/json');
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    return fail(415, 'unsupported_media_type', `Content-Type ${JSON.stringify(type.slice(0, 80))} is not JSON; send application/json`);
  }
  return undefined;
}

export function parseJson(request: RawRequest): { ok: true; value: unknown } | { ok: false; outcome: HttpOutcome } {
  if (request.body.length === 0) return { ok: false, outcome: fail(400, 'empty_body', 'the request body is empty') };
  try {
    return { ok: true, value: JSON.parse(request.body.toString('utf8')) };
  } catch (e) {
    const detail = e instanceof Error ? e.message.slice(0, 120) : 'invalid JSON';
    return { ok: false, outcome: fail(400, 'malformed_json', `the body is not valid JSON: ${detail}`) };
  }
}

export function bodyTooLarge(request: RawRequest, maxBytes: number): HttpOutcome | undefined {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (request.body.length > maxBytes || (Number.isFinite(declared) && declared > maxBytes)) {
    return fail(413, 'body_too_large', `the body is larger than the limit of ${maxBytes} bytes (JIRA_MAX_BODY_BYTES)`);
  }
  return undefined;
}

/**
 * A body-less POST where a body is required. On Azure Functions the body reaches the app only when the request
 * has `Content-Length > 0`; a `Transfer-Encoding: chunked` body arrives empty (Azure/azure-functions-host
 * GrpcMessageConversionExtensions.cs; azure-functions-nodejs-library issue 171). Said plainly here, because the
 * signature or token check that would run next would otherwise answer a misleading 401.
 */
export function requireBody(request: RawRequest): HttpOutcome | undefined {
  if (request.body.length > 0) return undefined;
  const declared = request.headers['content-length'];
  const chunked = /chunked/i.test(request.headers['transfer-encoding'] ?? '');
  if (chunked || declared === undefined) {
    return fail(411, 'body_required', 'the request arrived without a body: send it with a Content-Length header; a chunked (Transfer-Encoding: chunked) body reaches Azure Functions empty');
  }
  return fail(400, 'empty_body', 'the request body is empty (Content-Length: 0)');
}
