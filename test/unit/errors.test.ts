// One error model (issue 13): every app error is a BridgeError whose fields (code, status, request id,
// retry-after) are real constructor fields, and Graph's and Jira's answers are mapped to them once, at their
// clients (here against the fakes over real HTTPS), so the job runner and the audit decide by class and code.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BridgeError,
  DeadlineError,
  ensureError,
  InvalidLicenceError,
  NeedsReauthError,
  PermanentError,
  ServiceUserUnavailableError,
  ThrottledError,
} from '../../shared/errors.js';
import { createGraph, GraphRequestError, type Graph } from '../../shared/graph/client.js';
import { redact } from '../../shared/log.js';
import { toMailError } from '../../shared/mail/errors.js';
import { createJiraApi, JiraRequestError, type JiraApi } from '../../shared/jira/client.js';
import { FakeGraph } from '../fakes/graph.js';
import { FakeJira } from '../fakes/jira.js';

describe('error classes carry their fields', () => {
  it('PermanentError: code and details, plus the upstream status and request id when there was an answer', () => {
    const e = new PermanentError('gone', 'chat_gone', { chatId: '19:x' }, { status: 404, requestId: 'req-1' });
    assert.ok(e instanceof BridgeError && e instanceof Error);
    assert.equal(e.name, 'PermanentError');
    assert.equal(e.code, 'chat_gone');
    assert.deepEqual(e.details, { chatId: '19:x' });
    assert.equal(e.status, 404);
    assert.equal(e.requestId, 'req-1');
    assert.equal(new PermanentError('m', 'x').status, undefined);
    assert.deepEqual(new PermanentError('m', 'x').details, {});
  });

  it('ThrottledError: code throttled and its retry-after', () => {
    const e = new ThrottledError('slow down', 42, { status: 429, requestId: 'req-2' });
    assert.ok(e instanceof BridgeError);
    assert.equal(e.code, 'throttled');
    assert.equal(e.retryAfterSeconds, 42);
    assert.equal(e.status, 429);
    assert.equal(e.requestId, 'req-2');
  });

  it('the service-user errors: snake_case code, the stored status they stand for, and who is affected', () => {
    const reauth = new NeedsReauthError('sign in again', 't1', 'chats', '/api/service-user/start?tenant=t1&feature=chats');
    const licence = new InvalidLicenceError('no Teams licence', 't1', 'meetings', '/api/service-user/start?tenant=t1&feature=meetings');
    assert.ok(reauth instanceof ServiceUserUnavailableError && reauth instanceof BridgeError);
    assert.equal(reauth.code, 'needs_reauth');
    assert.equal(reauth.serviceUserStatus, 'needs-reauth');
    assert.equal(licence.code, 'invalid_licence');
    assert.equal(licence.serviceUserStatus, 'invalid-licence');
    assert.deepEqual([reauth.tenantId, reauth.feature, reauth.reauthPath], ['t1', 'chats', '/api/service-user/start?tenant=t1&feature=chats']);
    assert.equal(reauth.status, undefined, 'no HTTP status: the stored status has its own field');
  });

  it('DeadlineError: code deadline_exceeded and which setting to look at', () => {
    const e = new DeadlineError('jira', 'Jira: get issue X-1', 2500, 'JIRA_TIMEOUT_SECONDS');
    assert.ok(e instanceof BridgeError);
    assert.equal(e.code, 'deadline_exceeded');
    assert.deepEqual([e.service, e.timeoutMs, e.setting], ['jira', 2500, 'JIRA_TIMEOUT_SECONDS']);
    assert.match(e.message, /gave no answer within 2\.5 s \(JIRA_TIMEOUT_SECONDS\)/);
  });

  it('GraphRequestError: Graph status, code and request id as fields', () => {
    const e = new GraphRequestError(403, 'Forbidden', 'no', 'GET', '/chats/1', 'req-3', { tenantId: 't', feature: 'chats', kind: 'delegated' });
    assert.ok(e instanceof BridgeError);
    assert.deepEqual([e.status, e.code, e.requestId, e.identity?.feature], [403, 'Forbidden', 'req-3', 'chats']);
  });

  it('an explained upstream error (given as cause) lends its status and request id: the mail explanation keeps Graph\'s', () => {
    const graph = new GraphRequestError(403, 'ErrorSendAsDenied', 'no', 'POST', '/users/x/sendMail', 'req-4');
    const explained = toMailError(graph, { caller: 'svc@contoso.example', from: 'desk@contoso.example', kind: 'delegated' });
    assert.ok(explained instanceof PermanentError);
    assert.deepEqual([explained.code, explained.status, explained.requestId, explained.cause], ['mail_send_as_denied', 403, 'req-4', graph]);
    const own = new PermanentError('m', 'x', {}, { cause: graph, status: 400 });
    assert.equal(own.status, 400, 'a field given wins over the cause\'s');
  });

  it('a logged app error carries its code, status and request id (what Microsoft or Atlassian support asks for)', () => {
    const logged = redact(new GraphRequestError(409, 'Conflict', 'exists', 'POST', '/chats', 'req-5'));
    assert.deepEqual(logged, { name: 'GraphRequestError', message: 'Graph POST /chats failed with 409 Conflict: exists', code: 'Conflict', status: 409, requestId: 'req-5' });
  });

  it('no field is added after construction (nothing bolted on with Object.assign)', () => {
    const e = new ThrottledError('x', 1, { status: 503 });
    assert.ok(Object.isExtensible(e));
    const before = Object.keys(e).sort();
    assert.deepEqual(before, ['code', 'details', 'name', 'requestId', 'retryAfterSeconds', 'status'].sort());
  });
});

describe('ensureError', () => {
  it('keeps an Error as it is', () => {
    const e = new PermanentError('m', 'x');
    assert.equal(ensureError(e), e);
  });

  it('wraps a string and a plain value, and survives a value JSON cannot write', () => {
    assert.equal(ensureError('boom').message, 'boom');
    assert.equal(ensureError({ a: 1 }).message, 'non-error thrown: {"a":1}');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.equal(ensureError(circular).message, 'non-error thrown');
    assert.equal(ensureError(10n).message, 'non-error thrown');
  });
});

describe('Graph errors are mapped once, at the client', () => {
  const fake = new FakeGraph();
  let close: () => Promise<void>;
  let graph: Graph;
  before(async () => {
    const started = await fake.start();
    close = started.close;
    const user = fake.addUser({ displayName: 'Service User' });
    graph = createGraph({
      baseUrl: started.baseUrl,
      getAccessToken: async () => fake.delegatedToken(user),
      maxInlineWaitSeconds: 1,
      identity: { tenantId: fake.tenantId, feature: 'chats', kind: 'delegated' },
    });
  });
  after(() => close());

  it('a 429 with a long Retry-After is a ThrottledError with the status, request id and wait as fields', async () => {
    fake.failNext({ method: 'GET', pathPattern: '/me', status: 429, retryAfterSeconds: 120 });
    const e = await graph.get('/me').then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof ThrottledError, String(e));
    assert.equal(e.code, 'throttled');
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterSeconds, 120);
    assert.equal(typeof e.requestId, 'string');
    assert.ok(e.requestId);
    assert.ok(Object.getOwnPropertyDescriptor(e, 'status'), 'status is the error\'s own field');
  });

  it('a 404 is a GraphRequestError with the client\'s identity set at construction', async () => {
    const e = await graph.get('/users/00000000-0000-0000-0000-000000000000').then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof GraphRequestError, String(e));
    assert.equal(e.status, 404);
    assert.equal(e.permanent, true);
    assert.ok(e.requestId);
    assert.deepEqual(e.identity, { tenantId: fake.tenantId, feature: 'chats', kind: 'delegated' });
  });
});

describe('Jira errors are mapped once, at the client', () => {
  const fake = new FakeJira();
  const issueKey = fake.addIssueFromWebhookFixture('issue_created.story.json').key;
  let close: () => Promise<void>;
  let jira: JiraApi;
  before(async () => {
    const started = await fake.start();
    close = started.close;
    jira = createJiraApi({ baseUrl: started.baseUrl, ...fake.credentials });
  });
  after(() => close());

  const failure = (status: number, retryAfterSeconds?: number) => {
    fake.failNext({ method: 'GET', pathPattern: new RegExp(issueKey), status, retryAfterSeconds });
    return jira.getIssue(issueKey).then(() => undefined, (x: unknown) => x);
  };

  it('429 → ThrottledError with Jira\'s Retry-After and status', async () => {
    const e = await failure(429, 7);
    assert.ok(e instanceof ThrottledError, String(e));
    assert.deepEqual([e.status, e.retryAfterSeconds], [429, 7]);
  });

  it('404, 403 and 400 → PermanentError with Jira\'s status as a field', async () => {
    for (const status of [404, 403, 400]) {
      const e = await failure(status);
      assert.ok(e instanceof PermanentError, `${status}: ${String(e)}`);
      assert.equal(e.status, status);
    }
  });

  it('500 → JiraRequestError (transient) with the status, not jira.js\'s own error', async () => {
    const e = await failure(500);
    assert.ok(e instanceof JiraRequestError, String(e));
    assert.equal(e.code, 'jira_failed');
    assert.equal(e.status, 500);
    assert.ok(!(e instanceof PermanentError));
  });
});
