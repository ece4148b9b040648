// host.json `functionTimeout` on the local stand-in host: an invocation past it restarts the worker process, and
// every invocation in flight on that worker fails and is retried, as in Azure (dev/workerProcess.ts cites the
// host's source). Fixture: test/fixtures/devhost-timeout (functionTimeout 2 s, maxDequeueCount 3).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../dev/testing.js';
import { peekQueueMessages, queueClient, queueLength, resetQueues } from '../support/storage.js';
import { waitFor } from '../support/wait.js';

const SLEEPY = 'devhost-sleepy';

describe('dev host functionTimeout', () => {
  let app: RunningApp;

  before(async () => {
    await resetQueues([SLEEPY, `${SLEEPY}-poison`]);
    app = await startApp({
      functionsGlob: 'dist/test/fixtures/devhost-timeout/functions/*.js',
      hostJsonPath: 'test/fixtures/devhost-timeout/host.json',
    });
  });
  after(async () => {
    await app?.stop();
  });

  const logged = (text: string) => app.logs.some((l) => l.includes(text));
  const workerOf = (text: string) => /in worker (\d+)/.exec(text)?.[1];

  it('an HTTP invocation past the timeout answers 500 and the next request runs on a new worker', async () => {
    const before = await fetch(`${app.baseUrl}/api/hang?ms=0`);
    const firstWorker = workerOf(await before.text());
    const res = await fetch(`${app.baseUrl}/api/hang?ms=60000&tag=alone`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
    assert.ok(app.logs.some((l) => /Timeout value of 00:00:02 exceeded by function 'Functions\.hang' \(Id: '[0-9a-f-]{36}'\)\. Initiating cancellation\./.test(l)));
    assert.ok(app.logs.some((l) => /A function timeout has occurred\. Restarting worker process executing invocationId '[0-9a-f-]{36}'\./.test(l)));
    const next = await fetch(`${app.baseUrl}/api/hang?ms=0`);
    assert.equal(next.status, 200);
    const secondWorker = workerOf(await next.text());
    assert.ok(firstWorker && secondWorker && firstWorker !== secondWorker, `worker ${firstWorker} was replaced (now ${secondWorker})`);
  });

  it('kills every invocation in flight on that worker: an HTTP request gets 500, a queue message is retried with a higher dequeue count', async () => {
    const id = randomUUID();
    await queueClient(SLEEPY).sendMessage(Buffer.from(JSON.stringify({ id })).toString('base64'));
    await waitFor('the message to start', () => logged(`sleepy ${id} started dequeueCount=1`), { timeoutMs: 10_000 });
    // Started after the message, so its own deadline is later: it dies only because the message's timeout
    // restarts the worker it runs on.
    const pending = fetch(`${app.baseUrl}/api/hang?ms=60000&tag=bystander`);
    await waitFor('the bystander request to run', () => logged('hang bystander started'));
    const bystander = await pending;
    assert.equal(bystander.status, 500);
    assert.equal(
      app.logs.filter((l) => /Timeout value of .* exceeded by function 'Functions\.hang'/.test(l)).length,
      1,
      'only the first test\'s request timed out itself',
    );
    await waitFor('the retried message to succeed', () => logged(`sleepy ${id} processed dequeueCount=2`), { timeoutMs: 15_000 });
    assert.ok(!logged(`sleepy ${id} processed dequeueCount=1`));
    await app.waitForIdle([SLEEPY]);
    assert.equal(await queueLength(SLEEPY), 0);
    assert.deepEqual(await peekQueueMessages(`${SLEEPY}-poison`), []);
  });
});
