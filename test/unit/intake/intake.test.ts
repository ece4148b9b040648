// The acknowledgement path (shared/intake/intake.ts) with hand-written fakes of its deps: every bad request gets
// its precise status and a JSON error naming the problem and is never enqueued; good ones are enqueued once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../../shared/config.js';
import type { HttpOutcome, RawRequest } from '../../../shared/http/outcome.js';
import { acceptAutomation, acceptJiraWebhook, createRecentDeliveries, type IntakeDeps } from '../../../shared/intake/intake.js';
import type { SettingsCache, SiteCredentials } from '../../../shared/intake/settingsCache.js';
import { signBody } from '../../../shared/jira/signature.js';
import type { EventMessage, JobMessage } from '../../../shared/jobs/messages.js';
import { memoryLogger } from '../../../shared/log.js';
import { projectSettingsSchema, type ProjectSettings, type ProjectSettingsInput } from '../../../shared/rules/projectSettings.js';
import type { QueueAccess } from '../../../shared/storage/queueAccess.js';
import { jiraFixturesDir } from '../../support/repoRoot.js';

const SITE = 'acme';
const SECRET = 'current-secret';
const PREVIOUS = 'previous-secret';
const TOKEN = 'automation-token-value';
const MAX_BODY = 64 * 1024;
const tenantId = '7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

/** Records what was sent; `failNext` makes the next send reject like a storage outage. */
class FakeQueues implements QueueAccess {
  sent: { queue: string; message: any }[] = [];
  failNext = false;
  async send(queue: string, message: unknown) {
    if (this.failNext) {
      this.failNext = false;
      throw Object.assign(new Error('queue unavailable'), { statusCode: 503 });
    }
    this.sent.push({ queue, message: structuredClone(message) });
    return { messageId: String(this.sent.length) };
  }
  receive(): never {
    throw new Error('the acknowledgement path never reads queues');
  }
  peek(): never {
    throw new Error('the acknowledgement path never reads queues');
  }
  remove(): never {
    throw new Error('the acknowledgement path never reads queues');
  }
  approximateCount(): never {
    throw new Error('the acknowledgement path never reads queues');
  }
}

/**
 * `sites` is what this instance has cached; `stored` (when set) is what storage holds after another instance
 * rotated a secret. A read with `maxAgeMs` (a re-read) sees `stored`, like the real cache reloading an old entry.
 */
class FakeSettings implements SettingsCache {
  sites = new Map<string, SiteCredentials>();
  stored = new Map<string, SiteCredentials>();
  projects = new Map<string, ProjectSettings>();
  projectLookups: string[] = [];
  reloads = 0;
  async site(siteId: string, options: { maxAgeMs?: number } = {}) {
    if (options.maxAgeMs === undefined) return this.sites.get(siteId);
    this.reloads++;
    const fresh = this.stored.get(siteId) ?? this.sites.get(siteId);
    if (fresh) this.sites.set(siteId, fresh);
    return fresh;
  }
  async project(siteId: string, projectKey: string) {
    this.projectLookups.push(projectKey);
    return this.projects.get(`${siteId}:${projectKey}`);
  }
  clear() {}
  addSite(siteId: string, secrets: string[], automationToken?: string) {
    const site = { siteId, jiraBaseUrl: 'https://acme.atlassian.net', jiraEmail: 'svc@acme.example', webhookSecretGeneration: secrets.length, automationTokenGeneration: automationToken ? 1 : 0, createdAt: '', updatedAt: '' };
    this.sites.set(siteId, { site, webhookSecrets: secrets, automationToken });
  }
  configure(projectKey: string, input: Partial<ProjectSettingsInput> = {}) {
    this.projects.set(`${SITE}:${projectKey}`, projectSettingsSchema.parse({ tenantId, ...input }));
  }
}

const fixtureText = (name: string) => readFileSync(path.join(jiraFixturesDir(), name), 'utf8');

/** The Kanban capture turned into an incident of project INC (the captures hold no JSM incident). */
function incidentBody(key = 'INC-7') {
  const body = JSON.parse(fixtureText('issue_created.kanban.json'));
  body.issue.key = key;
  body.issue.fields.project.key = key.split('-')[0];
  body.issue.fields.issuetype.name = '[System] Incident';
  return body;
}

let queues: FakeQueues;
let settings: FakeSettings;
let deps: IntakeDeps;
let fetched: string[];
const realFetch = globalThis.fetch;

beforeEach(() => {
  queues = new FakeQueues();
  settings = new FakeSettings();
  settings.addSite(SITE, [SECRET, PREVIOUS], TOKEN);
  settings.configure('INC');
  deps = {
    queues,
    settings,
    config: loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', JIRA_MAX_BODY_BYTES: String(MAX_BODY) }),
    clock: { now: () => new Date('2026-11-22T03:00:00Z') },
    log: memoryLogger(),
    recentDeliveries: createRecentDeliveries(),
  };
  // Payload URLs (`self`, avatars) must never be fetched: any fetch during a test is recorded and fails it.
  fetched = [];
  globalThis.fetch = (async (input: string | URL | Request) => {
    fetched.push(String(input instanceof Request ? input.url : input));
    throw new Error('the acknowledgement path must not fetch anything');
  }) as typeof fetch;
});

afterEach(() => {
  globalThis.fetch = realFetch;
  assert.deepEqual(fetched, [], 'nothing was fetched');
});

function webhookRequest(body: unknown, options: { raw?: string | Buffer; secret?: string | null; headers?: Record<string, string | undefined>; method?: string; site?: string | null } = {}): RawRequest {
  const raw = Buffer.from(options.raw ?? JSON.stringify(body));
  const headers: Record<string, string | undefined> = { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(raw.length) };
  if (options.secret !== null) headers['x-hub-signature'] = signBody(options.secret ?? SECRET, raw);
  return {
    method: options.method ?? 'POST',
    headers: { ...headers, ...options.headers },
    query: options.site === null ? {} : { site: options.site ?? SITE },
    params: {},
    body: raw,
  };
}

function automationRequest(action: string, body: unknown, options: { raw?: string; token?: string | null; headers?: Record<string, string | undefined>; method?: string; site?: string | null } = {}): RawRequest {
  const raw = Buffer.from(options.raw ?? JSON.stringify(body));
  const headers: Record<string, string | undefined> = { 'content-type': 'application/json', 'content-length': String(raw.length) };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  return {
    method: options.method ?? 'POST',
    headers: { ...headers, ...options.headers },
    query: options.site === null ? {} : { site: options.site ?? SITE },
    params: { action },
    body: raw,
  };
}

/** Asserts a JSON error with `status` and `code` whose message matches, and that nothing was enqueued. */
function assertRefused(outcome: HttpOutcome, status: number, code: string, message: RegExp) {
  assert.equal(outcome.status, status, JSON.stringify(outcome.body));
  const error = (outcome.body as { error?: { code?: string; message?: string } }).error;
  assert.equal(error?.code, code, JSON.stringify(outcome.body));
  assert.match(error?.message ?? '', message);
  assert.deepEqual(queues.sent, [], 'nothing enqueued');
}

describe('acceptJiraWebhook: bad input', () => {
  it('wrong method → 405 with Allow', async () => {
    const outcome = await acceptJiraWebhook(webhookRequest(incidentBody(), { method: 'GET' }), deps);
    assertRefused(outcome, 405, 'method_not_allowed', /POST/);
    assert.equal(outcome.headers?.Allow, 'POST');
  });

  it('no site parameter → 400 naming it', async () => {
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { site: null }), deps), 400, 'site_missing', /site query parameter/);
  });

  it('unknown or malformed site → 404', async () => {
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { site: 'other-site' }), deps), 404, 'unknown_site', /other-site/);
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { site: '../../etc' }), deps), 404, 'unknown_site', /no site/);
  });

  it('a body over JIRA_MAX_BODY_BYTES → 413, by actual size or by declared Content-Length', async () => {
    const big = incidentBody();
    big.issue.fields.summary = 'x'.repeat(MAX_BODY);
    assertRefused(await acceptJiraWebhook(webhookRequest(big), deps), 413, 'body_too_large', new RegExp(`${MAX_BODY} bytes \\(JIRA_MAX_BODY_BYTES\\)`));
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { headers: { 'content-length': String(MAX_BODY + 1) } }), deps), 413, 'body_too_large', /limit/);
  });

  it('a site without a webhook secret → 401 saying how to create one', async () => {
    settings.addSite('fresh', []);
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { site: 'fresh' }), deps), 401, 'webhook_secret_not_set', /POST \/api\/manage\/sites\/fresh\/secrets\/webhook-secret/);
  });

  it('missing signature → 401', async () => {
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { secret: null }), deps), 401, 'signature_missing', /X-Hub-Signature/);
  });

  it('wrong secret, or a body changed after signing → 401', async () => {
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { secret: 'guess' }), deps), 401, 'signature_invalid', /X-Hub-Signature/);
    const request = webhookRequest(incidentBody());
    request.body = Buffer.from(request.body.toString('utf8').replace('INC-7', 'INC-8'));
    assertRefused(await acceptJiraWebhook(request, deps), 401, 'signature_invalid', /does not match/);
  });

  it('authentication comes before content checks: an unsigned malformed body is 401, not 400', async () => {
    assertRefused(await acceptJiraWebhook(webhookRequest(undefined, { raw: '{nope', secret: 'guess' }), deps), 401, 'signature_invalid', /X-Hub-Signature/);
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { secret: 'guess', headers: { 'content-type': 'text/plain' } }), deps), 401, 'signature_invalid', /X-Hub-Signature/);
  });

  it('non-JSON or missing Content-Type → 415', async () => {
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), deps), 415, 'unsupported_media_type', /x-www-form-urlencoded.*application\/json/);
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { headers: { 'content-type': undefined } }), deps), 415, 'unsupported_media_type', /missing/);
  });

  it('malformed or empty JSON → 400', async () => {
    assertRefused(await acceptJiraWebhook(webhookRequest(undefined, { raw: '{"webhookEvent": "jira:issue_created",' }), deps), 400, 'malformed_json', /not valid JSON/);
    assertRefused(await acceptJiraWebhook(webhookRequest(undefined, { raw: '' }), deps), 400, 'empty_body', /empty/);
  });

  it('JSON that is not an event object → 400 naming what is missing', async () => {
    assertRefused(await acceptJiraWebhook(webhookRequest([incidentBody()]), deps), 400, 'invalid_event', /JSON object/);
    assertRefused(await acceptJiraWebhook(webhookRequest({ issue: incidentBody().issue }), deps), 400, 'invalid_event', /webhookEvent is missing/);
  });

  it('no issue key → 400 naming where it looked, without looking up a project for a bogus key', async () => {
    const noIssue = incidentBody();
    delete noIssue.issue;
    assertRefused(await acceptJiraWebhook(webhookRequest(noIssue), deps), 400, 'invalid_event', /issue\.key/);
    const badKey = incidentBody();
    badKey.issue.key = `${'Z'.repeat(900)}/..`;
    assertRefused(await acceptJiraWebhook(webhookRequest(badKey), deps), 400, 'invalid_event', /issue\.key/);
    assert.deepEqual(settings.projectLookups, [], 'a key that is not an issue key is never used as a storage key');
  });
});

describe('acceptJiraWebhook: good input', () => {
  it('a signed incident is enqueued once on jira-events with the planned actions', async () => {
    const outcome = await acceptJiraWebhook(webhookRequest(incidentBody(), { headers: { 'x-atlassian-webhook-identifier': 'd-1' } }), deps);
    assert.equal(outcome.status, 202, JSON.stringify(outcome.body));
    const body = outcome.body as { status: string; jobId: string; actions: string[] };
    assert.equal(body.status, 'accepted');
    assert.deepEqual(body.actions, ['incident-chat']);
    assert.equal(queues.sent.length, 1);
    const { queue, message } = queues.sent[0]! as { queue: string; message: EventMessage };
    assert.equal(queue, 'jira-events');
    assert.deepEqual(message, {
      v: 1,
      kind: 'jira.event',
      jobId: body.jobId,
      siteId: SITE,
      deliveryId: 'd-1',
      issueKey: 'INC-7',
      projectKey: 'INC',
      webhookEvent: 'jira:issue_created',
      actions: [{ action: 'incident-chat', params: {} }],
      receivedAt: '2026-11-22T03:00:00.000Z',
    });
  });

  it('a body signed with the previous secret (rotation) is accepted', async () => {
    const outcome = await acceptJiraWebhook(webhookRequest(incidentBody(), { secret: PREVIOUS }), deps);
    assert.equal(outcome.status, 202);
    assert.equal(queues.sent.length, 1);
  });

  it('a replayed delivery id is acknowledged as duplicate and not enqueued again; other sites and ids are independent', async () => {
    const first = await acceptJiraWebhook(webhookRequest(incidentBody(), { headers: { 'x-atlassian-webhook-identifier': 'd-2' } }), deps);
    assert.equal((first.body as { status: string }).status, 'accepted');
    const replay = await acceptJiraWebhook(webhookRequest(incidentBody(), { headers: { 'x-atlassian-webhook-identifier': 'd-2' } }), deps);
    assert.equal(replay.status, 202);
    assert.deepEqual(replay.body, { status: 'duplicate', deliveryId: 'd-2' });
    assert.equal(queues.sent.length, 1);

    const other = await acceptJiraWebhook(webhookRequest(incidentBody(), { headers: { 'x-atlassian-webhook-identifier': 'd-3' } }), deps);
    assert.equal((other.body as { status: string }).status, 'accepted');
    settings.addSite('beta', [SECRET]);
    settings.projects.set('beta:INC', projectSettingsSchema.parse({ tenantId }));
    const otherSite = await acceptJiraWebhook(webhookRequest(incidentBody(), { site: 'beta', headers: { 'x-atlassian-webhook-identifier': 'd-2' } }), deps);
    assert.equal((otherSite.body as { status: string }).status, 'accepted', 'delivery ids are per site');
    assert.equal(queues.sent.length, 3);
  });

  it('a replay with a forged signature is still 401, not "duplicate"', async () => {
    await acceptJiraWebhook(webhookRequest(incidentBody(), { headers: { 'x-atlassian-webhook-identifier': 'd-4' } }), deps);
    const forged = await acceptJiraWebhook(webhookRequest(incidentBody(), { secret: 'guess', headers: { 'x-atlassian-webhook-identifier': 'd-4' } }), deps);
    assert.equal(forged.status, 401);
  });

  it('when the enqueue fails the delivery is not remembered, so Jira\'s retry gets through', async () => {
    queues.failNext = true;
    const request = webhookRequest(incidentBody(), { headers: { 'x-atlassian-webhook-identifier': 'd-5' } });
    await assert.rejects(acceptJiraWebhook(request, deps), /queue unavailable/);
    const retry = await acceptJiraWebhook(request, deps);
    assert.equal((retry.body as { status: string }).status, 'accepted');
    assert.equal(queues.sent.length, 1);
  });

  it('every real capture is accepted or ignored with a reason, never refused', async () => {
    for (const project of ['KAN', 'GBL', 'CRM', 'TALK', 'TES', 'KT', 'LD']) settings.configure(project);
    const files = ['comment_created.json', 'issue_created.epic.json', 'issue_created.kanban.json', 'issue_created.many-custom-fields.json', 'issue_created.story.json', 'issue_updated.assignee.json', 'issue_updated.description-ari-changelog.json', 'issue_updated.description.json', 'issue_updated.priority.json', 'issue_updated.reopened.with-epic-parent.json', 'issue_updated.status-transition.json', 'issue_updated.unassigned.json'];
    const statuses: Record<string, string> = {};
    for (const file of files) {
      // The capture's own bytes are signed and sent, as Jira would.
      const outcome = await acceptJiraWebhook(webhookRequest(undefined, { raw: fixtureText(file) }), deps);
      assert.equal(outcome.status, 202, `${file}: ${JSON.stringify(outcome.body)}`);
      const body = outcome.body as { status: string; reason?: string; actions?: string[] };
      statuses[file] = body.status === 'ignored' ? `ignored: ${body.reason}` : `accepted: ${body.actions?.join(',')}`;
    }
    // PI (the Epic sample's project) is not configured: ignored with a reason naming it.
    assert.equal(statuses['issue_created.epic.json'], 'ignored: project PI is not configured for this site');
    assert.equal(statuses['issue_updated.assignee.json'], 'accepted: sync-members');
    assert.equal(statuses['issue_updated.unassigned.json'], 'accepted: sync-members');
    assert.equal(statuses['comment_created.json'], 'ignored: comment_created events trigger no action');
    assert.equal(statuses['issue_created.kanban.json'], 'ignored: no rule of project KAN wants a created Task (KAN-22)');
    assert.equal(statuses['issue_updated.reopened.with-epic-parent.json'], 'ignored: no rule of project LD wants a updated Task (LD-109)');
    assert.equal(queues.sent.length, 2);

    settings.configure('PI');
    const epic = await acceptJiraWebhook(webhookRequest(undefined, { raw: fixtureText('issue_created.epic.json') }), deps);
    assert.deepEqual((epic.body as { actions: string[] }).actions, ['epic-chat']);
  });

  it('a disabled project → 202 ignored, not enqueued', async () => {
    settings.configure('INC', { enabled: false });
    const outcome = await acceptJiraWebhook(webhookRequest(incidentBody()), deps);
    assert.deepEqual(outcome, { status: 202, body: { status: 'ignored', reason: 'project INC is switched off' }, headers: undefined });
    assert.deepEqual(queues.sent, []);
  });

  it('an event type the bridge does not handle (e.g. a worklog) → 202 ignored, so Jira does not report a failure', async () => {
    const body = { ...incidentBody(), webhookEvent: 'worklog_created', worklog: { id: '1' } };
    const outcome = await acceptJiraWebhook(webhookRequest(body), deps);
    assert.equal(outcome.status, 202, JSON.stringify(outcome.body));
    assert.match((outcome.body as { reason: string }).reason, /worklog_created/);
    assert.deepEqual(queues.sent, []);
  });
});

describe('secrets rotated through another instance', () => {
  it('a webhook signed with a secret this instance has not cached yet is verified after one re-read', async () => {
    settings.stored.set(SITE, { ...settings.sites.get(SITE)!, webhookSecrets: ['rotated-elsewhere', SECRET] });
    const outcome = await acceptJiraWebhook(webhookRequest(incidentBody(), { secret: 'rotated-elsewhere' }), deps);
    assert.equal(outcome.status, 202, JSON.stringify(outcome.body));
    assert.equal(settings.reloads, 1);
    assert.equal(queues.sent.length, 1);
  });

  it('a valid signature costs no re-read; a wrong one is still 401 after it', async () => {
    await acceptJiraWebhook(webhookRequest(incidentBody()), deps);
    assert.equal(settings.reloads, 0);
    queues.sent = [];
    assertRefused(await acceptJiraWebhook(webhookRequest(incidentBody(), { secret: 'guess' }), deps), 401, 'signature_invalid', /does not match/);
    assert.equal(settings.reloads, 1);
  });

  it('a site whose first webhook secret was generated elsewhere moments ago works at once', async () => {
    settings.addSite('fresh', []);
    settings.stored.set('fresh', { ...settings.sites.get('fresh')!, webhookSecrets: ['first'] });
    settings.projects.set('fresh:INC', projectSettingsSchema.parse({ tenantId }));
    const outcome = await acceptJiraWebhook(webhookRequest(incidentBody(), { site: 'fresh', secret: 'first' }), deps);
    assert.equal(outcome.status, 202, JSON.stringify(outcome.body));
  });

  it('an Automation token rotated elsewhere is accepted after one re-read; the replaced one is refused', async () => {
    settings.stored.set(SITE, { ...settings.sites.get(SITE)!, automationToken: 'new-token' });
    const outcome = await acceptAutomation(automationRequest('chat', { issueKey: 'INC-7' }, { token: 'new-token' }), deps);
    assert.equal(outcome.status, 202, JSON.stringify(outcome.body));
    queues.sent = [];
    assertRefused(await acceptAutomation(automationRequest('chat', { issueKey: 'INC-7' }, { token: 'x' }), deps), 401, 'token_invalid', /automation token/);
    const old = await acceptAutomation(automationRequest('chat', { issueKey: 'INC-7' }, { token: TOKEN }), deps);
    assert.equal(old.status, 401, 'the cached copy was replaced by the re-read');
  });
});

describe('acceptAutomation: bad input', () => {
  const body = { issueKey: 'INC-7' };

  it('wrong method → 405', async () => {
    assertRefused(await acceptAutomation(automationRequest('chat', body, { method: 'PUT' }), deps), 405, 'method_not_allowed', /POST/);
  });

  it('unknown action → 404 listing the actions', async () => {
    assertRefused(await acceptAutomation(automationRequest('make-coffee', body), deps), 404, 'unknown_action', /"make-coffee".*incident-chat.*close-chat/);
    assertRefused(await acceptAutomation(automationRequest('chat-update', body), deps), 404, 'unknown_action', /chat-update/);
  });

  it('missing or unknown site → 400 / 404', async () => {
    assertRefused(await acceptAutomation(automationRequest('chat', body, { site: null }), deps), 400, 'site_missing', /site/);
    assertRefused(await acceptAutomation(automationRequest('chat', body, { site: 'nowhere' }), deps), 404, 'unknown_site', /nowhere/);
  });

  it('body over the limit → 413', async () => {
    assertRefused(await acceptAutomation(automationRequest('chat', { issueKey: 'INC-7', message: 'x'.repeat(MAX_BODY) }), deps), 413, 'body_too_large', /JIRA_MAX_BODY_BYTES/);
  });

  it('missing, non-Bearer or wrong token → 401', async () => {
    assertRefused(await acceptAutomation(automationRequest('chat', body, { token: null }), deps), 401, 'token_missing', /Authorization: Bearer/);
    assertRefused(await acceptAutomation(automationRequest('chat', body, { token: null, headers: { authorization: `Basic ${TOKEN}` } }), deps), 401, 'token_missing', /Bearer/);
    assertRefused(await acceptAutomation(automationRequest('chat', body, { token: `${TOKEN}x` }), deps), 401, 'token_invalid', /automation token/);
    assertRefused(await acceptAutomation(automationRequest('chat', body, { token: SECRET }), deps), 401, 'token_invalid', /automation token/);
  });

  it('a site without an automation token → 401 saying how to create one', async () => {
    settings.addSite('fresh', [SECRET]);
    assertRefused(await acceptAutomation(automationRequest('chat', body, { site: 'fresh' }), deps), 401, 'automation_token_not_set', /POST \/api\/manage\/sites\/fresh\/secrets\/automation-token/);
  });

  it('non-JSON → 415, malformed → 400', async () => {
    assertRefused(await acceptAutomation(automationRequest('chat', body, { headers: { 'content-type': 'text/plain' } }), deps), 415, 'unsupported_media_type', /text\/plain/);
    assertRefused(await acceptAutomation(automationRequest('chat', undefined, { raw: "{'issueKey': 'INC-7'}" }), deps), 400, 'malformed_json', /not valid JSON/);
  });

  it('no issue key → 400 naming the three places it looked', async () => {
    assertRefused(await acceptAutomation(automationRequest('chat', { summary: 'x' }), deps), 400, 'invalid_body', /issueKey \(custom data\), issue\.key \(Jira format\) and key \(Automation format\)/);
  });

  it('bad custom data → 400 naming the field', async () => {
    assertRefused(await acceptAutomation(automationRequest('stakeholder-update', { issueKey: 'INC-7', message: 'x', recipients: ['nope'] }), deps), 400, 'invalid_body', /^recipients\.0/);
  });
});

describe('acceptAutomation: good input', () => {
  const cases: { format: string; action: string; body: unknown; queue: string; params: Record<string, unknown> }[] = [
    { format: 'Automation format', action: 'customer-chat', body: { id: 11111, key: 'INC-7', fields: { issuetype: { id: 22222, name: '[System] Service request' }, project: { id: 10002, key: 'INC' } } }, queue: 'chat-jobs', params: {} },
    { format: 'Jira format', action: 'sync-members', body: { issue: { id: 11111, key: 'INC-7', fields: {} } }, queue: 'member-jobs', params: {} },
    { format: 'custom data', action: 'stakeholder-update', body: { issueKey: 'INC-7', message: 'Mitigated', recipients: ['ceo@contoso.example'] }, queue: 'stakeholder-jobs', params: { message: 'Mitigated', recipients: ['ceo@contoso.example'] } },
    { format: 'custom data', action: 'meeting', body: { issueKey: 'INC-7', subject: 'Bridge' }, queue: 'meeting-jobs', params: { subject: 'Bridge' } },
    { format: 'custom data', action: 'booking', body: { issueKey: 'INC-7', serviceId: 'svc' }, queue: 'booking-jobs', params: { serviceId: 'svc' } },
    { format: 'custom data', action: 'close-chat', body: { issueKey: 'INC-7' }, queue: 'chat-jobs', params: {} },
  ];
  for (const c of cases) {
    it(`${c.format} for ${c.action} → one job on ${c.queue}`, async () => {
      const outcome = await acceptAutomation(automationRequest(c.action, c.body), deps);
      assert.equal(outcome.status, 202, JSON.stringify(outcome.body));
      const ack = outcome.body as { status: string; jobId: string; action: string; issueKey: string };
      assert.deepEqual({ status: ack.status, action: ack.action, issueKey: ack.issueKey }, { status: 'accepted', action: c.action, issueKey: 'INC-7' });
      assert.equal(queues.sent.length, 1);
      const { queue, message } = queues.sent[0]! as { queue: string; message: JobMessage };
      assert.equal(queue, c.queue);
      assert.deepEqual(message, { v: 1, kind: 'job', jobId: ack.jobId, action: c.action, siteId: SITE, issueKey: 'INC-7', source: 'automation', params: c.params, requestedAt: '2026-11-22T03:00:00.000Z' });
    });
  }

  it('an unconfigured or disabled project → 202 ignored with the reason', async () => {
    const unconfigured = await acceptAutomation(automationRequest('chat', { issueKey: 'OPS-1' }), deps);
    assert.deepEqual(unconfigured.body, { status: 'ignored', reason: 'project OPS is not configured for this site' });
    settings.configure('INC', { enabled: false });
    const disabled = await acceptAutomation(automationRequest('chat', { issueKey: 'INC-7' }), deps);
    assert.equal(disabled.status, 202);
    assert.deepEqual(disabled.body, { status: 'ignored', reason: 'project INC is switched off' });
    assert.deepEqual(queues.sent, []);
  });
});
