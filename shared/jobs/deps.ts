// What workflows get to do their work: Jira for a site, Graph for a tenant and feature, storage, and the clock.
// Built once per process from the runtime (`createWorkflowDeps`); tests hand in fakes of the same shape.
// It lives with the job runtime, below the features, because every job handler takes it: chats, meetings, mail,
// mail-in and chat → Jira code as well as the workflows over them.
import type { Runtime } from '../runtime.js';
import { createGraph } from '../graph/client.js';
import type { GraphSession } from '../graph/session.js';
import type { Feature } from '../features.js';
import { getGraphToken } from '../identity/tokens.js';
import { createJiraApi, type JiraApi } from '../jira/client.js';
import { PermanentError } from '../errors.js';
import { getSite, siteSecretNames } from '../sites/sites.js';
import { getProjectSettings } from '../sites/projects.js';
import type { ProjectSettings } from '../rules/projectSettings.js';

export interface WorkflowDeps extends Pick<Runtime, 'config' | 'tables' | 'queues' | 'secrets' | 'clock' | 'log'> {
  jiraFor(siteId: string): Promise<JiraApi>;
  graphFor(tenantId: string, feature: Feature, options?: { allowAppOnly?: boolean }): Promise<GraphSession>;
  projectSettings(siteId: string, projectKey: string): Promise<ProjectSettings | undefined>;
}

export function createWorkflowDeps(runtime: Runtime): WorkflowDeps {
  return {
    ...runtime,
    async jiraFor(siteId) {
      const site = await getSite(runtime, siteId);
      if (!site) throw new PermanentError(`site ${siteId} is not registered`, 'unknown_site');
      const apiToken = await runtime.secrets.get(siteSecretNames.jiraApiToken(siteId));
      if (!apiToken) throw new PermanentError(`site ${siteId} has no Jira API token in the secret store: register the site again`, 'jira_credential_missing');
      return createJiraApi({ baseUrl: site.jiraBaseUrl, email: site.jiraEmail, apiToken }, { timeoutMs: runtime.config.timeouts.jiraMs });
    },
    async graphFor(tenantId, feature, options) {
      // One token per job run: jobs finish well inside an access token's lifetime, and it spares the secret store
      // a read per Graph call.
      const token = await getGraphToken(runtime, { tenantId, feature, allowAppOnly: options?.allowAppOnly });
      const graph = createGraph({
        baseUrl: runtime.config.graphBaseUrl,
        getAccessToken: async () => token.accessToken,
        timeoutMs: runtime.config.timeouts.graphMs,
        identity: { tenantId, feature, kind: token.kind },
      });
      return Object.assign(graph, { kind: token.kind, serviceUserObjectId: token.serviceUserObjectId });
    },
    projectSettings: (siteId, projectKey) => getProjectSettings(runtime, siteId, projectKey),
  };
}
