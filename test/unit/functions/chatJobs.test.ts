// functions/chatJobs.ts (a queue trigger) with the real InvocationContext the host builds, trigger metadata
// included: a message that is not a job (garbage text, a job of an unknown kind) cannot succeed on any retry, so it
// goes straight to the queue's `-poison` twin where admins see and replay poison messages (shared/jobs/runJob.ts),
// and the handler returns: no throw, hence no retry loop of five failing attempts. Storage is Azurite.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { poisonQueueName, queueNames } from '../../../shared/storage/queues.js';
import { invocation, invoke, loggedEvents, useAppEnv } from '../../support/functionsAdapter.js';
import { peekQueueMessages, queueLength, resetQueues } from '../../support/storage.js';

useAppEnv();
const { chatJobs } = await import('../../../functions/chatJobs.js');

const poison = poisonQueueName(queueNames.chatJobs);

describe('chatJobs adapter', () => {
  beforeEach(() => resetQueues([queueNames.chatJobs, poison]));

  for (const [name, message] of [
    // The library hands a message that is not JSON to the handler as the string itself.
    ['text that is not JSON', 'create the chat for OPS-1 please'],
    ['a job of a kind no handler knows', { v: 1, kind: 'chat.explode', jobId: 'j-1', siteId: 'c1a2b3c4-d5e6-47f8-9a0b-1c2d3e4f5a6b', issueKey: 'OPS-1' }],
  ] as const) {
    it(`${name}: parked in the poison queue as it came, logged, and the handler returns`, async () => {
      const { context, lines } = invocation('chatJobs', { triggerMetadata: { id: 'msg-1', dequeueCount: 1, insertionTime: new Date().toISOString() } });
      await invoke(chatJobs, message, context);

      assert.equal(await queueLength(poison), 1);
      const [parked] = await peekQueueMessages(poison);
      assert.deepEqual(JSON.parse(parked!), message, 'the message is kept as it came, for a replay after a fix');
      const poisoned = loggedEvents(lines).filter((l) => l.event === 'job.poisoned');
      assert.equal(poisoned.length, 1, lines.map((l) => l.text).join('\n'));
      assert.equal(poisoned[0]!.queue, queueNames.chatJobs);
      assert.equal(poisoned[0]!.messageId, 'msg-1');
      assert.match(String(poisoned[0]!.reason), /^invalid message: /);
      assert.equal(await queueLength(queueNames.chatJobs), 0, 'nothing sent back to be retried');
    });
  }
});
