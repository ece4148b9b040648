// The few error types the app decides on (STYLE "Errors"). Anything else is transient: rethrow and let the
// Functions host retry, then poison.
//
// Every app error is a BridgeError: its fields are real constructor fields (never properties added afterwards),
// so the job runner, the audit trail and the HTTP edge decide by class and `code`, never by message text.
// Codes are snake_case, the spelling of the HTTP error bodies (`method_not_allowed`), so a code reads the same in
// an audit entry, a log line and an API answer.

/** What an error may carry besides its message and code. */
export interface ErrorFields {
  /** The HTTP status of the answer that caused it (Graph's, Jira's), when there was one. */
  status?: number;
  /** The request id of that answer (Graph `request-id`), for Microsoft support. */
  requestId?: string;
  /** Seconds to wait before trying again (Retry-After), when known. */
  retryAfterSeconds?: number;
  /** More context for the log line (ids, the upstream service's own code); never a secret. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The base of the app's own errors: a stable snake_case `code` and the fields worth branching on or logging. */
export abstract class BridgeError extends Error {
  readonly code: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;
  readonly details: Record<string, unknown>;
  /** An upstream error given as `cause` (a GraphRequestError explained as a PermanentError) lends its status and request id. */
  constructor(message: string, code: string, fields: ErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    const upstream = fields.cause instanceof BridgeError ? fields.cause : undefined;
    this.code = code;
    this.status = fields.status ?? upstream?.status;
    this.requestId = fields.requestId ?? upstream?.requestId;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.details = fields.details ?? {};
  }
}

/** Do not retry: the input is wrong or the target is gone (deleted issue, chat gone, permission denied). */
export class PermanentError extends BridgeError {
  override name = 'PermanentError';
  constructor(message: string, code: string, details: Record<string, unknown> = {}, fields: Omit<ErrorFields, 'details'> = {}) {
    super(message, code, { ...fields, details });
  }
}

/** Retry after a known delay (Graph 429/503 `Retry-After`, or our own pacing such as 4 member adds per minute). */
export class ThrottledError extends BridgeError {
  override name = 'ThrottledError';
  declare readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, fields: Omit<ErrorFields, 'retryAfterSeconds'> = {}) {
    super(message, 'throttled', { ...fields, retryAfterSeconds });
  }
}

/**
 * The feature's service user cannot act right now, for a reason only an admin can fix (DESIGN §6): park the job
 * with the reason, alert, and resume it when the service user is usable again. Never poisoned, never failed.
 */
export abstract class ServiceUserUnavailableError extends BridgeError {
  /** The service user's stored status this error stands for (storage/serviceUsers.ts spells it with dashes). */
  abstract readonly serviceUserStatus: 'needs-reauth' | 'invalid-licence';
  constructor(
    message: string,
    code: 'needs_reauth' | 'invalid_licence',
    readonly tenantId: string,
    readonly feature: string,
    /** Relative path that signs the service user in again. */
    readonly reauthPath: string,
  ) {
    super(message, code, { details: { tenantId, feature } });
  }
}

/** The service user's refresh token is dead (`invalid_grant` / `interaction_required`): park the job, alert. */
export class NeedsReauthError extends ServiceUserUnavailableError {
  override name = 'NeedsReauthError';
  readonly serviceUserStatus = 'needs-reauth';
  constructor(message: string, tenantId: string, feature: string, reauthPath: string) {
    super(message, 'needs_reauth', tenantId, feature, reauthPath);
  }
}

/**
 * The service user lost what the feature needs (its Teams or Bookings licence, or the account was disabled): park
 * the job, alert; the keep-alive or an admin refresh re-validates it and resumes the jobs when it is back.
 */
export class InvalidLicenceError extends ServiceUserUnavailableError {
  override name = 'InvalidLicenceError';
  readonly serviceUserStatus = 'invalid-licence';
  constructor(message: string, tenantId: string, feature: string, reauthPath: string) {
    super(message, 'invalid_licence', tenantId, feature, reauthPath);
  }
}

/** Normalise anything thrown into an Error once, at the edge. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(`non-error thrown: ${JSON.stringify(value)}`);
  } catch {
    return new Error('non-error thrown');
  }
}

/**
 * An outbound call (Graph, Jira, Key Vault, Entra) gave no answer within its deadline. Transient: the host retries
 * the job. For a non-idempotent call (POST /chats, a message POST) the outcome is unknown, exactly as after a
 * dropped connection, so callers treat it the same way (the chat link is marked abandoned and the next attempt
 * looks for what the lost call may have created before creating anything).
 */
export class DeadlineError extends BridgeError {
  override name = 'DeadlineError';
  constructor(
    readonly service: 'graph' | 'jira' | 'key-vault' | 'entra',
    readonly what: string,
    readonly timeoutMs: number,
    readonly setting: string,
  ) {
    super(`${what} gave no answer within ${timeoutMs / 1000} s (${setting}); whether it took effect is unknown`, 'deadline_exceeded', { details: { service, setting } });
  }
}
