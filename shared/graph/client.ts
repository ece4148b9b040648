// One Microsoft Graph client per job and identity, on @microsoft/microsoft-graph-client's middleware chain with
// our own retry rule and a recorder of Graph request ids for the audit trail.
//
// Retry rule (../shared/graph-contract.md §12): the SDK's RetryHandler retries 429/503/504 for every method,
// POST included, which can create a second group chat or post a message twice. We allow an inline retry only when
// the request is idempotent (GET/PUT/PATCH/DELETE) or the answer is a 429 (the request was refused, not run), and
// only when the wait is short; a longer wait surfaces as ThrottledError so the job goes back to the queue with a
// visibility delay instead of sleeping in a function.
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  ResponseType,
  RetryHandler,
  RetryHandlerOptions,
  type AuthenticationProvider,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { BridgeError, DeadlineError, PermanentError, ThrottledError } from '../errors.js';
import { createLogger, invocationSink, noteRequestId } from '../log.js';

// Graph's answers are logged here, once per HTTP attempt, so throttling (which the retry rule may absorb inline)
// and errors are visible in Application Insights with the request-id Microsoft support asks for. Only the
// resource's first segment is logged (`chats`, `users`, `$batch`): paths carry user ids and e-mail addresses.
const log = createLogger(invocationSink);
const throttlingStatuses = new Set([429, 503, 504]);

export interface GraphResponse<T> {
  status: number;
  body: T;
  headers: Headers;
  requestId?: string;
}

export interface BatchRequest {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the version: `/users/...`, never `/v1.0/users/...` (graph-contract §5). */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Graph {
  /**
   * `path` is relative to the version (`/me/...`), or a link Graph answered with (`@odata.nextLink`,
   * `@odata.deltaLink`), which is absolute and followed only when it lies on this client's own endpoint.
   */
  get<T>(path: string, headers?: Record<string, string>): Promise<GraphResponse<T>>;
  post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<GraphResponse<T>>;
  patch<T>(path: string, body: unknown): Promise<GraphResponse<T>>;
  delete(path: string): Promise<GraphResponse<undefined>>;
  /** `$batch` of at most 20 requests; inner failures (including inner 429s) are returned, not thrown. */
  batch(requests: BatchRequest[]): Promise<BatchResponse[]>;
  /** Graph `request-id`s of every call made through this client, for the audit entry. */
  readonly requestIds: string[];
  /**
   * The version endpoint this client calls (GRAPH_BASE_URL without a trailing slash). Member bindings need it:
   * `user@odata.bind` is an absolute URL on the same endpoint (members.ts memberBinding), so callers take it from
   * the client they send the binding with instead of reading the setting themselves.
   */
  readonly baseUrl: string;
}

/** Who a Graph client acts as, carried on its errors so the job runner can tell whose access failed. */
export interface GraphIdentity {
  tenantId: string;
  feature: string;
  kind: 'delegated' | 'app';
}

/**
 * A Graph error answer, with the fields worth branching on (code, never message: graph-contract §13), classified
 * once, here (429/503/504 never get here: they are ThrottledError):
 * - `permanent`: a 4xx other than 401/408/429. Graph refused this request as sent (400 bad request, 403 forbidden,
 *   404 gone, 409 conflict, 410 gone, 412/413...): the same request will be refused again, so it is not retried
 *   blindly. The job runner ends the job with the reason, unless a 403 turns out to be the service user's own
 *   access (a lost Teams licence), which parks it.
 * - `unauthenticated` (401): the access token was refused; whether the service user must sign in again is known
 *   only after a token refresh (the runner does it).
 * - anything else (500, 502...) is transient: the host retries it.
 */
export class GraphRequestError extends BridgeError {
  override name = 'GraphRequestError';
  /** Graph's own error code (`Forbidden`, `ErrorSendAsDenied`), as Graph spells it: branch on it, never on the message. */
  declare readonly code: string;
  declare readonly status: number;
  constructor(
    status: number,
    code: string,
    readonly graphMessage: string,
    readonly method: string,
    readonly path: string,
    requestId?: string,
    /** The client's identity (`createGraph` passes the one it was given). */
    readonly identity?: GraphIdentity,
  ) {
    super(`Graph ${method} ${path} failed with ${status} ${code}: ${graphMessage}`, code, { status, requestId });
  }

  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && ![401, 408, 429].includes(this.status);
  }

  get unauthenticated(): boolean {
    return this.status === 401;
  }
}

export interface GraphClientOptions {
  /** e.g. https://graph.microsoft.com/v1.0 (GRAPH_BASE_URL). */
  baseUrl: string;
  getAccessToken: () => Promise<string>;
  /** Longest Retry-After (seconds) waited for inside the function; longer waits go back to the queue. */
  maxInlineWaitSeconds?: number;
  maxRetries?: number;
  /**
   * Deadline of each call in ms (GRAPH_TIMEOUT_SECONDS; default 30 s): its attempts, inline waits and body. A call
   * that passes it is aborted and surfaces as DeadlineError; the retry handler never replays an aborted request
   * (it only retries answers), so a non-idempotent POST is never sent twice because of it.
   */
  timeoutMs?: number;
  /** Stamped on every GraphRequestError (see GraphIdentity). */
  identity?: GraphIdentity;
}

export const defaultGraphTimeoutMs = 30_000;

const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function createGraph(options: GraphClientOptions): Graph {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const requestIds: string[] = [];
  const maxInlineWait = options.maxInlineWaitSeconds ?? 5;

  const authProvider: AuthenticationProvider = { getAccessToken: options.getAccessToken };
  const retry = new RetryHandler(
    new RetryHandlerOptions(1, options.maxRetries ?? 3, (_delay, _attempt, request, fetchOptions, response) => {
      const method = (fetchOptions?.method ?? (request as Request).method ?? 'GET').toUpperCase();
      if (!idempotentMethods.has(method) && response.status !== 429) return false;
      return retryAfterSeconds(response.headers) <= maxInlineWait;
    }),
  );
  const recorder: Middleware & { next?: Middleware } = {
    async execute(context: Context) {
      await recorder.next!.execute(context);
      const response = context.response;
      const id = response?.headers.get('request-id');
      if (id) requestIds.push(id);
      noteRequestId('graph', id);
      if (response && throttlingStatuses.has(response.status)) {
        log.warn('graph.throttled', {
          status: response.status,
          method: (context.options?.method ?? 'GET').toUpperCase(),
          resource: resourceOf(context.request),
          retryAfterSeconds: retryAfterSeconds(response.headers),
          requestId: id ?? undefined,
        });
      }
    },
    setNext(next: Middleware) {
      recorder.next = next;
    },
  };
  const timeoutMs = options.timeoutMs ?? defaultGraphTimeoutMs;
  const client = Client.initWithMiddleware({
    middleware: [new AuthenticationHandler(authProvider), retry, recorder, new HTTPMessageHandler()],
    // The SDK attaches the token only to Graph hosts it knows; a national cloud or a local fake is added here.
    customHosts: new Set([new URL(baseUrl).hostname]),
    defaultVersion: 'v1.0',
  });

  async function send<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<GraphResponse<T>> {
    // A link Graph answered with is absolute: it is followed only on the endpoint this client was made for
    // (GRAPH_BASE_URL), so the token never goes elsewhere, and from here on it is a path like any other.
    if (/^https?:\/\//i.test(path)) {
      if (!path.startsWith(`${baseUrl}/`)) {
        throw new PermanentError('Graph returned a paging link outside the Graph endpoint (GRAPH_BASE_URL); it is not followed', 'graph_link_outside_endpoint');
      }
      path = path.slice(baseUrl.length);
    }
    // One deadline for the whole call: every attempt, any short inline Retry-After wait, and reading the body. The
    // SDK merges request options into fetch's init (GraphRequest.option), so the signal aborts the connection
    // itself, not only our wait. The SDK wraps what fetch throws in its own GraphError, so the signal (not the
    // error) says whether the deadline was the cause.
    const signal = AbortSignal.timeout(timeoutMs);
    const request = client.api(`${baseUrl}${path}`).responseType(ResponseType.RAW).headers(headers).option('signal', signal);
    let response: Response;
    let text: string;
    try {
      response =
        method === 'GET'
          ? await request.get()
          : method === 'POST'
            ? await request.post(body)
            : method === 'PATCH'
              ? await request.patch(body)
              : await request.delete();
      text = await response.text();
    } catch (e) {
      if (signal.aborted) throw new DeadlineError('graph', `Graph ${method} ${path.split('?')[0]}`, timeoutMs, 'GRAPH_TIMEOUT_SECONDS');
      throw e;
    }
    const parsed: unknown = text ? safeJson(text) : undefined;
    const requestId = response.headers.get('request-id') ?? undefined;
    if (!response.ok) {
      const error = toError(method, path, response, parsed, requestId, options.identity);
      if (!throttlingStatuses.has(response.status)) {
        // 4xx are often expected (a lookup that finds nothing); 5xx are Graph's own failures.
        (response.status >= 500 ? log.warn : log.info)('graph.error', {
          status: response.status,
          code: error.code,
          method,
          resource: resourceOf(path),
          requestId,
        });
      }
      throw error;
    }
    return { status: response.status, body: parsed as T, headers: response.headers, requestId };
  }

  return {
    requestIds,
    baseUrl,
    get: (path, headers) => send('GET', path, undefined, headers),
    post: (path, body, headers) => send('POST', path, body, headers),
    patch: (path, body) => send('PATCH', path, body),
    delete: (path) => send('DELETE', path),
    async batch(requests) {
      if (requests.length === 0) return [];
      if (requests.length > 20) throw new Error('a Graph $batch holds at most 20 requests');
      const r = await send<{ responses: BatchResponse[] }>('POST', '/$batch', { requests });
      // Inner 429s come inside an outer 200 (graph-contract §6): count them too, or batch throttling stays invisible.
      const throttled = r.body.responses.filter((inner) => throttlingStatuses.has(inner.status));
      if (throttled.length > 0) {
        log.warn('graph.throttled', { status: throttled[0]!.status, method: 'POST', resource: '$batch', inBatch: throttled.length, requestId: r.requestId });
      }
      return r.body.responses;
    },
  };
}

/** Graph's error answer as the app's error, made once, here: callers branch on its fields, never re-parse it. */
function toError(method: string, path: string, response: Response, body: unknown, requestId: string | undefined, identity: GraphIdentity | undefined): GraphRequestError | ThrottledError {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = error?.code ?? `http${response.status}`;
  const message = error?.message ?? response.statusText;
  if (response.status === 429 || response.status === 503 || response.status === 504) {
    const wait = retryAfterSeconds(response.headers);
    return new ThrottledError(`Graph ${method} ${path} throttled (${response.status} ${code})`, wait, {
      status: response.status,
      requestId,
      details: { graphCode: code },
    });
  }
  return new GraphRequestError(response.status, code, message, method, path, requestId, identity);
}

/** `chats` for `/chats/19:...`, `https://graph/v1.0/users/x` → `users`: the resource kind without ids. */
function resourceOf(request: unknown): string {
  const raw = typeof request === 'string' ? request : request instanceof Request ? request.url : '';
  const path = raw.startsWith('/') ? raw : safePath(raw);
  const segments = path.split('?')[0]!.split('/').filter(Boolean);
  const version = segments.findIndex((s) => /^(v1\.0|beta)$/.test(s));
  const first = version >= 0 ? segments[version + 1] : segments[0];
  return (first ?? '').replace(/\(.*$/, '').slice(0, 40) || 'unknown';
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

/** Seconds to wait from `Retry-After` (seconds or HTTP date); a bounded backoff when Graph sends none. */
export function retryAfterSeconds(headers: Headers): number {
  const value = headers.get('retry-after');
  if (value) {
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  }
  return 10;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Graph keys in URLs: UPNs of guests contain `#EXT#`, which must travel as %23 (graph-contract §5). */
export function graphKey(id: string): string {
  return encodeURIComponent(id).replace(/'/g, "''");
}
