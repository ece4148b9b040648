import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { chatIdInPath, createGroupChat, getChat, listMyChatsByTopic, setChatTopic } from '../../../shared/graph/chats.js';
import { memberBinding } from '../../../shared/graph/members.js';
import { MemoryGraph } from '../../support/memoryGraph.js';

const base = 'https://graph.microsoft.com/v1.0';

function setUp() {
  const graph = new MemoryGraph();
  const me = graph.signIn(graph.addUser({ displayName: 'Bridge Service' }));
  const ana = graph.addUser({ displayName: 'Ana Agent' });
  return { graph, me, ana };
}

describe('shared/graph/chats', () => {
  it('creates a group chat with the caller and the people bound by object id, exactly as POST /chats expects', async () => {
    const { graph, me, ana } = setUp();
    const chat = await createGroupChat(graph, {
      chatType: 'group',
      topic: 'INC-1 Printer on fire',
      members: [memberBinding(base, me.id, false), memberBinding(base, ana.id, false)],
    });
    assert.match(chat.id, /^19:.+@thread\.v2$/);
    assert.ok(chat.webUrl);
    const [call] = graph.made('POST', /^\/chats$/);
    assert.deepEqual(call?.body, {
      chatType: 'group',
      topic: 'INC-1 Printer on fire',
      members: [
        { '@odata.type': '#microsoft.graph.aadUserConversationMember', roles: ['owner'], 'user@odata.bind': `${base}/users('${me.id}')` },
        { '@odata.type': '#microsoft.graph.aadUserConversationMember', roles: ['owner'], 'user@odata.bind': `${base}/users('${ana.id}')` },
      ],
    });
    assert.deepEqual(graph.chats.get(chat.id)?.members.map((m) => m.userId).sort(), [me.id, ana.id].sort());
    graph.assertNoViolations();
  });

  it('surfaces Graph refusing a chat (a topic with a colon) as a GraphRequestError, creating nothing', async () => {
    const { graph, me, ana } = setUp();
    await assert.rejects(
      createGroupChat(graph, { chatType: 'group', topic: 'INC-1: colon', members: [memberBinding(base, me.id, false), memberBinding(base, ana.id, false)] }),
      (e: unknown) => e instanceof GraphRequestError && e.status === 400,
    );
    assert.equal(graph.chats.size, 0);
  });

  it('finds the signed-in user\'s chats by exact topic, quotes included', async () => {
    const { graph, me, ana } = setUp();
    const wanted = graph.addChat({ topic: "INC-2 Bob's laptop", memberIds: [me.id, ana.id] });
    graph.addChat({ topic: 'INC-2 other', memberIds: [me.id, ana.id] });
    graph.addChat({ topic: "INC-2 Bob's laptop", memberIds: [ana.id, graph.addUser({ displayName: 'Someone' }).id] });
    const found = await listMyChatsByTopic(graph, "INC-2 Bob's laptop");
    assert.deepEqual(found.map((c) => c.id), [wanted.id]);
    assert.equal(graph.made('GET')[0]?.url, `/me/chats?$filter=${encodeURIComponent("topic eq 'INC-2 Bob''s laptop'")}&$top=50`);
    graph.assertNoViolations();
  });

  it('reads a chat, renames it, and answers 404 for a chat deleted in Teams', async () => {
    const { graph, me, ana } = setUp();
    const chat = graph.addChat({ topic: 'INC-3 Disk', memberIds: [me.id, ana.id] });
    assert.equal((await getChat(graph, chat.id)).topic, 'INC-3 Disk');
    await setChatTopic(graph, chat.id, '[Resolved] INC-3 Disk');
    assert.equal(graph.chats.get(chat.id)?.topic, '[Resolved] INC-3 Disk');
    assert.deepEqual(graph.made('PATCH')[0]?.body, { topic: '[Resolved] INC-3 Disk' });
    graph.chats.delete(chat.id);
    await assert.rejects(getChat(graph, chat.id), (e: unknown) => e instanceof GraphRequestError && e.status === 404 && chatIdInPath(e.path) === chat.id);
    graph.assertNoViolations();
  });

  it('tells a chat path from other paths', () => {
    assert.equal(chatIdInPath(`/chats/${encodeURIComponent('19:a@thread.v2')}/members/x`), '19:a@thread.v2');
    assert.equal(chatIdInPath('/chats/19%3Ab%40thread.v2?$top=1'), '19:b@thread.v2');
    assert.equal(chatIdInPath('/users/x'), undefined);
  });
});
