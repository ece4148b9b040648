// Structured logs: one JSON object per line with the event name and the ids that let an on-call responder follow a
// job (site, issue key, tenant, job id, Graph/Jira request id). Secret-looking fields are redacted here, once, so a
// careless call site cannot leak a token into Application Insights.
//
// Correlation: the functions/ layer runs every invocation inside a log scope (runWithLogScope, below) that holds
// the invocation's own sink (context.log/warn/error, so Application Insights links each trace to the request or
// queue message's operation) and its dimensions (invocation id, then site, issue key, job id, tenant and the
// Graph/Jira request ids as they become known). Every logger created here adds those dimensions to every line, so a
// workflow that was handed `deps.log` long before the invocation started still writes correlated lines.
// AsyncLocalStorage keeps the scope per invocation even when several run concurrently in one worker.
// https://nodejs.org/api/async_context.html#class-asynclocalstorage
import { AsyncLocalStorage } from 'node:async_hooks';
import { BridgeError } from './errors.js';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. the job id and issue key). */
  with(fields: LogFields): Logger;
}

export type LogSink = (level: 'debug' | 'info' | 'warn' | 'error', line: string) => void;

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;

// Field names whose values are never logged, whatever their content.
const secretField = /(secret|token|password|authorization|apikey|api_key|code_verifier|assertion|cookie|credential|cache)$/i;
// Values that look like bearer tokens or JWTs, wherever they appear.
const secretValue = /(Bearer\s+[A-Za-z0-9._~+/=-]+|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/g;

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(secretValue, '[redacted]');
  if (value instanceof BridgeError) {
    // The app's errors log their fields (the upstream status and request id Microsoft or Atlassian support asks for).
    return { name: value.name, message: redact(value.message), code: value.code, status: value.status, requestId: value.requestId };
  }
  if (value instanceof Error) return { name: value.name, message: redact(value.message), code: (value as { code?: unknown }).code };
  if (!value || typeof value !== 'object' || depth > 5) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretField.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export interface LogScope {
  /** Where the invocation's lines go (the Functions invocation context's logger). */
  sink: LogSink;
  /** Added to every line; grows as the invocation learns who it works for (addLogDimensions). */
  dimensions: LogFields;
}

const scopes = new AsyncLocalStorage<LogScope>();

/** Runs `fn` with `scope` as the current invocation's log scope (the one wrapper in functions/lib calls this). */
export function runWithLogScope<T>(scope: LogScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** The current invocation's dimensions (a copy), or undefined outside an invocation. */
export function currentLogDimensions(): LogFields | undefined {
  const scope = scopes.getStore();
  return scope ? { ...scope.dimensions } : undefined;
}

/**
 * Adds what the invocation has learnt (site, issue key, job id, tenant...) to every later line it writes.
 * Undefined values are skipped; outside an invocation this does nothing.
 */
export function addLogDimensions(fields: LogFields): void {
  const scope = scopes.getStore();
  if (!scope) return;
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== null && value !== '') scope.dimensions[key] = value;
}

/** Most recent request ids kept per invocation; a long job's lines stay readable. */
const maxRequestIds = 20;

/**
 * Records the id the remote service gave one call (Graph `request-id`, Jira `X-AREQUESTID`), so every later line of
 * the invocation names the calls it made: the ids Microsoft or Atlassian support ask for.
 */
export function noteRequestId(service: 'graph' | 'jira', id: string | null | undefined): void {
  const scope = scopes.getStore();
  if (!scope || !id) return;
  const key = service === 'graph' ? 'graphRequestIds' : 'jiraRequestIds';
  const list = Array.isArray(scope.dimensions[key]) ? [...(scope.dimensions[key] as string[])] : [];
  if (list.includes(id)) return;
  list.push(id);
  scope.dimensions[key] = list.slice(-maxRequestIds);
}

export function createLogger(sink: LogSink, minLevel: keyof typeof levels = 'info', base: LogFields = {}): Logger {
  const emit = (level: keyof typeof levels) => (event: string, fields: LogFields = {}) => {
    if (levels[level] < levels[minLevel]) return;
    const scoped = scopes.getStore()?.dimensions;
    sink(level, JSON.stringify(redact({ level, event, ...scoped, ...base, ...fields })));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    with: (fields) => createLogger(sink, minLevel, { ...base, ...fields }),
  };
}

/**
 * The app's one sink: the current invocation's logger, or the console outside an invocation (module load, the
 * local tools). Application Insights links only lines written through the invocation's logger to its operation.
 */
export const invocationSink: LogSink = (level, line) => (scopes.getStore()?.sink ?? consoleSink)(level, line);

// The one place app code may write to the console (eslint no-console allows only this file).
export const consoleSink: LogSink = (level, line) => {
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

/** A logger that keeps lines in memory: tests assert on what was logged (and that no secret was). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger((_, line) => lines.push(line), 'debug'), { lines });
}
