// Topic limits are Graph's: at most 250 characters as Graph counts them, which is UTF-16 code units (a .NET
// string's Length), and no ':' (chat-patch.md, microsoft-graph-docs#18539).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxTopicLength, renderTopic, sanitiseTopic } from '../../../shared/chats/topic.js';

const hasLoneSurrogate = (s: string) => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('chat topics', () => {
  it('a summary full of emoji is cut to 250 UTF-16 units, never in the middle of a surrogate pair', () => {
    for (const pad of ['', 'a', 'ab']) {
      const topic = renderTopic('[{key}] {summary}', { key: 'INC-1', summary: `${pad}${'🔥'.repeat(300)}`, issueType: 'Incident' });
      assert.ok(topic.length <= maxTopicLength, `${topic.length} UTF-16 units`);
      assert.ok(!hasLoneSurrogate(topic), 'no half of an emoji');
      assert.ok(topic.endsWith('…'));
    }
  });

  it('a topic that fits is kept as it is, emoji included', () => {
    const text = `${'x'.repeat(246)}🔥🔥`; // 250 UTF-16 units, 248 code points
    assert.equal(sanitiseTopic(text), text);
    assert.equal(sanitiseTopic(`${text}y`).length <= maxTopicLength, true);
  });

  it('a combining sequence or ZWJ emoji is not split into a dangling joiner', () => {
    const family = '👩‍👩‍👧‍👦';
    const topic = sanitiseTopic(`${'x'.repeat(240)}${family.repeat(3)}`);
    assert.ok(topic.length <= maxTopicLength);
    assert.ok(!hasLoneSurrogate(topic));
    assert.ok(!/\u200d…$/.test(topic), 'no joiner right before the ellipsis');
  });
});
