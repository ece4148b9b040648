// Local stand-in for the Azure Functions host: HTTP trigger routing and the RPC request/response conversion.
//
// Routes follow the host's ASP.NET-style templates (https://learn.microsoft.com/azure/azure-functions/
// functions-bindings-http-webhook-trigger#customize-the-http-endpoint): literal segments match case-insensitively,
// `{name}` takes one segment, `{name?}` is optional, `{name:constraint}` is accepted (constraint ignored except
// `int`/`alpha`), `{*rest}` takes the remainder. A method not in `methods` is not a match (404), like the host.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionInfo, RpcHttp, RpcHttpCookie, RpcTypedData } from './core.js';

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: string;
}

export interface Route {
  fn: FunctionInfo;
  segments: Segment[];
}

export function compileRoute(fn: FunctionInfo): Route {
  const template = (fn.route ?? fn.name).replace(/^\/+|\/+$/g, '');
  const segments = template === '' ? [] : template.split('/').map(parseSegment);
  return { fn, segments };
}

function parseSegment(text: string): Segment {
  const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([^}?]+))?(\?)?\}$/.exec(text);
  if (!m) return { literal: text.toLowerCase() };
  return { param: m[2], catchAll: m[1] === '*', constraint: m[3], optional: m[4] === '?' };
}

/**
 * Route params if `path` (already decoded by `requestPath`, without the prefix, no leading slash) matches, else
 * undefined. Values are not decoded again: ASP.NET routing matches the decoded path.
 */
export function matchRoute(route: Route, path: string): Record<string, string> | undefined {
  const parts = path === '' ? [] : path.split('/');
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    if (seg.catchAll) {
      const rest = parts.slice(i).join('/');
      if (rest !== '') params[seg.param!] = rest;
      else if (!seg.optional) return undefined;
      i = parts.length;
      continue;
    }
    const part = parts[i];
    if (part === undefined || part === '') {
      if (seg.optional) continue;
      return undefined;
    }
    if (seg.literal !== undefined) {
      if (part.toLowerCase() !== seg.literal) return undefined;
    } else {
      if (seg.constraint === 'int' && !/^-?\d+$/.test(part)) return undefined;
      if (seg.constraint === 'alpha' && !/^[A-Za-z]+$/.test(part)) return undefined;
      params[seg.param!] = part;
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}

/**
 * The request path as the real host's web server, Kestrel, hands it to routing (dotnet/aspnetcore
 * src/Servers/Kestrel/Core/src/Internal/Http/PathNormalizer.cs `DecodePath`, src/Shared/UrlDecoder/UrlDecoder.cs):
 * percent-escapes are decoded first, except `%2F` (which stays `%2F`, so it never becomes a separator); an escape
 * that is not two hex digits, or bytes that are not valid UTF-8, are kept as they were written (no error); `%00`
 * is refused (Kestrel answers 400). Then dot segments are removed as RFC 3986 §5.2.4 says (`/a/../b` → `/b`, also
 * when written `%2e%2e`), never above the root. So `/api/jira/../manage/sites` is `/api/manage/sites`, and the
 * caller reaches exactly the route that path names, with that route's key check.
 */
export function requestPath(rawTarget: string): { path: string } | { error: string } {
  let target = rawTarget;
  // Absolute-form targets (RFC 9112 §3.2.2) carry scheme and authority before the path.
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  const raw = target.split('?')[0]!.split('#')[0]!;
  if (!raw.startsWith('/')) return { error: 'The request target is not an absolute path.' };
  const bytes = Buffer.from(raw, 'latin1');
  const out: number[] = [];
  const hex = (c: number | undefined) =>
    c === undefined ? -1 : c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
  const escaped = (at: number) => {
    if (bytes[at] !== 0x25) return -1;
    const a = hex(bytes[at + 1]);
    const b = hex(bytes[at + 2]);
    if (a < 0 || b < 0 || (a === 2 && b === 15)) return -1; // not an escape, or %2F (kept)
    return a * 16 + b;
  };
  for (let i = 0; i < bytes.length; ) {
    const first = escaped(i);
    if (first < 0) {
      out.push(bytes[i]!);
      i++;
      continue;
    }
    if (first === 0) return { error: 'The path contains null characters.' };
    const length = first < 0x80 ? 1 : (first & 0xe0) === 0xc0 ? 2 : (first & 0xf0) === 0xe0 ? 3 : (first & 0xf8) === 0xf0 ? 4 : 0;
    const sequence = [first];
    for (let k = 1; k < length; k++) {
      const next = escaped(i + 3 * k);
      if (next < 0 || (next & 0xc0) !== 0x80) break;
      sequence.push(next);
    }
    const valid = length > 0 && sequence.length === length && isStrictUtf8(sequence);
    if (valid) {
      out.push(...sequence);
      i += 3 * length;
    } else {
      // Kestrel copies an escape it cannot decode as written and goes on after the '%'.
      out.push(bytes[i]!);
      i++;
    }
  }
  const decoded = Buffer.from(out).toString('utf8');
  return { path: removeDotSegments(decoded) };
}

function isStrictUtf8(sequence: number[]): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(sequence));
    return true;
  } catch {
    return false;
  }
}

/** RFC 3986 §5.2.4 on an absolute path, as Kestrel's PathNormalizer.RemoveDotSegments does it. */
export function removeDotSegments(path: string): string {
  const input = path.split('/').slice(1);
  const output: string[] = [];
  input.forEach((segment, index) => {
    const last = index === input.length - 1;
    if (segment === '.') {
      if (last) output.push('');
    } else if (segment === '..') {
      output.pop();
      if (last) output.push('');
    } else {
      output.push(segment);
    }
  });
  return '/' + output.join('/');
}

/** Picks the route: literal segments beat parameters (ASP.NET's route precedence), then longer templates. */
export function findRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  const score = (r: Route) => r.segments.map((s) => (s.literal !== undefined ? '0' : s.catchAll ? '2' : '1')).join('');
  const candidates = routes
    .filter((r) => (r.fn.methods ?? []).includes(method))
    .map((route) => ({ route, params: matchRoute(route, path) }))
    .filter((c): c is { route: Route; params: Record<string, string> } => c.params !== undefined)
    .sort((a, b) => score(a.route).localeCompare(score(b.route)));
  return candidates[0];
}

/**
 * The body the worker gets. The real host forwards a request body only when the request has `Content-Length > 0`;
 * a `Transfer-Encoding: chunked` body reaches the function empty (Azure/azure-functions-host
 * src/WebJobs.Script.Grpc/MessageExtensions/GrpcMessageConversionExtensions.cs, ~l. 209; azure-functions-nodejs-library
 * issue 171; host issue 4926). The bytes are still read, so the connection stays usable.
 */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const length = Number(req.headers['content-length'] ?? '0');
  if (!(length > 0)) return Buffer.alloc(0);
  return Buffer.concat(chunks);
}

/**
 * `authLevel: 'function'` (and `admin`) routes need a key in `x-functions-key` or `?code=`, else the host answers
 * 401 before the worker runs (Microsoft Learn, "Azure Functions HTTP trigger", "Authorization level" and "API key
 * authorization"). The local host has one key, which stands for every function and host key.
 */
export function authorized(authLevel: string | undefined, req: IncomingMessage, url: URL, key: string): boolean {
  if (!authLevel || authLevel.toLowerCase() === 'anonymous') return true;
  const header = req.headers['x-functions-key'];
  const given = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The RPC `http` typed data the host sends for a request (non-streaming mode; body as bytes, binary-safe). */
export function toRpcRequest(req: IncomingMessage, url: URL, params: Record<string, string>, body: Buffer): RpcTypedData {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // `query` is left out on purpose: the library then reads it from the URL, which keeps repeated keys.
  const http: RpcHttp = { method: req.method ?? 'GET', url: url.href, headers, params };
  if (body.length > 0) http.body = { bytes: body };
  return { http };
}

/** Writes the library's RPC response (`returnValue.http`) to the socket. */
export function writeRpcResponse(res: ServerResponse, returnValue: RpcTypedData | null | undefined): void {
  const http = returnValue?.http;
  if (!http) {
    // The handler returned nothing. Assumption (not verified against the real host): 204 No Content. App
    // handlers always return a response, so this only shapes the fixture's behaviour.
    res.writeHead(204).end();
    return;
  }
  const status = Number(http.statusCode ?? 200);
  const headers: Record<string, string | string[]> = { ...(http.headers ?? {}) };
  const cookies = (http.cookies ?? []).map(formatCookie);
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = toBuffer(http.body);
  res.writeHead(status, headers);
  res.end(body);
}

function toBuffer(data: RpcTypedData | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength);
  if (data.string !== undefined) return Buffer.from(data.string);
  if (data.json !== undefined) return Buffer.from(data.json);
  return Buffer.alloc(0);
}

/** RFC 6265 `Set-Cookie` from the library's RPC cookie (`toRpcHttpCookie`). */
function formatCookie(c: RpcHttpCookie): string {
  const parts = [`${c.name}=${c.value}`];
  if (c.domain) parts.push(`Domain=${c.domain.value}`);
  if (c.path) parts.push(`Path=${c.path.value}`);
  if (c.expires) parts.push(`Expires=${new Date(c.expires.value.seconds * 1000).toUTCString()}`);
  if (c.maxAge) parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  if (c.sameSite === 'lax') parts.push('SameSite=Lax');
  else if (c.sameSite === 'strict') parts.push('SameSite=Strict');
  else if (c.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}
