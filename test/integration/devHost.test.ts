// The local stand-in Functions host (dev/) runs a tiny fixture app (test/fixtures/devhost-app) as a child process
// against the runner's Azurite: real HTTP, real queues, the real `@azure/functions` library in between.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadFunctions, repoRoot, startApp, type RunningApp } from '../../dev/testing.js';
import { rawRequest } from '../support/http.js';
import { peekQueueMessages, queueClient, queueLength, resetQueues } from '../support/storage.js';
import { waitFor } from '../support/wait.js';

const FLAKY = 'devhost-flaky';
const DOOMED = 'devhost-doomed';
// test/fixtures/devhost-app/host.json: maxDequeueCount 3, visibilityTimeout 0, maxPollingInterval 2 s.
const MAX_DEQUEUE_COUNT = 3;

async function enqueue(queue: string, body: unknown): Promise<number> {
  // The host's default messageEncoding is base64, so producers must encode (as the app's own enqueue code does).
  await queueClient(queue).sendMessage(Buffer.from(JSON.stringify(body)).toString('base64'));
  return Date.now();
}

describe('dev host', () => {
  let app: RunningApp;
  const redeliveredId = randomUUID();

  before(async () => {
    await resetQueues([FLAKY, DOOMED, `${FLAKY}-poison`, `${DOOMED}-poison`]);
    // Before the host starts, dequeue one message maxDequeueCount times without deleting it (as hosts that
    // crashed mid-message would): its next delivery has dequeueCount maxDequeueCount + 1.
    await enqueue(FLAKY, { id: redeliveredId, failTimes: 0 });
    for (let i = 0; i < MAX_DEQUEUE_COUNT; i++) {
      const [m] = (await queueClient(FLAKY).receiveMessages({ visibilityTimeout: 30 })).receivedMessageItems;
      assert.ok(m, 'the message is visible again');
      await queueClient(FLAKY).updateMessage(m.messageId, m.popReceipt, m.messageText, 0);
    }
    app = await startApp({
      functionsGlob: 'dist/test/fixtures/devhost-app/functions/*.js',
      hostJsonPath: 'test/fixtures/devhost-app/host.json',
      env: { DEVHOST_TICK_SCHEDULE: '*/1 * * * * *' },
    });
  });

  after(async () => {
    await app?.stop();
  });

  const logsMatching = (re: RegExp) => app.logs.filter((line) => re.test(line));
  /** `echo` is authLevel function: every call carries the app's key, as Azure requires. */
  const withKey = (headers: Record<string, string> = {}) => ({ ...headers, 'x-functions-key': app.functionKey });

  it('reports every registration with its trigger settings, including the HTTP authLevel', () => {
    const byName = new Map(app.functions.map((f) => [f.name, f]));
    assert.deepEqual(byName.get('echo'), {
      name: 'echo',
      triggerType: 'httpTrigger',
      route: 'echo/{id}/{part?}',
      methods: ['GET', 'POST', 'PUT'],
      authLevel: 'function',
    });
    assert.deepEqual(byName.get('flaky'), {
      name: 'flaky',
      triggerType: 'queueTrigger',
      queueName: FLAKY,
      connection: 'AzureWebJobsStorage',
    });
    assert.equal(byName.get('tick')?.schedule, '%DEVHOST_TICK_SCHEDULE%');
    assert.equal(byName.get('doomed')?.queueName, DOOMED);
    assert.equal(byName.get('slow')?.authLevel, 'anonymous');
    assert.ok(
      app.logs.some((l) => l.includes('echo: [GET,POST,PUT] http://localhost:') && l.endsWith('/api/echo/{id}/{part?}')),
      'prints HTTP functions like func start',
    );
  });

  it('lists the same registrations in-process with loadFunctions (for static checks)', async () => {
    const functions = await loadFunctions(repoRoot, 'dist/test/fixtures/devhost-app/functions/*.js');
    assert.deepEqual(
      functions.filter((f) => f.triggerType === 'httpTrigger').map((f) => [f.name, f.authLevel]),
      [
        ['echo', 'function'],
        ['slow', 'anonymous'],
      ],
    );
  });

  it('round-trips an HTTP request: route params, repeated query keys, headers, binary body, status, cookies', async () => {
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const res = await fetch(`${app.baseUrl}/api/echo/abc%20d/first?tag=a&tag=b&status=201`, {
      method: 'POST',
      headers: withKey({ 'x-test': 'hello', 'content-type': 'application/octet-stream' }),
      body,
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-echo-method'), 'POST');
    assert.equal(res.headers.get('set-cookie'), 'seen=abc d; Path=/; HttpOnly');
    const json = (await res.json()) as Record<string, unknown>;
    assert.equal(json.id, 'abc d');
    assert.equal(json.part, 'first');
    assert.deepEqual(json.tags, ['a', 'b']);
    assert.equal(json.header, 'hello');
    assert.equal(json.bodyBase64, body.toString('base64'));
    assert.equal(json.functionName, 'echo');
  });

  it('matches optional route parameters and literal segments case-insensitively', async () => {
    const res = await fetch(`${app.baseUrl}/api/ECHO/xyz`, { headers: withKey() });
    assert.equal(res.status, 200);
    const json = (await res.json()) as Record<string, unknown>;
    assert.equal(json.id, 'xyz');
    assert.equal(json.part, null);
  });

  it('answers 404 for an unknown route, a method the function does not accept, and paths outside the prefix', async () => {
    assert.equal((await fetch(`${app.baseUrl}/api/nope`)).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/echo/abc`, { method: 'DELETE', headers: withKey() })).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/echo/abc`, { headers: withKey() })).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/echo/a/b/c`, { headers: withKey() })).status, 404);
  });

  it('authLevel function: 401 without a key or with a wrong one (the function never runs), 2xx with the header or ?code=', async () => {
    const runs = () => logsMatching(/echo GET keyed$/).length;
    const noKey = await fetch(`${app.baseUrl}/api/echo/keyed`);
    assert.equal(noKey.status, 401);
    assert.equal(await noKey.text(), '');
    assert.equal((await fetch(`${app.baseUrl}/api/echo/keyed`, { headers: { 'x-functions-key': `${app.functionKey}x` } })).status, 401);
    assert.equal((await fetch(`${app.baseUrl}/api/echo/keyed?code=wrong`)).status, 401);
    assert.equal((await fetch(`${app.baseUrl}/api/echo/keyed`, { headers: { 'x-functions-key': '' } })).status, 401);
    assert.equal(runs(), 0, 'refused before the function ran');
    assert.equal((await fetch(`${app.baseUrl}/api/echo/keyed`, { headers: withKey() })).status, 200);
    assert.equal((await fetch(`${app.baseUrl}/api/echo/keyed?code=${encodeURIComponent(app.functionKey)}`)).status, 200);
    await waitFor('both keyed calls ran', () => runs() === 2);
    assert.equal((await fetch(`${app.baseUrl}/api/slow?ms=1`)).status, 200, 'an anonymous route needs no key');
    assert.equal((await fetch(`${app.baseUrl}/api/nope`)).status, 404, 'no route: 404 before any key check');
  });

  it('passes a body only with Content-Length > 0: a chunked body reaches the function empty, as in Azure', async () => {
    const chunked = await rawRequest(app.baseUrl, '/api/echo/chunked', { method: 'POST', headers: withKey({ 'content-type': 'text/plain' }), body: 'hello', chunked: true });
    assert.equal(chunked.status, 200);
    assert.equal(JSON.parse(chunked.body).bodyBase64, '');
    const sized = await rawRequest(app.baseUrl, '/api/echo/sized', { method: 'POST', headers: withKey({ 'content-type': 'text/plain' }), body: 'hello' });
    assert.equal(JSON.parse(sized.body).bodyBase64, Buffer.from('hello').toString('base64'));
  });

  it('decodes the path as Kestrel does: a malformed %-escape is kept as written and never stops the host; %00 → 400', async () => {
    // Before: decodeURIComponent threw inside the request handler and took the whole host down.
    const malformed = await rawRequest(app.baseUrl, '/api/echo/%zz%E0%A4', { headers: withKey() });
    assert.equal(malformed.status, 200);
    assert.equal(JSON.parse(malformed.body).id, '%zz%E0%A4', 'kept as written, like Kestrel\'s UrlDecoder');
    assert.equal((await rawRequest(app.baseUrl, '/api/%zz', { headers: withKey() })).status, 404);
    assert.equal((await rawRequest(app.baseUrl, '/api/echo/a%00b', { headers: withKey() })).status, 400);
    const decoded = await rawRequest(app.baseUrl, '/api/%65cho/caf%C3%A9%2Fx', { headers: withKey() });
    assert.equal(decoded.status, 200, 'escapes in literal segments are decoded before matching');
    assert.equal(JSON.parse(decoded.body).id, 'café%2Fx', '%2F stays encoded, never a separator');
    assert.equal((await fetch(`${app.baseUrl}/api/slow?ms=1`)).status, 200, 'the host still serves');
  });

  it('resolves dot segments before routing, so a path reaches only the route it names, with that route\'s key check', async () => {
    // /api/slow is anonymous, /api/echo needs the key: climbing out of the anonymous route does not skip the check.
    for (const path of ['/api/slow/../echo/abc', '/api/slow/%2e%2e/echo/abc', '/api/slow/.%2E/echo/abc', '/api/x/y/../../echo/abc']) {
      const refused = await rawRequest(app.baseUrl, path);
      assert.equal(refused.status, 401, `${path} without a key`);
      const keyed = await rawRequest(app.baseUrl, path, { headers: withKey() });
      assert.equal(keyed.status, 200, `${path} with the key`);
      assert.equal(JSON.parse(keyed.body).id, 'abc');
    }
    assert.equal((await rawRequest(app.baseUrl, '/api/../../api/./slow?ms=1')).status, 200, 'never above the root');
    assert.equal((await rawRequest(app.baseUrl, '/api/echo/..%2F..%2Fslow', { headers: withKey() })).status, 200, '%2F: one segment, echo\'s id');
  });

  it('logs context.log lines with the function name and invocation id', async () => {
    await fetch(`${app.baseUrl}/api/echo/logged`, { headers: withKey() });
    await waitFor('the echo log line', () => logsMatching(/echo \(Id=[0-9a-f-]{36}\) echo GET logged$/).length > 0);
  });

  it('runs a base64 queue message within about 2 s of enqueue, even when the queue has been idle', async () => {
    await sleep(3_000); // let the idle backoff reach maxPollingInterval (2 s)
    const id = randomUUID();
    const sentAt = await enqueue(FLAKY, { id, failTimes: 0 });
    await waitFor(`flaky ${id} processed`, () => logsMatching(new RegExp(`flaky ${id} processed dequeueCount=1`)).length > 0, {
      timeoutMs: 5_000,
    });
    const elapsed = Date.now() - sentAt;
    assert.ok(elapsed < 2_500, `processed after ${elapsed} ms`);
    await app.waitForIdle([FLAKY]);
    assert.equal(await queueLength(FLAKY), 0, 'a processed message is deleted');
  });

  it('retries a failed message and deletes it when it succeeds on the second delivery', async () => {
    const id = randomUUID();
    await enqueue(FLAKY, { id, failTimes: 1 });
    await waitFor(`flaky ${id} processed`, () => logsMatching(new RegExp(`flaky ${id} processed dequeueCount=2`)).length > 0);
    assert.equal(logsMatching(new RegExp(`flaky ${id} failing dequeueCount=1`)).length, 1);
    await app.waitForIdle([FLAKY]);
    assert.equal(await queueLength(FLAKY), 0);
    assert.ok(!(await peekQueueMessages(`${FLAKY}-poison`)).some((m) => m.includes(id)), 'not poisoned');
  });

  it('moves a message that fails maxDequeueCount times to <queue>-poison with its content intact', async () => {
    const id = randomUUID();
    await enqueue(DOOMED, { id });
    const poisoned = await waitFor(`doomed ${id} in the poison queue`, async () =>
      (await peekQueueMessages(`${DOOMED}-poison`)).find((m) => m.includes(id)),
    );
    assert.deepEqual(JSON.parse(poisoned), { id });
    const attempts = logsMatching(new RegExp(`doomed ${id} dequeueCount=`)).map((l) => Number(/dequeueCount=(\d+)/.exec(l)?.[1]));
    assert.deepEqual(attempts, Array.from({ length: MAX_DEQUEUE_COUNT }, (_, i) => i + 1));
    await app.waitForIdle([DOOMED]);
    assert.equal(await queueLength(DOOMED), 0);
  });

  it('sends a message that arrives with dequeueCount above maxDequeueCount straight to poison, unprocessed', async () => {
    const poisoned = await waitFor('the pre-dequeued message in the poison queue', async () =>
      (await peekQueueMessages(`${FLAKY}-poison`)).find((m) => m.includes(redeliveredId)),
    );
    assert.deepEqual(JSON.parse(poisoned), { id: redeliveredId, failTimes: 0 });
    assert.equal(logsMatching(new RegExp(`flaky ${redeliveredId}`)).length, 0, 'the handler never ran');
    // The extension's own warning (QueueProcessor.CopyMessageToPoisonQueueAsync), which alerts can count.
    assert.ok(logsMatching(/Message has reached MaxDequeueCount of 3\. Moving message to queue 'devhost-flaky-poison'\.$/).length > 0);
  });

  it('fires a timer whose schedule is an %APP_SETTING% every second', async () => {
    const before = logsMatching(/tick \(Id=.*\) tick isPastDue=false/).length;
    await waitFor('two more timer runs', () => logsMatching(/tick \(Id=.*\) tick isPastDue=false/).length >= before + 2, {
      timeoutMs: 4_000,
    });
  });

  it('reports status for waitForIdle', async () => {
    const status = await app.status();
    assert.equal(typeof status.inFlight, 'number');
    assert.deepEqual([...status.queues].sort(), [DOOMED, FLAKY]);
  });

  // Last: it stops the app.
  it('stops gracefully on SIGTERM: an in-flight request still gets its response, and the host exits 0', async () => {
    const started = () => logsMatching(/Executing 'Functions\.slow'/).length;
    const before = started();
    const pending = fetch(`${app.baseUrl}/api/slow?ms=700`);
    await waitFor('the slow request to start', () => started() > before);
    const exitCode = await app.stop();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'finished');
    assert.equal(exitCode, 0);
  });
});

describe('dev host with a timer whose %SETTING% is not set', () => {
  it('reports that function as in error and still runs the others', async () => {
    const app = await startApp({
      functionsGlob: 'dist/test/fixtures/devhost-app/functions/*.js',
      hostJsonPath: 'test/fixtures/devhost-app/host.json',
      env: { DEVHOST_TICK_SCHEDULE: undefined },
    });
    try {
      // The WebJobs SDK's wording for an unresolved binding expression.
      assert.ok(app.logs.some((l) => l.endsWith("The 'tick' function is in error: Error indexing method 'Functions.tick'. '%DEVHOST_TICK_SCHEDULE%' does not resolve to a value.")));
      assert.deepEqual(app.errors.map((e) => e.name), ['tick']);
      assert.equal((await fetch(`${app.baseUrl}/api/echo/still-up`, { headers: { 'x-functions-key': app.functionKey } })).status, 200);
    } finally {
      assert.equal(await app.stop(), 0);
    }
  });
});
