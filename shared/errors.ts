// The few error types the app decides on (STYLE "Errors"). Anything else is transient: rethrow and let the
// Functions host retry, then poison.

/** Do not retry: the input is wrong or the target is gone (deleted issue, chat gone, permission denied). */
export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(
    message: string,
    readonly code: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Retry after a known delay (Graph 429/503 `Retry-After`, or our own pacing such as 4 member adds per minute). */
export class ThrottledError extends Error {
  override name = 'ThrottledError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * The feature's service user cannot act right now, for a reason only an admin can fix (DESIGN §6): park the job
 * with the reason, alert, and resume it when the service user is usable again. Never poisoned, never failed.
 */
export abstract class ServiceUserUnavailableError extends Error {
  abstract readonly status: 'needs-reauth' | 'invalid-licence';
  constructor(
    message: string,
    readonly tenantId: string,
    readonly feature: string,
    /** Relative path that signs the service user in again. */
    readonly reauthPath: string,
  ) {
    super(message);
  }
}

/** The service user's refresh token is dead (`invalid_grant` / `interaction_required`): park the job, alert. */
export class NeedsReauthError extends ServiceUserUnavailableError {
  override name = 'NeedsReauthError';
  readonly status = 'needs-reauth';
}

/**
 * The service user lost what the feature needs (its Teams or Bookings licence, or the account was disabled): park
 * the job, alert; the keep-alive or an admin refresh re-validates it and resumes the jobs when it is back.
 */
export class InvalidLicenceError extends ServiceUserUnavailableError {
  override name = 'InvalidLicenceError';
  readonly status = 'invalid-licence';
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
export class DeadlineError extends Error {
  override name = 'DeadlineError';
  constructor(
    readonly service: 'graph' | 'jira' | 'key-vault' | 'entra',
    readonly what: string,
    readonly timeoutMs: number,
    readonly setting: string,
  ) {
    super(`${what} gave no answer within ${timeoutMs / 1000} s (${setting}); whether it took effect is unknown`);
  }
}
