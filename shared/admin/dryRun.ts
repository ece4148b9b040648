// POST /api/manage/dry-run: what a given Jira event (webhook body or Automation request) would do: the actions the
// rules pick, and for chat actions the topic, members, unmapped people and the Graph calls, without writing
// anything and without calling Graph. The issue is read from Jira (a GET), as the real job would.
import { z } from 'zod';
import type { HttpOutcome } from '../http/outcome.js';
import { fail, ok } from '../http/outcome.js';
import { isSupportedWebhookEvent, parseWebhookEvent } from '../jira/events.js';
import { parseAutomationBody } from '../jira/automation.js';
import { issuePeople } from '../jira/issue.js';
import { jiraOperations } from '../jira/client.js';
import { createGroupChatCall } from '../graph/chats.js';
import { postChatMessageCall } from '../graph/messages.js';
import { userLookupsCall } from '../graph/users.js';
import { chatKindOf, isPublicAction, type Action, type ChatKind } from '../actions.js';
import { decide } from '../rules/evaluate.js';
import { renderTopic } from '../chats/topic.js';
import { readChatLink } from '../chats/chatLinks.js';
import { readEntity, tableNames } from '../storage/tables.js';
import { PermanentError } from '../errors.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import type { Runtime } from '../runtime.js';
import type { ProjectSettings } from '../rules/projectSettings.js';
import { readChatSubscription } from '../chatToJira/store.js';

const dryRunSchema = z.object({
  siteId: z.string().min(1),
  webhook: z.unknown().optional(),
  automation: z.object({ action: z.string(), body: z.unknown() }).optional(),
}).refine((v) => Boolean(v.webhook) !== Boolean(v.automation), 'give exactly one of webhook or automation');

export async function dryRun(deps: WorkflowDeps, body: unknown): Promise<HttpOutcome> {
  const input = dryRunSchema.safeParse(body);
  if (!input.success) return fail(400, 'invalid_request', `body: ${input.error.issues[0]!.message}`);
  const { siteId } = input.data;

  let issueKey: string;
  let planned: { action: Action; params: Record<string, unknown> }[];
  if (input.data.automation) {
    const { action, body: automationBody } = input.data.automation;
    if (!isPublicAction(action)) return fail(400, 'unknown_action', `automation.action ${JSON.stringify(action)} does not exist`);
    const parsed = parseAutomationBody(action, automationBody);
    if (!parsed.ok) return fail(400, 'invalid_body', `automation.body: ${parsed.message}`);
    issueKey = parsed.value.issueKey;
    planned = [{ action, params: parsed.value.params }];
  } else {
    const webhookEvent = (input.data.webhook as { webhookEvent?: unknown }).webhookEvent;
    // As on the live path: an event type the bridge does not act on is acknowledged as ignored, not refused.
    if (typeof webhookEvent === 'string' && !isSupportedWebhookEvent(webhookEvent)) {
      return ok({ siteId, outcome: 'ignored', reason: `${webhookEvent.slice(0, 80)} events trigger no action` });
    }
    const parsed = parseWebhookEvent(input.data.webhook);
    if (!parsed.ok) return fail(400, 'invalid_event', `webhook: ${parsed.message}`);
    const settings = await deps.projectSettings(siteId, parsed.value.projectKey);
    const decision = decide(parsed.value, settings);
    if (decision.kind === 'ignore') return ok({ siteId, issueKey: parsed.value.issueKey, outcome: 'ignored', reason: decision.reason });
    issueKey = parsed.value.issueKey;
    planned = decision.actions;
  }

  const projectKey = issueKey.split('-')[0]!;
  const settings = await deps.projectSettings(siteId, projectKey);
  if (!settings) return ok({ siteId, issueKey, outcome: 'ignored', reason: `project ${projectKey} is not configured for this site` });

  let issue;
  try {
    issue = await (await deps.jiraFor(siteId)).getIssue(issueKey, settings.fieldIds, { watchers: settings.memberFields.includes('watchers') });
  } catch (e) {
    if (e instanceof PermanentError) return fail(422, e.code, e.message);
    throw e;
  }

  const mappings = await deps.tables.table(tableNames.userMappings);
  const actions = [];
  for (const { action, params } of planned) {
    const kind = chatKindOf[action];
    if (!kind) {
      actions.push({ action, params });
      continue;
    }
    // One chat per issue: any chat action would reuse the issue's chat, whatever kind created it.
    const existing = await readChatLink(deps, siteId, issue.id);
    const fields = kind === 'customer' ? [...new Set([...settings.memberFields, 'reporter' as const])] : settings.memberFields;
    const people = issuePeople(issue, fields);
    const stored = await Promise.all(people.map((p) => readEntity<{ entraObjectId: string; isGuest: boolean }>(mappings, settings.tenantId, p.accountId)));
    const members = people.map((p, i) => ({
      accountId: p.accountId,
      displayName: p.displayName,
      mapping: stored[i] ? { entraId: stored[i]!.entraObjectId, guest: stored[i]!.isGuest } : p.emailAddress ? 'looked up by e-mail' : 'unmapped (e-mail hidden, no manual mapping)',
    }));
    const lookups = people.filter((p, i) => !stored[i] && p.emailAddress).length;
    const topicTemplate = typeof params.topic === 'string' ? params.topic : settings.topicTemplate;
    actions.push({
      action,
      kind,
      existingChat: existing?.state === 'created' ? { chatId: existing.chatId, webUrl: existing.webUrl, kind: existing.kind } : undefined,
      topic: existing?.topic ?? renderTopic(topicTemplate, issue),
      members,
      unmapped: members.filter((m) => typeof m.mapping === 'string' && m.mapping.startsWith('unmapped')).map((m) => m.accountId),
      graphCalls:
        existing?.state === 'created'
          ? []
          : [...(lookups ? [`${userLookupsCall} (${lookups} user lookup${lookups > 1 ? 's' : ''})`] : []), `${createGroupChatCall} (members inline)`, postChatMessageCall],
      jiraCalls: existing?.state === 'created' ? [] : [jiraOperations.upsertRemoteLink],
      chatToJira: await chatToJiraPlan(deps, settings, siteId, issue.id, kind, existing?.state === 'created'),
    });
  }
  return ok({ siteId, issueKey: issue.key, tenantId: settings.tenantId, outcome: 'would-act', actions, wrote: 'nothing' });
}

/** What chat → Jira would do for this chat (a separate job subscribes it; see shared/chatToJira/). */
async function chatToJiraPlan(deps: Pick<Runtime, 'tables'>, settings: ProjectSettings, siteId: string, issueId: string, kind: ChatKind, exists: boolean) {
  if (!settings.chatToJira.enabled) return 'off';
  if (!exists) return 'the new chat would be subscribed (POST /subscriptions as the chat-to-jira service user), so commands in it reach the issue';
  const row = await readChatSubscription(deps, siteId, issueId, kind);
  return row ? `subscription ${row.state}${row.expiresAt ? ` until ${row.expiresAt}` : ''}${row.lastError ? `: ${row.lastError}` : ''}` : 'not subscribed yet: POST /api/manage/sites/{site}/projects/{key}/chat-to-jira';
}
