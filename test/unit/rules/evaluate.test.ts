// Rules (shared/rules/projectSettings.ts defaults + shared/rules/evaluate.ts `decide`): which actions a Jira event
// triggers for a project, and the reason when it triggers none (shown to Jira as `202 ignored`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noChanges, type EventChanges, type JiraEvent } from '../../../shared/jira/events.js';
import { decide } from '../../../shared/rules/evaluate.js';
import { defaultRules, effectiveRules, projectSettingsSchema, type ProjectSettingsInput } from '../../../shared/rules/projectSettings.js';

const tenantId = '7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

function settings(input: Partial<ProjectSettingsInput> = {}) {
  return projectSettingsSchema.parse({ tenantId, ...input });
}

function event(overrides: Partial<Omit<JiraEvent, 'changes'>> & { changes?: Partial<EventChanges> } = {}): JiraEvent {
  const { changes, ...rest } = overrides;
  return {
    trigger: 'created',
    webhookEvent: overrides.trigger === 'updated' ? 'jira:issue_updated' : 'jira:issue_created',
    issueKey: 'INC-1',
    issueId: '10001',
    projectKey: 'INC',
    issueType: 'Task',
    labels: [],
    ...rest,
    changes: { ...noChanges, ...changes },
  };
}

function actionsOf(decision: ReturnType<typeof decide>): string[] {
  assert.equal(decision.kind, 'act', `ignored: ${decision.kind === 'ignore' && decision.reason}`);
  return decision.kind === 'act' ? decision.actions.map((a) => a.action) : [];
}

function reasonOf(decision: ReturnType<typeof decide>): string {
  assert.equal(decision.kind, 'ignore', `acted: ${JSON.stringify(decision)}`);
  return decision.kind === 'ignore' ? decision.reason : '';
}

describe('default rules', () => {
  const defaults = settings();

  it('a JSM incident created → incident chat (both the JSM "[System] Incident" and a plain "Incident" type)', () => {
    assert.deepEqual(actionsOf(decide(event({ issueType: '[System] Incident' }), defaults)), ['incident-chat']);
    assert.deepEqual(actionsOf(decide(event({ issueType: 'incident' }), defaults)), ['incident-chat'], 'case-insensitive');
  });

  it('a request of a chosen request type created → customer chat; other request types → nothing', () => {
    const s = settings({ customerChatRequestTypes: ['Get IT help', 'Report a bug'] });
    assert.deepEqual(actionsOf(decide(event({ issueType: '[System] Service request', requestType: 'Get IT help' }), s)), ['customer-chat']);
    assert.match(reasonOf(decide(event({ issueType: '[System] Service request', requestType: 'Request new hardware' }), s)), /no rule of project INC wants a created \[System\] Service request \(INC-1\)/);
    assert.equal(defaultRules(defaults).some((r) => r.action === 'customer-chat'), false, 'no customer chats until request types are chosen');
  });

  it('an epic created → epic chat', () => {
    assert.deepEqual(actionsOf(decide(event({ issueType: 'Epic' }), defaults)), ['epic-chat']);
  });

  it('assignee, participants or responders changed → sync members', () => {
    for (const change of ['assignee', 'requestParticipants', 'responders'] as const) {
      assert.deepEqual(actionsOf(decide(event({ trigger: 'updated', changes: { [change]: true } }), defaults)), ['sync-members'], change);
    }
  });

  it('resolved → close chat; reopened, priority or status alone → nothing by default', () => {
    assert.deepEqual(actionsOf(decide(event({ trigger: 'updated', changes: { resolution: 'resolved', status: true } }), defaults)), ['close-chat']);
    assert.match(reasonOf(decide(event({ trigger: 'updated', changes: { resolution: 'reopened', status: true } }), defaults)), /no rule.*updated Task/);
    assert.match(reasonOf(decide(event({ trigger: 'updated', changes: { priority: true } }), defaults)), /no rule/);
  });

  it('a resolve that also reassigns → both sync members and close chat, each once', () => {
    assert.deepEqual(actionsOf(decide(event({ trigger: 'updated', changes: { resolution: 'resolved', assignee: true } }), defaults)).sort(), ['close-chat', 'sync-members']);
  });

  it('a created Task, Story or Bug → nothing ("created" needs the type filter to match)', () => {
    for (const issueType of ['Task', 'Story', 'Bug', '']) assert.equal(decide(event({ issueType }), defaults).kind, 'ignore', issueType);
  });

  it('are what effectiveRules gives until the admin writes rules', () => {
    assert.deepEqual(effectiveRules(defaults), defaultRules(defaults));
    assert.deepEqual(effectiveRules(settings({ rules: [] })), []);
  });
});

describe('rule filters', () => {
  it('by issue type and priority (case-insensitive); a filter needs the issue to have the field', () => {
    const s = settings({ rules: [{ when: 'created', action: 'incident-chat', issueTypes: ['Bug'], priorities: ['Highest', 'high'] }] });
    assert.deepEqual(actionsOf(decide(event({ issueType: 'bug', priority: 'High' }), s)), ['incident-chat']);
    assert.equal(decide(event({ issueType: 'Bug', priority: 'Low' }), s).kind, 'ignore');
    assert.equal(decide(event({ issueType: 'Bug' }), s).kind, 'ignore', 'no priority on the issue');
    assert.equal(decide(event({ issueType: 'Task', priority: 'High' }), s).kind, 'ignore');
  });

  it('by request type', () => {
    const s = settings({ rules: [{ when: 'created', action: 'customer-chat', requestTypes: ['Get IT help'] }] });
    assert.deepEqual(actionsOf(decide(event({ requestType: 'get it help' }), s)), ['customer-chat']);
    assert.equal(decide(event({}), s).kind, 'ignore', 'not a JSM request');
  });

  it('by labels: any one label matches', () => {
    const s = settings({ rules: [{ when: 'created', action: 'chat', labels: ['war-room', 'sev1'] }] });
    assert.deepEqual(actionsOf(decide(event({ labels: ['backend', 'SEV1'] }), s)), ['chat']);
    assert.equal(decide(event({ labels: ['backend'] }), s).kind, 'ignore');
    assert.equal(decide(event({ labels: [] }), s).kind, 'ignore');
  });

  it('fields-changed fires on the listed fields only (all three when none are listed)', () => {
    const s = settings({ rules: [{ when: 'fields-changed', action: 'chat-update', fields: ['priority'] }] });
    assert.deepEqual(actionsOf(decide(event({ trigger: 'updated', changes: { priority: true } }), s)), ['chat-update']);
    assert.equal(decide(event({ trigger: 'updated', changes: { status: true } }), s).kind, 'ignore');
    const any = settings({ rules: [{ when: 'fields-changed', action: 'chat-update' }] });
    assert.deepEqual(actionsOf(decide(event({ trigger: 'updated', changes: { status: true } }), any)), ['chat-update']);
    assert.equal(decide(event({ trigger: 'created', changes: { status: true } }), any).kind, 'ignore', 'not on create');
  });

  it('updated fires on any update, reopened only on a cleared resolution', () => {
    const s = settings({ rules: [{ when: 'updated', action: 'chat-update' }, { when: 'reopened', action: 'chat', params: { message: 'Reopened' } }] });
    assert.deepEqual(actionsOf(decide(event({ trigger: 'updated' }), s)), ['chat-update']);
    const reopened = decide(event({ trigger: 'updated', changes: { resolution: 'reopened' } }), s);
    assert.deepEqual(reopened, { kind: 'act', actions: [{ action: 'chat-update', params: {} }, { action: 'chat', params: { message: 'Reopened' } }] }, 'rule params carried');
  });

  it('two rules with the same action plan it once, with the first rule\'s params', () => {
    const s = settings({ rules: [{ when: 'created', action: 'chat', params: { topic: 'first' } }, { when: 'created', action: 'chat', params: { topic: 'second' } }] });
    assert.deepEqual(decide(event(), s), { kind: 'act', actions: [{ action: 'chat', params: { topic: 'first' } }] });
  });
});

describe('ignored, with a reason', () => {
  it('a project with no settings', () => {
    assert.equal(reasonOf(decide(event({ projectKey: 'ZZZ' }), undefined)), 'project ZZZ is not configured for this site');
  });

  it('a disabled project, even for an event a rule wants', () => {
    assert.equal(reasonOf(decide(event({ issueType: 'Epic' }), settings({ enabled: false }))), 'project INC is switched off');
  });

  it('deleted issues and comments', () => {
    const everything = settings({ rules: [{ when: 'updated', action: 'chat-update' }, { when: 'created', action: 'chat' }] });
    assert.equal(reasonOf(decide(event({ trigger: 'deleted', webhookEvent: 'jira:issue_deleted' }), everything)), 'jira:issue_deleted events trigger no action');
    assert.equal(reasonOf(decide(event({ trigger: 'commented', webhookEvent: 'comment_created' }), everything)), 'comment_created events trigger no action');
  });
});

describe('project settings validation', () => {
  it('fills the documented defaults', () => {
    const s = settings();
    assert.equal(s.enabled, true);
    assert.equal(s.topicTemplate, '[{key}] {summary}');
    assert.deepEqual(s.memberFields, ['assignee', 'reporter', 'requestParticipants', 'responders']);
    assert.equal(s.removeDepartedMembers, false);
    assert.deepEqual(s.fieldIds, { requestType: 'customfield_10010', requestParticipants: 'customfield_10027', responders: 'customfield_10041' });
  });

  it('names the field that is wrong', () => {
    const cases: [unknown, string][] = [
      [{}, 'tenantId'],
      [{ tenantId: 'contoso.onmicrosoft.com' }, 'tenantId'],
      [{ tenantId, rules: [{ when: 'sometimes', action: 'chat' }] }, 'rules.0.when'],
      [{ tenantId, rules: [{ when: 'created', action: 'teleport' }] }, 'rules.0.action'],
      [{ tenantId, fieldIds: { requestType: 'request type', requestParticipants: 'customfield_1', responders: 'customfield_2' } }, 'fieldIds.requestType'],
      [{ tenantId, stakeholders: ['not-mail'] }, 'stakeholders.0'],
      [{ tenantId, memberFields: [] }, 'memberFields'],
    ];
    for (const [input, field] of cases) {
      const r = projectSettingsSchema.safeParse(input);
      assert.equal(r.success, false, JSON.stringify(input));
      assert.equal(r.error!.issues[0]!.path.join('.'), field, JSON.stringify(input));
    }
  });
});
