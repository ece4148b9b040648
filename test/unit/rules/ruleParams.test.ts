// Rule params checked at save time (shared/rules/ruleParams.ts) with the job's own per-action schemas.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ruleParamsProblem } from '../../../shared/rules/ruleParams.js';
import { customDataSchemas } from '../../../shared/jira/automation.js';
import { parseParams } from '../../../shared/workflows/meeting.js';
import type { Rule } from '../../../shared/rules/projectSettings.js';

describe('ruleParamsProblem', () => {
  it('accepts rules without params and params the job accepts', () => {
    const rules: Rule[] = [
      { when: 'created', action: 'incident-chat' },
      { when: 'created', action: 'chat', params: { topic: '[{key}] war room', members: ['557058:abc', ''] } },
      { when: 'created', action: 'meeting', params: { subject: 'Review {key}', start: '2026-12-07T10:00:00.0+0100' } },
      { when: 'resolved', action: 'close-chat', params: { summary: 'Done', renameTopic: false } },
      { when: 'resolved', action: 'cancel-booking', params: { cancel: true } },
      { when: 'updated', action: 'chat-update' },
    ];
    assert.equal(ruleParamsProblem(rules), undefined);
    assert.equal(ruleParamsProblem(undefined), undefined);
  });

  it('names the rule, its trigger and action, and the field', () => {
    const cases: [Rule, string][] = [
      [{ when: 'created', action: 'meeting', params: { start: 'next week' } }, 'rules.1 (created → meeting): params.start: '],
      [{ when: 'resolved', action: 'stakeholder-update', params: {} }, 'rules.1 (resolved → stakeholder-update): params.message: '],
      [{ when: 'resolved', action: 'stakeholder-update', params: { message: 'x', recipients: ['not an address'] } }, 'rules.1 (resolved → stakeholder-update): params.recipients.0: '],
      [{ when: 'created', action: 'chat', params: { members: 'pat@contoso.com' } }, 'rules.1 (created → chat): params.members: '],
      [{ when: 'resolved', action: 'close-chat', params: { renameTopic: 'yes' } }, 'rules.1 (resolved → close-chat): params.renameTopic: '],
      [{ when: 'resolved', action: 'cancel-booking', params: { cancel: 'true' } }, 'rules.1 (resolved → cancel-booking): params.cancel: '],
      [{ when: 'created', action: 'meeting', params: { subjet: 'typo' } }, 'rules.1 (created → meeting): params.subjet: '],
    ];
    for (const [rule, prefix] of cases) {
      const problem = ruleParamsProblem([{ when: 'created', action: 'chat' }, rule]);
      assert.ok(problem?.startsWith(prefix), `${JSON.stringify(rule)} → ${problem}`);
    }
  });

  it('what it accepts the job accepts, and what the job refuses it refuses first', () => {
    const good = { subject: 'x', start: '2026-12-07T10:00:00.0+0100' };
    assert.equal(ruleParamsProblem([{ when: 'created', action: 'meeting', params: good }]), undefined);
    assert.doesNotThrow(() => parseParams(customDataSchemas.meeting, good, 'meeting'));
    const bad = { subject: 'x'.repeat(256) };
    assert.throws(() => parseParams(customDataSchemas.meeting, bad, 'meeting'), /params_invalid|subject/);
    assert.match(ruleParamsProblem([{ when: 'created', action: 'meeting', params: bad }]) ?? '', /params\.subject: /);
  });
});
