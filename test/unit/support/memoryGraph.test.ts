import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { describe, it } from 'node:test';
import { MemoryGraph } from '../../support/memoryGraph.js';

describe('the typed in-memory Graph', () => {
  it('refuses a request Microsoft\'s v1.0 schema refuses, and remembers it', async () => {
    const graph = new MemoryGraph();
    graph.signIn(graph.addUser({ displayName: 'Bridge Service' }));
    await assert.rejects(graph.post('/chats', { chatType: 'group', topik: 'misspelt' }), AssertionError);
    await assert.rejects(graph.post('/chats/19%3Ax%40thread.v2/messages', { body: { contentType: 'HTML', content: 'x' } }), AssertionError);
    await assert.rejects(graph.get('/users/x?$select=nonsense'), AssertionError);
    assert.equal(graph.violations.length, 3);
    assert.throws(() => graph.assertNoViolations(), AssertionError);
  });
});
