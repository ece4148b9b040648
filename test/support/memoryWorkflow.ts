// Workflow unit tests against the typed in-memory Graph (./memoryGraph.ts) and a hand-written Jira, with real
// Azurite tables (the runner starts one; the workflows' exactly-once rows are ETag-conditional writes that only the
// real table service proves) and recorded queue sends. Each call gets its own site and tenant, so rows never meet.
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../shared/config.js';
import type { JiraApi, RemoteLink } from '../../shared/jira/client.js';
import type { JiraIssue, JiraUser } from '../../shared/jira/issue.js';
import type { JobContext } from '../../shared/jobs/runJob.js';
import { jobMessageSchema, type JobMessage } from '../../shared/jobs/messages.js';
import { memoryLogger } from '../../shared/log.js';
import { projectSettingsSchema, type ProjectSettings, type ProjectSettingsInput } from '../../shared/rules/projectSettings.js';
import { createRuntime } from '../../shared/runtime.js';
import type { QueueAccess } from '../../shared/storage/queueAccess.js';
import { MemorySecretStore } from '../../shared/secrets/secretStore.js';
import type { WorkflowDeps } from '../../shared/jobs/deps.js';
import { MemoryGraph, type MemoryUser } from './memoryGraph.js';
import { storageConnectionString, uniqueName } from './storage.js';
import { TestClock } from './workflowHarness.js';

/**
 * The Jira calls the chat workflows make, answered from memory: issues as JiraApi.getIssue returns them, and a
 * record of comments and remote links. Anything else a workflow calls fails loudly (see `asJiraApi`).
 */
export class MemoryJira {
  readonly baseUrl = 'https://acme.atlassian.net';
  readonly issues = new Map<string, JiraIssue>();
  readonly users = new Map<string, JiraUser>();
  readonly comments: { issueKey: string; text: string; internal: boolean }[] = [];
  readonly remoteLinks: { issueKey: string; link: RemoteLink }[] = [];

  async getIssue(issueKey: string): Promise<JiraIssue> {
    const issue = this.issues.get(issueKey);
    if (!issue) throw new Error(`MemoryJira has no issue ${issueKey}`);
    return structuredClone(issue);
  }

  async getUser(accountId: string): Promise<JiraUser | undefined> {
    return this.users.get(accountId);
  }

  async addInternalComment(issueKey: string, text: string): Promise<void> {
    this.comments.push({ issueKey, text, internal: true });
  }

  async upsertRemoteLink(issueKey: string, link: RemoteLink): Promise<void> {
    this.remoteLinks.push({ issueKey, link });
  }

  asJiraApi(): JiraApi {
    return new Proxy(this, {
      get(target, name, receiver) {
        if (name in target) return Reflect.get(target, name, receiver);
        if (name === 'then') return undefined;
        return () => {
          throw new Error(`MemoryJira does not implement JiraApi.${String(name)}: add it if the workflow needs it`);
        };
      },
    }) as unknown as JiraApi;
  }
}

/** Queue sends, recorded instead of sent: a unit test must not leave work in the shared Azurite queues. */
export class RecordingQueues implements QueueAccess {
  readonly sent: { queue: string; message: unknown; delaySeconds?: number }[] = [];
  async send(queue: string, message: unknown, options?: { delaySeconds?: number }): Promise<{ messageId: string }> {
    this.sent.push({ queue, message, delaySeconds: options?.delaySeconds });
    return { messageId: randomUUID() };
  }
  receive(): never {
    throw new Error('RecordingQueues only records sends');
  }
  peek(): never {
    throw new Error('RecordingQueues only records sends');
  }
  remove(): never {
    throw new Error('RecordingQueues only records sends');
  }
  approximateCount(): never {
    throw new Error('RecordingQueues only records sends');
  }
}

export interface MemoryWorkflow {
  deps: WorkflowDeps;
  graph: MemoryGraph;
  jira: MemoryJira;
  queues: RecordingQueues;
  clock: TestClock;
  log: ReturnType<typeof memoryLogger>;
  serviceUser: MemoryUser;
  siteId: string;
  tenantId: string;
  settings: ProjectSettings;
  setProject(input: Partial<ProjectSettingsInput>): void;
  context(): JobContext;
  job(action: JobMessage['action'], issueKey: string, params?: Record<string, unknown>): JobMessage;
}

export function memoryWorkflow(): MemoryWorkflow {
  const clock = new TestClock();
  const log = memoryLogger();
  const graph = new MemoryGraph({ now: () => clock.now().getTime() });
  const serviceUser = graph.signIn(graph.addUser({ displayName: 'Bridge Service' }));
  const jira = new MemoryJira();
  const config = loadConfig({
    AzureWebJobsStorage: storageConnectionString(),
    GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0',
    PUBLIC_BASE_URL: 'https://bridge.example.test',
  });
  const queues = new RecordingQueues();
  const runtime = createRuntime(config, { secrets: new MemorySecretStore(), clock, log, queues });
  const tenantId = randomUUID();
  const siteId = uniqueName('site').toLowerCase();
  const w: MemoryWorkflow = {
    graph,
    jira,
    queues,
    clock,
    log,
    serviceUser,
    siteId,
    tenantId,
    settings: projectSettingsSchema.parse({ tenantId }),
    deps: {
      ...runtime,
      jiraFor: async () => jira.asJiraApi(),
      graphFor: async () => graph.session(),
      projectSettings: async () => w.settings,
    },
    setProject(input) {
      w.settings = projectSettingsSchema.parse({ tenantId, ...input });
    },
    context: () => ({ log, graphRequestIds: [], dequeueCount: 1 }),
    job: (action, issueKey, params = {}) =>
      jobMessageSchema.parse({ v: 1, kind: 'job', jobId: randomUUID(), action, siteId, issueKey, source: 'automation', params, requestedAt: clock.now().toISOString() }),
  };
  return w;
}

/** A Jira issue as JiraApi.getIssue answers it. */
export function jiraIssue(fields: Partial<JiraIssue> & { key: string }): JiraIssue {
  return {
    id: String(10000 + Number(fields.key.split('-')[1] ?? 0)),
    projectKey: fields.key.split('-')[0]!,
    summary: 'Printer on fire',
    description: '',
    issueType: 'Incident',
    status: 'Open',
    labels: [],
    requestParticipants: [],
    responders: [],
    ...fields,
  };
}
