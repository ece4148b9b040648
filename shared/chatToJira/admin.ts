// GET /api/manage/sites/{siteId}/projects/{projectKey}/chat-to-jira: each chat's subscription state (active until
// when, last lifecycle event, last error). POST on the same route: subscribe every open chat of the project now
// (what turning the feature on needs for chats that existed before; the hourly timer then keeps them renewed).
import { projectKeyPattern } from '../ids.js';
import { fail, methodNotAllowed, ok, type HttpOutcome } from '../http/outcome.js';
import type { AdminDeps, AdminRequest } from '../admin/request.js';
import { getProjectSettings } from '../sites/projects.js';
import { getSite, siteIdSchema } from '../sites/sites.js';
import { followProjectChats } from './hooks.js';
import { listChatSubscriptions } from './store.js';


export async function adminChatToJira(deps: AdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  const siteId = request.params.siteId ?? '';
  const projectKey = request.params.projectKey ?? '';
  if (!siteIdSchema.safeParse(siteId).success) return fail(400, 'invalid_request', 'siteId: must be a site id');
  if (!projectKeyPattern.test(projectKey)) return fail(400, 'invalid_request', 'projectKey: must be a Jira project key such as INC');
  if (!(await getSite(deps, siteId))) return fail(404, 'unknown_site', `no site is registered with id ${siteId}`);
  const settings = await getProjectSettings(deps, siteId, projectKey);
  if (!settings) return fail(404, 'unknown_project', `project ${projectKey} is not configured for site ${siteId}`);
  switch (request.method) {
    case 'GET': {
      const chats = (await listChatSubscriptions(deps, siteId))
        .filter((r) => r.issueKey.startsWith(`${projectKey}-`))
        // The secret's name is not a secret, but an admin has no use for it.
        .map(({ clientStateSecret: _s, ...row }) => row);
      return ok({ siteId, projectKey, enabled: settings.chatToJira.enabled, chats });
    }
    case 'POST': {
      if (!settings.enabled || !settings.chatToJira.enabled) {
        return fail(409, 'chat_to_jira_off', `turn chatToJira.enabled on in project ${projectKey}'s settings first`);
      }
      const queued = await followProjectChats(deps, siteId, projectKey);
      return ok({ siteId, projectKey, queued }, 202);
    }
    default:
      return methodNotAllowed(['GET', 'POST']);
  }
}
