// Issue 3 end to end over real HTTP: the app in the local Functions host on real Azurite with fake Jira, Graph and
// Entra. Every bad request gets its precise status and a JSON error `{ error: { code, message } }` naming the
// problem, and creates no queue message (no queue-triggered function runs); the real captured payloads are
// accepted or ignored with a reason; replays are acknowledged once; webhook secrets rotate without a gap.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signBody } from '../../shared/jira/signature.js';
import { allQueueNames } from '../../shared/storage/queues.js';
import { startBridge, type Bridge } from '../support/bridge.js';
import { rawRequest } from '../support/http.js';
import { stampEvent } from '../support/jiraPayloads.js';
import { jiraFixturesDir } from '../support/repoRoot.js';
import { queueLength, resetQueues } from '../support/storage.js';

/** Small, so the 413 case needs no megabyte body; every real capture (≤ 16 KB) fits. */
const MAX_BODY_BYTES = 32 * 1024;
const queueFunctions = ['eventJobs', 'chatJobs', 'memberJobs', 'meetingJobs', 'stakeholderJobs', 'bookingJobs'];

const fixtureText = (name: string) => readFileSync(path.join(jiraFixturesDir(), name), 'utf8');

/** The Kanban capture turned into an incident of `key`'s project (the captures hold no JSM incident). */
function incidentBody(key: string) {
  const body = JSON.parse(fixtureText('issue_created.kanban.json'));
  body.issue.key = key;
  body.issue.fields.project.key = key.split('-')[0];
  body.issue.fields.issuetype.name = '[System] Incident';
  return stampEvent(body);
}

describe('Jira intake over HTTP', () => {
  let bridge: Bridge;
  let eventsUrl: string;
  const automationUrl = (action: string, site = bridge.siteId) => `${bridge.baseUrl}/api/jira/automation/${action}?site=${site}`;

  /** A JSM incident in the fake Jira whose assignee maps to a Microsoft 365 user, so its chat can be created. */
  let addIncident: (key: string) => void;

  before(async () => {
    // Test files share one Azurite: start from empty app queues so "nothing was enqueued" is this file's truth.
    await resetQueues(allQueueNames);
    bridge = await startBridge({ env: { JIRA_MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
    bridge.graph.addUser({ displayName: 'Alice Agent', mail: 'alice@contoso.example' });
    const alice = bridge.jira.addUser({ displayName: 'Alice Agent', emailAddress: 'alice@contoso.example', emailVisible: true });
    addIncident = (key) => void bridge.jira.addJsmIssue({ key, summary: `Incident ${key}`, assignee: alice });
    eventsUrl = `${bridge.baseUrl}/api/jira/events?site=${bridge.siteId}`;
    await bridge.configureProject('INC');
    await bridge.configureProject('OFF', { enabled: false });
  });
  after(async () => {
    if (process.env.SHOW_APP_LOGS) console.log(bridge?.app.logs.join('\n'));
    await bridge?.stop();
  });

  async function post(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}) {
    const response = await fetch(url, { method: init.method ?? 'POST', headers: init.headers, body: init.body });
    const text = await response.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // left as text: the assertion on `error` below then shows it
    }
    return { status: response.status, headers: response.headers, body };
  }

  const signed = (raw: string, secret = bridge.webhookSecret) => ({ 'content-type': 'application/json', 'x-hub-signature': signBody(secret, raw) });
  const bearer = () => ({ 'content-type': 'application/json', authorization: `Bearer ${bridge.automationToken}` });

  /** Lines the queue-triggered functions wrote since `mark` (an index into the app's log). */
  const jobLines = (mark: number) => bridge.app.logs.slice(mark).filter((l) => queueFunctions.some((f) => l.includes(`'Functions.${f}'`)));

  /** Runs `send`, asserts the JSON error, then that no message reached any app queue and no job ran. */
  async function assertRefused(send: () => Promise<{ status: number; body: any }>, status: number, code: string, message: RegExp) {
    const mark = bridge.app.logs.length;
    const graphBefore = bridge.graph.requests.length;
    const response = await send();
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.equal(response.body?.error?.code, code, JSON.stringify(response.body));
    assert.match(response.body.error.message, message);
    assert.deepEqual(await Promise.all(allQueueNames.map(queueLength)), allQueueNames.map(() => 0), 'no queue message');
    await bridge.app.waitForIdle(undefined, 10_000);
    assert.deepEqual(jobLines(mark), [], 'no job ran');
    assert.equal(bridge.graph.requests.length, graphBefore, 'no Graph call');
  }

  describe('bad input', () => {
    it('webhook without a signature → 401 signature_missing', async () => {
      const raw = JSON.stringify(incidentBody('INC-1'));
      await assertRefused(() => post(eventsUrl, { headers: { 'content-type': 'application/json' }, body: raw }), 401, 'signature_missing', /X-Hub-Signature header is missing/);
    });

    it('webhook with a wrong signature → 401 signature_invalid', async () => {
      const raw = JSON.stringify(incidentBody('INC-1'));
      await assertRefused(() => post(eventsUrl, { headers: signed(raw, 'not-the-secret'), body: raw }), 401, 'signature_invalid', /does not match/);
      await assertRefused(() => bridge.webhook(incidentBody('INC-1'), { headers: { 'x-hub-signature': 'sha1=abc' } }), 401, 'signature_invalid', /X-Hub-Signature/);
    });

    it('unknown site → 404, missing site → 400', async () => {
      const raw = JSON.stringify(incidentBody('INC-1'));
      await assertRefused(() => post(`${bridge.baseUrl}/api/jira/events?site=no-such-site`, { headers: signed(raw), body: raw }), 404, 'unknown_site', /no-such-site/);
      await assertRefused(() => post(`${bridge.baseUrl}/api/jira/events`, { headers: signed(raw), body: raw }), 400, 'site_missing', /\?site=/);
      await assertRefused(() => post(automationUrl('chat', 'no-such-site'), { headers: bearer(), body: '{"issueKey":"INC-1"}' }), 404, 'unknown_site', /no-such-site/);
      await assertRefused(() => post(`${bridge.baseUrl}/api/jira/automation/chat`, { headers: bearer(), body: '{"issueKey":"INC-1"}' }), 400, 'site_missing', /site/);
    });

    it('a chunked body (which Azure drops) → 411 body_required saying why, never a misleading 401', async () => {
      // Sent over real HTTP with Transfer-Encoding: chunked, signed correctly: the host hands the app an empty body.
      const raw = JSON.stringify(incidentBody('INC-1'));
      const send = (path: string, headers: Record<string, string>, body: string) => async () => {
        const response = await rawRequest(bridge.baseUrl, path, { method: 'POST', headers, body, chunked: true });
        return { status: response.status, body: JSON.parse(response.body || 'null') };
      };
      await assertRefused(send(`/api/jira/events?site=${bridge.siteId}`, signed(raw), raw), 411, 'body_required', /Content-Length.*chunked/);
      await assertRefused(send(`/api/jira/automation/chat?site=${bridge.siteId}`, bearer(), '{"issueKey":"INC-1"}'), 411, 'body_required', /Content-Length.*chunked/);
    });

    it('dot segments resolve as Kestrel does: /api/jira/../manage/... is the manage route, and needs the function key', async () => {
      for (const path of [`/api/jira/../manage/sites`, `/api/jira/%2e%2e/manage/sites`, `/api/jira/events/..%2F..%2Fmanage/sites`]) {
        const response = await rawRequest(bridge.baseUrl, path);
        assert.ok(response.status === 401 || response.status === 404, `${path} answered ${response.status}`);
        assert.ok(!response.body.includes(bridge.siteId), `${path} leaked the sites list`);
      }
      assert.equal((await rawRequest(bridge.baseUrl, '/api/jira/../manage/sites')).status, 401, 'resolved to the manage route, which wants the key');
      const keyed = await rawRequest(bridge.baseUrl, '/api/jira/%2E%2E/manage/sites', { headers: { 'x-functions-key': bridge.app.functionKey } });
      assert.equal(keyed.status, 200, 'with the key it is exactly the route the resolved path names');
      assert.equal((await rawRequest(bridge.baseUrl, '/api/jira/events/..%2F..%2Fmanage/sites')).status, 404, '%2F is never a separator');
    });

    it('unknown Automation action → 404 listing the actions', async () => {
      await assertRefused(() => bridge.automation('make-coffee', { issueKey: 'INC-1' }), 404, 'unknown_action', /"make-coffee" does not exist.*incident-chat/);
    });

    it('wrong method → 405 with an Allow header', async () => {
      const mark = bridge.app.logs.length;
      const get = await post(eventsUrl, { method: 'GET' });
      assert.equal(get.status, 405);
      assert.equal(get.body.error.code, 'method_not_allowed');
      assert.equal(get.headers.get('allow'), 'POST');
      await assertRefused(() => post(automationUrl('chat'), { method: 'PUT', headers: bearer(), body: '{"issueKey":"INC-1"}' }), 405, 'method_not_allowed', /POST/);
      assert.deepEqual(jobLines(mark), []);
    });

    it('non-JSON Content-Type → 415', async () => {
      const raw = JSON.stringify(incidentBody('INC-1'));
      await assertRefused(() => post(eventsUrl, { headers: { ...signed(raw), 'content-type': 'text/plain' }, body: raw }), 415, 'unsupported_media_type', /"text\/plain" is not JSON/);
      await assertRefused(() => bridge.automation('chat', { issueKey: 'INC-1' }, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type', /x-www-form-urlencoded/);
    });

    it('malformed JSON → 400', async () => {
      await assertRefused(() => bridge.webhook(undefined, { rawBody: '{"webhookEvent":"jira:issue_created","issue":' }), 400, 'malformed_json', /not valid JSON/);
      await assertRefused(() => post(automationUrl('chat'), { headers: bearer(), body: "{issueKey: 'INC-1'}" }), 400, 'malformed_json', /not valid JSON/);
    });

    it('a body over JIRA_MAX_BODY_BYTES → 413 naming the limit', async () => {
      const big = incidentBody('INC-1');
      big.issue.fields.summary = 'x'.repeat(MAX_BODY_BYTES);
      await assertRefused(() => bridge.webhook(big), 413, 'body_too_large', new RegExp(`${MAX_BODY_BYTES} bytes \\(JIRA_MAX_BODY_BYTES\\)`));
      await assertRefused(() => bridge.automation('chat', { issueKey: 'INC-1', message: 'x'.repeat(MAX_BODY_BYTES) }), 413, 'body_too_large', /JIRA_MAX_BODY_BYTES/);
    });

    it('no issue key → 400 naming where it looked', async () => {
      const noIssue = incidentBody('INC-1');
      delete noIssue.issue;
      await assertRefused(() => bridge.webhook(noIssue), 400, 'invalid_event', /issue\.key/);
      await assertRefused(() => bridge.automation('incident-chat', { summary: 'no key' }), 400, 'invalid_body', /issueKey \(custom data\), issue\.key \(Jira format\) and key \(Automation format\)/);
    });

    it('Automation without or with a wrong token → 401', async () => {
      await assertRefused(() => post(automationUrl('chat'), { headers: { 'content-type': 'application/json' }, body: '{"issueKey":"INC-1"}' }), 401, 'token_missing', /Bearer/);
      await assertRefused(() => bridge.automation('chat', { issueKey: 'INC-1' }, { token: bridge.webhookSecret }), 401, 'token_invalid', /automation token/);
    });

    it('bad custom data → 400 naming the field', async () => {
      await assertRefused(() => bridge.automation('meeting', { issueKey: 'INC-1', start: 'tomorrow' }), 400, 'invalid_body', /^start/);
    });
  });

  describe('good input', () => {
    it('every real captured payload is accepted or ignored with a reason, never refused or 500', async () => {
      const files = ['comment_created.json', 'issue_created.epic.json', 'issue_created.kanban.json', 'issue_created.many-custom-fields.json', 'issue_created.story.json', 'issue_updated.assignee.json', 'issue_updated.description-ari-changelog.json', 'issue_updated.description.json', 'issue_updated.priority.json', 'issue_updated.reopened.with-epic-parent.json', 'issue_updated.status-transition.json', 'issue_updated.unassigned.json'];
      // Their projects, except PI (the Epic sample), configured with the default rules; the jobs find the issues.
      for (const project of ['KAN', 'GBL', 'CRM', 'TALK', 'TES', 'KT', 'LD']) await bridge.configureProject(project);
      for (const file of files) bridge.jira.addIssueFromWebhookFixture(file);
      const outcomes: Record<string, string> = {};
      for (const file of files) {
        // The capture's own bytes, signed, as Jira sends them.
        const response = await bridge.webhook(undefined, { rawBody: fixtureText(file), deliveryId: `fixture-${file}` });
        assert.equal(response.status, 202, `${file}: ${JSON.stringify(response.body)}`);
        outcomes[file] = response.body.status === 'ignored' ? `ignored: ${response.body.reason}` : `${response.body.status}: ${response.body.actions.join(',')}`;
      }
      assert.deepEqual(outcomes, {
        'comment_created.json': 'ignored: comment_created events trigger no action',
        'issue_created.epic.json': 'ignored: project PI is not configured for this site',
        'issue_created.kanban.json': 'ignored: no rule of project KAN wants a created Task (KAN-22)',
        'issue_created.many-custom-fields.json': 'ignored: no rule of project KT wants a created Task (KT-22)',
        'issue_created.story.json': 'ignored: no rule of project GBL wants a created Story (GBL-108)',
        'issue_updated.assignee.json': 'accepted: sync-members',
        'issue_updated.description-ari-changelog.json': 'ignored: no rule of project TALK wants a updated Bug (TALK-132)',
        'issue_updated.description.json': 'ignored: no rule of project KAN wants a updated Task (KAN-22)',
        'issue_updated.priority.json': 'ignored: no rule of project TES wants a updated Story (TES-41)',
        'issue_updated.reopened.with-epic-parent.json': 'ignored: no rule of project LD wants a updated Task (LD-109)',
        'issue_updated.status-transition.json': 'ignored: no rule of project GBL wants a updated Story (GBL-142)',
        'issue_updated.unassigned.json': 'accepted: sync-members',
      });
      // Once its project is configured the Epic sample asks for an epic chat (its people are not Microsoft 365 users
      // here, so the job reports them instead of creating a chat; that is the chat tests' business).
      await bridge.configureProject('PI');
      const epic = await bridge.webhook(undefined, { rawBody: fixtureText('issue_created.epic.json'), deliveryId: 'fixture-epic-configured' });
      assert.equal(epic.status, 202);
      assert.deepEqual(epic.body.actions, ['epic-chat']);
      await bridge.app.waitForIdle(undefined, 30_000);
      assert.equal(bridge.app.logs.filter((l) => l.includes('internal_error')).length, 0, 'no 500');
    });

    it('a replayed delivery (same X-Atlassian-Webhook-Identifier) is acknowledged as duplicate and enqueued once', async () => {
      const mark = bridge.app.logs.length;
      addIncident('INC-20');
      const first = await bridge.webhook(incidentBody('INC-20'), { deliveryId: 'replayed-delivery' });
      assert.equal(first.body.status, 'accepted', JSON.stringify(first.body));
      const replay = await bridge.webhook(incidentBody('INC-20'), { deliveryId: 'replayed-delivery' });
      assert.equal(replay.status, 202);
      assert.deepEqual(replay.body, { status: 'duplicate', deliveryId: 'replayed-delivery' });
      await bridge.app.waitForIdle(undefined, 30_000);
      const fanOuts = bridge.app.logs.slice(mark).filter((l) => l.includes("Executing 'Functions.eventJobs'"));
      assert.equal(fanOuts.length, 1, 'one event job');
      assert.equal(bridge.graph.chatsWithTopic(/INC-20/).length, 1, 'one chat');
    });

    it('a captured signed delivery replayed with its X-Atlassian-Webhook-Identifier changed or removed is a duplicate: one job, one chat', async () => {
      const mark = bridge.app.logs.length;
      addIncident('INC-21');
      // What an attacker who captured one delivery holds: its exact bytes and their valid signature.
      const raw = JSON.stringify(incidentBody('INC-21'));
      const first = await bridge.webhook(undefined, { rawBody: raw, deliveryId: 'captured-delivery' });
      assert.equal(first.body.status, 'accepted', JSON.stringify(first.body));
      const changed = await bridge.webhook(undefined, { rawBody: raw, deliveryId: 'forged-delivery-id' });
      const removed = await bridge.webhook(undefined, { rawBody: raw });
      for (const replay of [changed, removed]) {
        assert.equal(replay.status, 202);
        assert.equal(replay.body.status, 'duplicate', JSON.stringify(replay.body));
      }
      await bridge.app.waitForIdle(undefined, 30_000);
      const fanOuts = bridge.app.logs.slice(mark).filter((l) => l.includes("Executing 'Functions.eventJobs'"));
      assert.equal(fanOuts.length, 1, 'one event job');
      assert.equal(bridge.graph.chatsWithTopic(/INC-21/).length, 1, 'one chat');
    });

    it('Automation: the three body formats each enqueue the right job', async () => {
      addIncident('INC-30');
      const cases = [
        // Issue data (Automation format): a bare issue object with numeric ids.
        { format: 'automation', action: 'incident-chat', fn: 'chatJobs', queue: 'chat-jobs', body: { id: 11111, key: 'INC-30', fields: { issuetype: { id: 22222, name: '[System] Incident' }, project: { id: 10002, key: 'INC' } } } },
        // Issue data (Jira format): { issue: {...} }.
        { format: 'jira', action: 'sync-members', fn: 'memberJobs', queue: 'member-jobs', body: { issue: { id: 11111, key: 'INC-30', fields: {} } } },
        // Custom data: { issueKey, ...params }.
        { format: 'custom', action: 'close-chat', fn: 'chatJobs', queue: 'chat-jobs', body: { issueKey: 'INC-30', summary: 'Fixed' } },
      ];
      for (const c of cases) {
        const mark = bridge.app.logs.length;
        const response = await bridge.automation(c.action, c.body);
        assert.equal(response.status, 202, JSON.stringify(response.body));
        assert.equal(response.body.status, 'accepted');
        assert.equal(response.body.action, c.action);
        assert.equal(response.body.issueKey, 'INC-30');
        const accepted = bridge.app.logs.slice(mark).find((l) => l.includes('jira.automation.accepted'));
        assert.ok(accepted?.includes(`"format":"${c.format}"`), `${c.format}: ${accepted}`);
        await bridge.app.waitForIdle(undefined, 30_000);
        const since = bridge.app.logs.slice(mark);
        assert.ok(since.some((l) => l.includes(`Executing 'Functions.${c.fn}'`)), `${c.action} ran in ${c.fn}`);
        // The job runner's lines carry the job id and the queue it came from.
        const done = since.find((l) => l.includes('"event":"job.') && l.includes(response.body.jobId));
        assert.ok(done?.includes(`"queue":"${c.queue}"`) && done.includes(`"action":"${c.action}"`), `job ${response.body.jobId} on ${c.queue}: ${done}`);
      }
      assert.equal(bridge.graph.chatsWithTopic(/INC-30/).length, 1, 'the incident chat exists');
    });

    it('a disabled project and an unwanted event are answered 202 ignored with the reason, not enqueued', async () => {
      const mark = bridge.app.logs.length;
      const disabled = await bridge.webhook(incidentBody('OFF-1'));
      assert.deepEqual({ status: disabled.status, body: disabled.body }, { status: 202, body: { status: 'ignored', reason: 'project OFF is switched off' } });
      const automationDisabled = await bridge.automation('chat', { issueKey: 'OFF-1' });
      assert.deepEqual(automationDisabled.body, { status: 'ignored', reason: 'project OFF is switched off' });
      const unwanted = incidentBody('INC-40');
      unwanted.issue.fields.issuetype.name = 'Task';
      const ignored = await bridge.webhook(unwanted);
      assert.deepEqual(ignored.body, { status: 'ignored', reason: 'no rule of project INC wants a created Task (INC-40)' });
      const worklog = await bridge.webhook({ ...incidentBody('INC-41'), webhookEvent: 'worklog_updated' });
      assert.deepEqual(worklog.body, { status: 'ignored', reason: '"worklog_updated" events trigger no action' });
      await bridge.app.waitForIdle(undefined, 10_000);
      assert.deepEqual(jobLines(mark), []);
    });
  });

  describe('admin: sites and secrets', () => {
    it('reading a site back shows that secrets are set, never their values (nor in the logs)', async () => {
      const one = await bridge.admin('GET', `sites/${bridge.siteId}`);
      assert.equal(one.status, 200);
      assert.equal(one.body.webhookSecret, 'set');
      assert.equal(one.body.automationToken, 'set');
      assert.equal(one.body.jiraApiToken, 'set');
      assert.equal(one.body.webhookUrl, `${bridge.baseUrl}/api/jira/events?site=${bridge.siteId}`);
      const list = await bridge.admin('GET', 'sites');
      assert.equal(list.status, 200);
      const secrets = [bridge.webhookSecret, bridge.automationToken, bridge.jira.credentials.apiToken];
      for (const text of [JSON.stringify(one.body), JSON.stringify(list.body), bridge.app.logs.join('\n')]) {
        for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret value leaked');
      }
    });

    it('webhook secret rotation: the new and the previous secret verify; after a second rotation the oldest fails', async () => {
      const original = bridge.webhookSecret;
      const first = await bridge.admin('POST', `sites/${bridge.siteId}/secrets/webhook-secret`);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const second = first.body.webhookSecret as string;
      assert.notEqual(second, original, 'a new value each time: the old one is never shown again');
      assert.match(first.body.note, /previous secret stays valid/);

      const body = incidentBody('INC-1');
      body.issue.fields.issuetype.name = 'Task'; // ignored by the rules: verification is what is under test
      assert.equal((await bridge.webhook(body, { secret: second })).status, 202, 'the new secret verifies');
      assert.equal((await bridge.webhook(body, { secret: original })).status, 202, 'the previous secret still verifies');

      const again = await bridge.admin('POST', `sites/${bridge.siteId}/secrets/webhook-secret`);
      assert.equal(again.status, 201);
      const third = again.body.webhookSecret as string;
      bridge.webhookSecret = third;
      assert.equal((await bridge.webhook(body, { secret: third })).status, 202);
      assert.equal((await bridge.webhook(body, { secret: second })).status, 202, 'one generation back still verifies');
      const oldest = await bridge.webhook(body, { secret: original });
      assert.equal(oldest.status, 401, 'two generations back no longer verifies');
      assert.equal(oldest.body.error.code, 'signature_invalid');
    });

    it('automation token rotation: the previous token stops working at once', async () => {
      const previous = bridge.automationToken;
      const rotated = await bridge.admin('POST', `sites/${bridge.siteId}/secrets/automation-token`);
      assert.equal(rotated.status, 201);
      bridge.automationToken = rotated.body.automationToken;
      assert.notEqual(bridge.automationToken, previous);
      assert.equal((await bridge.automation('chat', { issueKey: 'OFF-1' })).status, 202);
      const stale = await bridge.automation('chat', { issueKey: 'OFF-1' }, { token: previous });
      assert.equal(stale.status, 401);
      assert.equal(stale.body.error.code, 'token_invalid');
    });

    it('project settings validation errors name the field', async () => {
      const cases: [unknown, RegExp][] = [
        [{ tenantId: 'contoso' }, /^body\.tenantId: must be an Entra tenant id/],
        [{ tenantId: bridge.tenantId, rules: [{ when: 'sometimes', action: 'chat' }] }, /^body\.rules\.0\.when:/],
        [{ tenantId: bridge.tenantId, rules: [{ when: 'created', action: 'chat', issueTypes: 'Bug' }] }, /^body\.rules\.0\.issueTypes:/],
        [{ tenantId: bridge.tenantId, fieldIds: { requestType: 'x', requestParticipants: 'customfield_1', responders: 'customfield_2' } }, /^body\.fieldIds\.requestType:/],
        // Rule params are checked at save with the schema the job uses, not first when a job runs (issue 13).
        [{ tenantId: bridge.tenantId, rules: [{ when: 'created', action: 'chat' }, { when: 'created', action: 'meeting', params: { start: 'tomorrow' } }] }, /^body\.rules\.1 \(created → meeting\): params\.start:/],
        [{ tenantId: bridge.tenantId, rules: [{ when: 'resolved', action: 'stakeholder-update', params: { subject: 'Done' } }] }, /^body\.rules\.0 \(resolved → stakeholder-update\): params\.message:/],
        [{ tenantId: bridge.tenantId, rules: [{ when: 'created', action: 'chat', params: { topc: '{key}' } }] }, /^body\.rules\.0 \(created → chat\): params\.topc: /],
      ];
      for (const [settings, message] of cases) {
        const response = await bridge.admin('PUT', `sites/${bridge.siteId}/projects/NEW`, settings);
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.equal(response.body.error.code, 'invalid_request');
        assert.match(response.body.error.message, message);
      }
      const badKey = await bridge.admin('PUT', `sites/${bridge.siteId}/projects/new-project`, { tenantId: bridge.tenantId });
      assert.equal(badKey.status, 400);
      assert.match(badKey.body.error.message, /^projectKey:/);
      assert.equal((await bridge.admin('GET', `sites/${bridge.siteId}/projects/NEW`)).status, 404, 'nothing was saved');
    });
  });
});
