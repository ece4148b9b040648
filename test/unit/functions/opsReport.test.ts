// functions/opsReport.ts (a timer trigger) invoked as the host does, with a Timer payload and the real
// InvocationContext: it writes one `ops.queue` line per job queue through the invocation's logger (what the
// backlog and poison alerts and the workbook query, bicep/queries/*.kql), a warning where poison messages wait.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { allQueueNames, poisonQueueName, queueNames } from '../../../shared/storage/queues.js';
import { invocation, invoke, loggedEvents, timerTrigger, useAppEnv } from '../../support/functionsAdapter.js';
import { queueClient, resetQueues } from '../../support/storage.js';

useAppEnv();
const { opsReport } = await import('../../../functions/opsReport.js');

describe('opsReport timer', () => {
  before(async () => {
    await resetQueues([...allQueueNames, ...allQueueNames.map(poisonQueueName)]);
    for (const n of [1, 2, 3]) await queueClient(queueNames.memberJobs).sendMessage(Buffer.from(JSON.stringify({ n })).toString('base64'));
    await queueClient(poisonQueueName(queueNames.chatJobs)).sendMessage(Buffer.from('{"v":1}').toString('base64'));
  });

  it('logs every queue\'s backlog and poison count, warning on poison', async () => {
    const { context, lines } = invocation('opsReport');
    await invoke(opsReport, timerTrigger(), context);

    const queues = loggedEvents(lines).filter((l) => l.event === 'ops.queue');
    assert.deepEqual(queues.map((q) => q.queue).sort(), [...allQueueNames].sort(), 'one line per job queue');
    const members = queues.find((q) => q.queue === queueNames.memberJobs)!;
    assert.equal(members.messages, 3);
    assert.equal(members.poisonMessages, 0);
    assert.equal(members.level, 'info');
    const chats = queues.find((q) => q.queue === queueNames.chatJobs)!;
    assert.equal(chats.poisonMessages, 1);
    assert.equal(chats.level, 'warn');
    assert.ok(lines.some((l) => l.level === 'warning' && l.text.includes('"queue":"chat-jobs"')), 'through context.warn');
    assert.ok(queues.every((q) => q.invocationId === context.invocationId && q.functionName === 'opsReport'), 'correlated with the invocation');
  });

  it('a past-due run (after the app slept) reports the same way', async () => {
    const { context, lines } = invocation('opsReport');
    await invoke(opsReport, timerTrigger(true), context);
    assert.equal(loggedEvents(lines).filter((l) => l.event === 'ops.queue').length, allQueueNames.length);
  });
});
