// Local stand-in for the Azure Functions host: HTTP trigger routing and the RPC request/response conversion.
//
// Routes follow the host's ASP.NET-style templates (https://learn.microsoft.com/azure/azure-functions/
// functions-bindings-http-webhook-trigger#customize-the-http-endpoint): literal segments match case-insensitively,
// `{name}` takes one segment, `{name?}` is optional, `{name:constraint}` is accepted (constraint ignored except
// `int`/`alpha`), `{*rest}` takes the remainder. A method not in `methods` is not a match (404), like the host.

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

/** Route params if `path` (already without the prefix, no leading slash) matches, else undefined. */
export function matchRoute(route: Route, path: string): Record<string, string> | undefined {
  const parts = path === '' ? [] : path.split('/');
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    if (seg.catchAll) {
      const rest = parts.slice(i).map(decodeURIComponent).join('/');
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
      if (decodeURIComponent(part).toLowerCase() !== seg.literal) return undefined;
    } else {
      const value = decodeURIComponent(part);
      if (seg.constraint === 'int' && !/^-?\d+$/.test(value)) return undefined;
      if (seg.constraint === 'alpha' && !/^[A-Za-z]+$/.test(value)) return undefined;
      params[seg.param!] = value;
    }
    i++;
  }
  return i === parts.length ? params : undefined;
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

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
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
