// Workflows in-process against real Azurite and the fake Graph and Jira, with a controllable clock: for the cases
// that need to stop time or race two workers inside one test (crash recovery, lease expiry, concurrency). The
// end-to-end path over HTTP is `bridge.ts`.
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../shared/config.js';
import { createGraph } from '../../shared/graph/client.js';
import { featureScopes } from '../../shared/identity/features.js';
import { createJiraApi } from '../../shared/jira/client.js';
import type { JobContext } from '../../shared/jobs/runJob.js';
import { memoryLogger } from '../../shared/log.js';
import { projectSettingsSchema, type ProjectSettings, type ProjectSettingsInput } from '../../shared/rules/projectSettings.js';
import { createRuntime, type Clock } from '../../shared/runtime.js';
import { MemorySecretStore } from '../../shared/secrets/secretStore.js';
import type { WorkflowDeps } from '../../shared/jobs/deps.js';
import { FakeGraph, type FakeGraphOptions, type FakeUser } from '../fakes/graph.js';
import { FakeJira } from '../fakes/jira.js';
import { allQueueNames } from '../../shared/storage/queues.js';
import { resetQueues, storageConnectionString, uniqueName } from './storage.js';

export class TestClock implements Clock {
  offsetMs = 0;
  now() {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number) {
    this.offsetMs += seconds * 1000;
  }
}

export interface WorkflowHarness {
  deps: WorkflowDeps;
  graph: FakeGraph;
  jira: FakeJira;
  clock: TestClock;
  log: ReturnType<typeof memoryLogger>;
  serviceUser: FakeUser;
  siteId: string;
  settings: ProjectSettings;
  /** Delegated scopes in the service user's tokens (default: the chats feature's required and optional ones). */
  scopes: string[];
  context(): JobContext;
  setProject(input: Partial<ProjectSettingsInput>): void;
  close(): Promise<void>;
}

/** `env`: extra app settings for the harness's config (e.g. short outbound deadlines); `graph`: fake Graph options. */
export async function startWorkflowHarness(options: { env?: Record<string, string>; graph?: Omit<FakeGraphOptions, 'now'> } = {}): Promise<WorkflowHarness> {
  const clock = new TestClock();
  // The fake's rate windows (4 member adds per minute) follow the same clock the workflows see.
  // Scopes are enforced as Graph does: the workflows get exactly the chats feature's delegated scopes.
  const graph = new FakeGraph({ ...options.graph, now: () => clock.now().getTime(), enforceScopes: true });
  const jira = new FakeJira();
  const g = await graph.start();
  const j = await jira.start();
  const log = memoryLogger();
  const config = loadConfig({
    AzureWebJobsStorage: storageConnectionString(),
    GRAPH_BASE_URL: g.baseUrl,
    PUBLIC_BASE_URL: 'https://bridge.example.test',
    ...options.env,
  });
  const runtime = createRuntime(config, { secrets: new MemorySecretStore(), clock, log });
  const serviceUser = graph.addUser({ displayName: 'Bridge Service' });
  // Every test file gets its own site, so rows never collide across files sharing one Azurite.
  const siteId = uniqueName('site').toLowerCase();
  const harness: WorkflowHarness = {
    graph,
    jira,
    clock,
    log,
    serviceUser,
    siteId,
    settings: projectSettingsSchema.parse({ tenantId: graph.tenantId, fieldIds: jira.fieldIds }),
    scopes: [...featureScopes.chats.required, ...Object.keys(featureScopes.chats.optional)],
    deps: {
      ...runtime,
      jiraFor: async () => createJiraApi({ baseUrl: j.baseUrl, ...jira.credentials }, { timeoutMs: config.timeouts.jiraMs }),
      graphFor: async (tenantId, feature) => {
        const client = createGraph({
          baseUrl: g.baseUrl,
          getAccessToken: async () => graph.delegatedToken(serviceUser, harness.scopes.join(' ')),
          timeoutMs: config.timeouts.graphMs,
          identity: { tenantId, feature, kind: 'delegated' },
        });
        return Object.assign(client, { kind: 'delegated' as const, serviceUserObjectId: serviceUser.id });
      },
      projectSettings: async () => harness.settings,
    },
    context: () => ({ log, graphRequestIds: [], dequeueCount: 1 }),
    setProject(input) {
      harness.settings = projectSettingsSchema.parse({ tenantId: graph.tenantId, fieldIds: jira.fieldIds, ...input });
    },
    async close() {
      await g.close();
      await j.close();
      // Jobs these in-process tests queued (no host consumes them here) must not leak into the next test file.
      await resetQueues(allQueueNames);
    },
  };
  return harness;
}

export const newJobId = () => randomUUID();
