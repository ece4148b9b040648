// The acknowledgement path of POST /api/graph/notifications (shared/chatToJira/notifications.ts) and reading a
// Teams message (shared/chatToJira/commands.ts), with hand-written deps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attribution, isFromTeams, messageText, parseCommand } from '../../../shared/chatToJira/commands.js';
import { acceptGraphNotifications, messageOf, type NotificationDeps } from '../../../shared/chatToJira/notifications.js';
import { noChanges } from '../../../shared/jira/events.js';
import { decide } from '../../../shared/rules/evaluate.js';
import { projectSettingsSchema } from '../../../shared/rules/projectSettings.js';
import type { RawRequest } from '../../../shared/http/outcome.js';

/** Deps that fail the test if anything is read, written or queued: the handshake must need none of it. */
function untouchable(): NotificationDeps {
  const boom = () => {
    throw new Error('the handshake touched storage, the secret store or a queue');
  };
  const trap = new Proxy({}, { get: () => boom });
  return {
    tables: trap,
    secrets: trap,
    queues: trap,
    cache: trap,
    clock: { now: () => new Date() },
    log: trap,
    config: trap,
  } as unknown as NotificationDeps;
}

function request(query: Record<string, string>, body = '', headers: Record<string, string> = {}): RawRequest {
  return { method: 'POST', headers, query, params: {}, body: Buffer.from(body) };
}

describe('Graph notification endpoint', () => {
  it('answers the validation handshake at once, without storage, secrets or queues: 200, text/plain, the token as sent', async () => {
    // The host hands the query over URL-decoded; the answer is that decoded value, never re-encoded.
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 3b1c&x=%20ä';
    const outcome = await acceptGraphNotifications(request({ validationToken: token }, 'ignored body', { 'content-type': 'text/plain; charset=utf-8' }), untouchable());
    assert.equal(outcome.status, 200);
    assert.equal(outcome.body, token);
    assert.match(outcome.headers?.['content-type'] ?? '', /^text\/plain/);
  });

  it('refuses an empty or absurdly long validation token with a 400 JSON error', async () => {
    for (const token of ['', 'x'.repeat(5000)]) {
      const outcome = await acceptGraphNotifications(request({ validationToken: token }), untouchable());
      assert.equal(outcome.status, 400);
      assert.equal((outcome.body as { error: { code: string } }).error.code, 'invalid_validation_token');
    }
  });

  it('reads the chat and message from the resource Graph names, and nothing that is not a chat message', () => {
    assert.deepEqual(messageOf("chats('19:abc@thread.v2')/messages('1733318400000')"), { chatId: '19:abc@thread.v2', messageId: '1733318400000' });
    assert.deepEqual(messageOf('/chats/19:abc@thread.v2/messages/1733318400000'), { chatId: '19:abc@thread.v2', messageId: '1733318400000' });
    assert.equal(messageOf("chats('19:abc@thread.v2')/messages('../../users')"), undefined);
    assert.equal(messageOf("users('x')/messages('1')"), undefined);
  });
});

describe('reading a Teams message', () => {
  it('turns HTML into plain text: tags dropped, entities decoded, block ends as line breaks', () => {
    const text = messageText({ contentType: 'html', content: '<div><p>/note a &lt;b&gt; &amp; <b>bold</b></p><p>line&nbsp;two<br>three &#x1F525;</p><attachment id="x"></attachment></div>' });
    assert.equal(text, '/note a <b> & bold\nline two\nthree 🔥');
  });

  it('keeps a mention as the name people saw', () => {
    assert.equal(messageText({ contentType: 'html', content: '<p>/assign <at id="0">Bob Builder</at></p>' }), '/assign Bob Builder');
  });

  it('finds a command only at the start, in any case, and keeps the rest', () => {
    assert.deepEqual(parseCommand('/NoTe  hello\nworld'), { name: 'note', argument: 'hello\nworld' });
    assert.deepEqual(parseCommand('/status'), { name: 'status', argument: '' });
    assert.equal(parseCommand('please /note this'), undefined);
    assert.equal(parseCommand('/notes are fun'), undefined, 'a longer word is not the command');
    assert.equal(parseCommand('/delete everything'), undefined);
  });

  it('a comment that came from Teams is recognisable, and comment events never post to Teams (no echo)', () => {
    const body = `hello\n\n${attribution('Alice Agent', '1733318400000')}`;
    assert.ok(isFromTeams(body));
    assert.ok(!isFromTeams('a comment typed in Jira'));
    const settings = projectSettingsSchema.parse({ tenantId: '7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f' });
    const decision = decide(
      { trigger: 'commented', webhookEvent: 'comment_created', issueKey: 'INC-1', issueId: '1', projectKey: 'INC', issueType: 'Task', labels: [], changes: { ...noChanges } },
      settings,
    );
    assert.equal(decision.kind, 'ignore');
  });
});
