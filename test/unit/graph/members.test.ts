import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { addChatMember, listChatMembers, memberBinding, removeChatMember } from '../../../shared/graph/members.js';
import { MemoryGraph } from '../../support/memoryGraph.js';

const base = 'https://graph.microsoft.com/v1.0';

describe('shared/graph/members', () => {
  it('binds members by object id, guests with the guest role, quotes doubled', () => {
    assert.deepEqual(memberBinding(base, 'u-1', false), {
      '@odata.type': '#microsoft.graph.aadUserConversationMember',
      roles: ['owner'],
      'user@odata.bind': `${base}/users('u-1')`,
    });
    assert.deepEqual(memberBinding(base, "o'neil@contoso.example", true).roles, ['guest']);
    assert.equal(memberBinding(base, "o'neil@contoso.example", true)['user@odata.bind'], `${base}/users('o''neil@contoso.example')`);
  });

  it('lists, adds (with history) and removes members of a chat by membership id', async () => {
    const graph = new MemoryGraph();
    const me = graph.signIn(graph.addUser({ displayName: 'Bridge Service' }));
    const ana = graph.addUser({ displayName: 'Ana Agent' });
    const guest = graph.addUser({ displayName: 'Gus Guest', userType: 'Guest' });
    const chat = graph.addChat({ topic: 'INC-4', memberIds: [me.id, ana.id] });

    await addChatMember(graph, chat.id, { ...memberBinding(base, guest.id, true), visibleHistoryStartDateTime: '0001-01-01T00:00:00Z' });
    const members = await listChatMembers(graph, chat.id);
    assert.deepEqual(members.map((m) => m.userId).sort(), [me.id, ana.id, guest.id].sort());
    assert.deepEqual(members.find((m) => m.userId === guest.id)?.roles, ['guest']);

    const anaMembership = members.find((m) => m.userId === ana.id)!;
    await removeChatMember(graph, chat.id, anaMembership.id);
    assert.deepEqual((await listChatMembers(graph, chat.id)).map((m) => m.userId).sort(), [me.id, guest.id].sort());
    assert.deepEqual(
      graph.made().map((c) => `${c.method} ${c.url}`),
      [
        `POST /chats/${encodeURIComponent(chat.id)}/members`,
        `GET /chats/${encodeURIComponent(chat.id)}/members`,
        `DELETE /chats/${encodeURIComponent(chat.id)}/members/${encodeURIComponent(anaMembership.id)}`,
        `GET /chats/${encodeURIComponent(chat.id)}/members`,
      ],
    );
    graph.assertNoViolations();
  });

  it('passes Graph refusing a guest bound as owner through as a 400', async () => {
    const graph = new MemoryGraph();
    const me = graph.signIn(graph.addUser({ displayName: 'Bridge Service' }));
    const guest = graph.addUser({ displayName: 'Gus Guest', userType: 'Guest' });
    const chat = graph.addChat({ topic: 'INC-5', memberIds: [me.id, graph.addUser({ displayName: 'Ana' }).id] });
    await assert.rejects(addChatMember(graph, chat.id, memberBinding(base, guest.id, false)), (e: unknown) => e instanceof GraphRequestError && e.status === 400);
  });
});
