// Structured logs: one JSON object per line with the event name and the ids that let an on-call responder follow a
// job (site, issue key, tenant, job id, Graph/Jira request id). Secret-looking fields are redacted here, once, so a
// careless call site cannot leak a token into Application Insights.

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
  if (value instanceof Error) return { name: value.name, message: redact(value.message), code: (value as { code?: unknown }).code };
  if (!value || typeof value !== 'object' || depth > 5) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretField.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function createLogger(sink: LogSink, minLevel: keyof typeof levels = 'info', base: LogFields = {}): Logger {
  const emit = (level: keyof typeof levels) => (event: string, fields: LogFields = {}) => {
    if (levels[level] < levels[minLevel]) return;
    sink(level, JSON.stringify(redact({ level, event, ...base, ...fields })));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    with: (fields) => createLogger(sink, minLevel, { ...base, ...fields }),
  };
}

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
