// Proves the runner's environment: Azurite reachable through the helpers, the test CA trusted by fetch through
// NODE_EXTRA_CA_CERTS, and the polling helper failing with a useful message.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startServer } from '../../support/http.js';
import {
  peekQueueMessages,
  queueClient,
  queueLength,
  resetQueues,
  resetTables,
  tableClient,
  uniqueName,
  waitForQueuesEmpty,
} from '../../support/storage.js';
import { graphCheckerUrl, jiraFixturesDir, repoRoot } from '../../support/repoRoot.js';
import { waitFor } from '../../support/wait.js';

describe('test harness', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it('fetch trusts an https server using the test certificate, by IP and by name', async () => {
    const server = await startServer((_req, res) => void res.end('hello'), { https: true });
    servers.push(server);
    assert.equal(await (await fetch(`${server.origin}/`)).text(), 'hello');
    assert.equal(await (await fetch(`https://localhost:${server.port}/`)).text(), 'hello');
  });

  it('a handler that throws answers 500 instead of hanging', async () => {
    const server = await startServer(() => {
      throw new Error('boom');
    });
    servers.push(server);
    const res = await fetch(server.origin);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /boom/);
  });

  it('tables in Azurite reset to empty', async () => {
    const name = uniqueName('Harness-Table');
    assert.match(name, /^[a-z][a-z0-9]{2,62}$/);
    await resetTables([name]);
    await tableClient(name).createEntity({ partitionKey: 'p', rowKey: 'r', value: 1 });
    await resetTables([name]);
    const left = [];
    for await (const e of tableClient(name).listEntities()) left.push(e);
    assert.deepEqual(left, []);
  });

  it('queue length counts in-flight messages until they are deleted', async () => {
    const name = uniqueName('harness-queue');
    await resetQueues([name]);
    const queue = queueClient(name);
    await queue.sendMessage(Buffer.from('{"v":1}').toString('base64'));
    assert.deepEqual(await peekQueueMessages(name), ['{"v":1}']);
    const { receivedMessageItems } = await queue.receiveMessages({ visibilityTimeout: 30 });
    assert.equal(await queueLength(name), 1, 'an invisible (in-flight) message still counts');
    await assert.rejects(waitForQueuesEmpty([name], { timeoutMs: 100 }), /timed out after 100 ms waiting for queues/);
    const [message] = receivedMessageItems;
    assert.ok(message);
    await queue.deleteMessage(message.messageId, message.popReceipt);
    await waitForQueuesEmpty([name], { timeoutMs: 2_000 });
    assert.equal(await queueLength(uniqueName('absent')), 0);
  });

  it('waitFor returns the first truthy value and times out with the description', async () => {
    let n = 0;
    assert.equal(await waitFor('n to reach 3', () => (++n >= 3 ? n : undefined), { intervalMs: 1 }), 3);
    await assert.rejects(
      waitFor('the impossible', () => false, { timeoutMs: 30, intervalMs: 5 }),
      /timed out after 30 ms waiting for the impossible \(last value: false\)/,
    );
  });

  it('finds the repo root and the reference folder beside it', async () => {
    assert.match(repoRoot(), /main$|[^/]+$/);
    const checker = (await import(graphCheckerUrl())) as { checkGraphRequest(r: { method: string; url: string }): { ok: boolean } };
    assert.equal(checker.checkGraphRequest({ method: 'GET', url: '/me' }).ok, true);
    assert.ok(jiraFixturesDir().endsWith('fixtures/jira'));
  });
});
