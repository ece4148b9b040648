// The local stand-in Functions host (dev/) runs a tiny fixture app (test/fixtures/devhost-app) as a child process
// against the runner's Azurite: real HTTP, real queues, the real `@azure/functions` library in between.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadFunctions, repoRoot, startApp, type RunningApp } from '../../dev/testing.js';
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
      headers: { 'x-test': 'hello', 'content-type': 'application/octet-stream' },
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
    const res = await fetch(`${app.baseUrl}/api/ECHO/xyz`);
    assert.equal(res.status, 200);
    const json = (await res.json()) as Record<string, unknown>;
    assert.equal(json.id, 'xyz');
    assert.equal(json.part, null);
  });

  it('answers 404 for an unknown route, a method the function does not accept, and paths outside the prefix', async () => {
    assert.equal((await fetch(`${app.baseUrl}/api/nope`)).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/echo/abc`, { method: 'DELETE' })).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/echo/abc`)).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/echo/a/b/c`)).status, 404);
  });

  it('logs context.log lines with the function name and invocation id', async () => {
    await fetch(`${app.baseUrl}/api/echo/logged`);
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
    const pending = fetch(`${app.baseUrl}/api/slow?ms=700`);
    await waitFor('the slow request to start', () => app.logs.some((l) => l.includes("Executing 'Functions.slow'")));
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
      assert.ok(app.logs.some((l) => /The 'tick' function is in error .*DEVHOST_TICK_SCHEDULE/.test(l)));
      assert.equal((await fetch(`${app.baseUrl}/api/echo/still-up`)).status, 200);
    } finally {
      assert.equal(await app.stop(), 0);
    }
  });
});
