// In-process harness for the meeting, stakeholder-update, Bookings and mail workflows: real tables on Azurite, the
// real Graph client against the fake Graph over HTTPS (every request schema-checked), the real Jira client against
// the fake Jira. Tokens come straight from the fakes' token format (the identity flows have their own tests), one
// service user per tenant; `modes` switches a feature to app-only as a tenant admin would.
import { randomUUID } from 'node:crypto';
import type { Feature } from '../../shared/features.js';
import { loadConfig } from '../../shared/config.js';
import { PermanentError } from '../../shared/errors.js';
import { createGraph } from '../../shared/graph/client.js';
import { createJiraApi } from '../../shared/jira/client.js';
import type { JobMessage } from '../../shared/jobs/messages.js';
import type { JobContext } from '../../shared/jobs/runJob.js';
import { memoryLogger } from '../../shared/log.js';
import type { ProjectSettingsInput } from '../../shared/rules/projectSettings.js';
import { MemorySecretStore } from '../../shared/secrets/secretStore.js';
import { getProjectSettings, putProjectSettings } from '../../shared/sites/projects.js';
import { putSite } from '../../shared/sites/sites.js';
import { createQueueAccess } from '../../shared/storage/queueAccess.js';
import { allQueueNames } from '../../shared/storage/queues.js';
import { writeServiceUser } from '../../shared/storage/serviceUsers.js';
import { createTableAccess } from '../../shared/storage/tables.js';
import { updateTenant } from '../../shared/storage/tenantConnections.js';
import type { WorkflowDeps } from '../../shared/jobs/deps.js';
import { FakeGraph, type FakeGraphOptions, type FakeUser } from '../fakes/graph.js';
import { FakeJira } from '../fakes/jira.js';
import { makeTestToken } from '../fakes/tokens.js';
import { resetQueues, storageConnectionString, uniqueName } from '../support/storage.js';

const delegatedScopes = [
  'User.Read', 'MailboxSettings.Read', 'Chat.Create', 'ChatMessage.Send', 'ChatMember.ReadWrite', 'User.ReadBasic.All',
  'OnlineMeetings.ReadWrite', 'BookingsAppointment.ReadWrite.All', 'Bookings.Read.All', 'Mail.Send', 'Mail.Send.Shared',
].join(' ');
const appRoles = ['OnlineMeetings.ReadWrite.All', 'BookingsAppointment.ReadWrite.All', 'Mail.Send'];

export interface Harness {
  graph: FakeGraph;
  jira: FakeJira;
  deps: WorkflowDeps;
  log: ReturnType<typeof memoryLogger>;
  siteId: string;
  tenantId: string;
  serviceUser: FakeUser;
  clock: { now(): Date; set(iso: string): void; advance(ms: number): void };
  /** Feature → app-only (when the job allows it). */
  modes: Partial<Record<Feature, 'app'>>;
  /** Features whose tokens fail as "not consented". */
  unavailable: Set<Feature>;
  context(): JobContext & { graphRequestIds: string[] };
  job(action: JobMessage['action'], issueKey: string, params?: Record<string, unknown>, jobId?: string): JobMessage;
  configure(projectKey: string, settings?: Partial<ProjectSettingsInput>): Promise<void>;
  /** People in both systems: a Jira user whose visible e-mail is a Microsoft 365 user's mail. */
  person(displayName: string, email: string): { jira: ReturnType<FakeJira['addUser']>; m365: FakeUser };
  close(): Promise<void>;
}

export async function startHarness(options: { now?: string; graph?: FakeGraphOptions } = {}): Promise<Harness> {
  let now = new Date(options.now ?? '2026-11-23T09:00:00.000Z'); // a Monday
  const clock = { now: () => new Date(now), set: (iso: string) => void (now = new Date(iso)), advance: (ms: number) => void (now = new Date(now.getTime() + ms)) };
  const tenantId = randomUUID();
  const graph = new FakeGraph({ tenantId, now: () => now.getTime(), ...options.graph });
  const jira = new FakeJira();
  const g = await graph.start();
  const j = await jira.start();
  const serviceUser = graph.addUser({ displayName: 'Bridge Service', userPrincipalName: 'bridge.service@contoso.example' });

  const config = loadConfig({ AzureWebJobsStorage: storageConnectionString(), GRAPH_BASE_URL: g.baseUrl, LOG_LEVEL: 'debug' });
  const tables = createTableAccess(config.storage);
  const queues = createQueueAccess(config.storage);
  const secrets = new MemorySecretStore();
  const log = memoryLogger();
  const siteId = uniqueName('site');
  const modes: Harness['modes'] = {};
  const unavailable = new Set<Feature>();

  const deps: WorkflowDeps = {
    config,
    tables,
    queues,
    secrets,
    clock,
    log,
    async jiraFor() {
      return createJiraApi({ baseUrl: jira.baseUrl, email: jira.credentials.email, apiToken: jira.credentials.apiToken });
    },
    async graphFor(tid, feature, opts) {
      if (unavailable.has(feature)) throw new PermanentError(`tenant ${tid} has not consented to the ${feature} feature`, 'not_consented');
      const app = opts?.allowAppOnly === true && modes[feature] === 'app';
      const token = app ? graph.appToken(appRoles, tid) : makeTestToken({ tid, oid: serviceUser.id, scp: delegatedScopes });
      const client = createGraph({ baseUrl: g.baseUrl, getAccessToken: async () => token });
      return Object.assign(client, { kind: app ? ('app' as const) : ('delegated' as const), serviceUserObjectId: app ? undefined : serviceUser.id });
    },
    projectSettings: (site, key) => getProjectSettings({ tables }, site, key),
  };

  await putSite({ tables, secrets, clock } as never, siteId, { jiraBaseUrl: jira.baseUrl, jiraEmail: jira.credentials.email, jiraApiToken: jira.credentials.apiToken } as never);
  await updateTenant(
    tables,
    tenantId,
    (t) => ({ ...t, consentedFeatures: { chats: now.toISOString(), meetings: now.toISOString(), bookings: now.toISOString(), mail: now.toISOString() } }),
    now,
  );
  for (const feature of ['chats', 'meetings', 'bookings', 'mail'] as const) {
    await writeServiceUser(tables, {
      tenantId,
      feature,
      objectId: serviceUser.id,
      userPrincipalName: serviceUser.userPrincipalName,
      displayName: serviceUser.displayName,
      homeAccountId: `${serviceUser.id}.${tenantId}`,
      cacheSecretName: 'unused',
      status: 'active',
      grantedScopes: delegatedScopes.split(' '),
      degraded: [],
      signedInAt: now.toISOString(),
      lastRefreshAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
  }

  return {
    graph,
    jira,
    deps,
    log,
    siteId,
    tenantId,
    serviceUser,
    clock,
    modes,
    unavailable,
    context: () => ({ log, graphRequestIds: [], dequeueCount: 1 }),
    job: (action, issueKey, params = {}, jobId = randomUUID()) => ({
      v: 1,
      kind: 'job',
      jobId,
      action,
      siteId,
      issueKey,
      source: 'automation',
      params,
      requestedAt: now.toISOString(),
      deferrals: 0,
    }),
    async configure(projectKey, settings = {}) {
      await putProjectSettings({ tables, clock }, siteId, projectKey, { tenantId, fieldIds: jira.fieldIds, ...settings });
    },
    person(displayName, email) {
      return { jira: jira.addUser({ displayName, emailAddress: email }), m365: graph.addUser({ displayName, mail: email }) };
    },
    async close() {
      await j.close();
      await g.close();
      // Jobs queued by these in-process tests (no host consumes them here) must not leak into the next test file.
      await resetQueues(allQueueNames);
    },
  };
}
