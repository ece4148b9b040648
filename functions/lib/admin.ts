// Shared plumbing for the admin functions: parse the body (JSON or text/csv), hand a plain request to shared/.
import type { HttpRequest } from '@azure/functions';
import type { AdminRequest } from '../../shared/admin/request.js';
import { parseJson, type HttpOutcome } from '../../shared/http/outcome.js';
import { toRawRequest } from './http.js';

export async function toAdminRequest(request: HttpRequest): Promise<AdminRequest | HttpOutcome> {
  const raw = await toRawRequest(request);
  const base = { method: raw.method, params: raw.params, query: raw.query, headers: raw.headers };
  if (raw.body.length === 0) return base;
  if (/^text\/csv/i.test(raw.headers['content-type'] ?? '')) return { ...base, text: raw.body.toString('utf8') };
  const parsed = parseJson(raw);
  return parsed.ok ? { ...base, body: parsed.value } : parsed.outcome;
}

export function isOutcome(value: AdminRequest | HttpOutcome): value is HttpOutcome {
  return 'status' in value;
}
