import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { getChatMessage, listRecentChatMessages, postChatMessage } from '../../../shared/graph/messages.js';
import { MemoryGraph } from '../../support/memoryGraph.js';

function setUp() {
  const graph = new MemoryGraph();
  const me = graph.signIn(graph.addUser({ displayName: 'Bridge Service' }));
  const chat = graph.addChat({ topic: 'INC-6', memberIds: [me.id, graph.addUser({ displayName: 'Ana' }).id] });
  return { graph, me, chat };
}

describe('shared/graph/messages', () => {
  it('posts HTML as an html body and answers the new message id', async () => {
    const { graph, chat } = setUp();
    const { messageId } = await postChatMessage(graph, chat.id, '<p><b>INC-6</b> &amp; more</p>');
    assert.deepEqual(graph.made('POST')[0]?.body, { body: { contentType: 'html', content: '<p><b>INC-6</b> &amp; more</p>' } });
    assert.equal(graph.chats.get(chat.id)?.messages[0]?.id, messageId);
    graph.assertNoViolations();
  });

  it('lists the newest messages first, at most $top, and reads one by id', async () => {
    const { graph, me, chat } = setUp();
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await postChatMessage(graph, chat.id, `<p>${n}</p>`)).messageId);
    const recent = await listRecentChatMessages(graph, chat.id, 2);
    assert.deepEqual(recent.map((m) => m.body?.content), ['<p>3</p>', '<p>2</p>']);
    assert.equal(graph.made('GET')[0]?.url, `/chats/${encodeURIComponent(chat.id)}/messages?$top=2`);
    const one = await getChatMessage(graph, chat.id, ids[0]!);
    assert.equal(one.body?.content, '<p>1</p>');
    assert.equal(one.from?.user?.id, me.id);
    await assert.rejects(getChatMessage(graph, chat.id, '1'), (e: unknown) => e instanceof GraphRequestError && e.status === 404);
    graph.assertNoViolations();
  });

  it('refuses an app-only post as Graph does (only supported for migration)', async () => {
    const { graph, chat } = setUp();
    graph.signedIn = undefined;
    await assert.rejects(postChatMessage(graph, chat.id, '<p>x</p>'), (e: unknown) => e instanceof GraphRequestError && e.status === 412);
  });
});
