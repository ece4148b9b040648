// The acknowledgement path for everything Jira sends: authenticate, validate, decide, enqueue once, answer 202.
// Nothing here calls Jira or Graph, and nothing from the payload is fetched (`self`, avatar URLs are ignored).
// Order of checks: method, site, size, a body at all, authentication (over the raw bytes, before parsing), media
// type, JSON, content; so an unauthenticated caller learns nothing about what a valid body looks like.
import { createHash, randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import { parseAutomationBody } from '../jira/automation.js';
import { bodyDedupWindowMs, isSupportedWebhookEvent, parseWebhookEvent } from '../jira/events.js';
import { defaultFieldIds, isIssueKey } from '../jira/issue.js';
import { signatureHeader, tokensEqual, verifySignature } from '../jira/signature.js';
import { queueFor, type EventMessage, type NewJobMessage } from '../jobs/messages.js';
import { isPublicAction } from '../actions.js';
import { decide } from '../rules/evaluate.js';
import { siteIdSchema } from '../sites/sites.js';
import { addLogDimensions } from '../log.js';
import { queueNames } from '../storage/queues.js';
import { bodyTooLarge, fail, methodNotAllowed, ok, parseJson, requireBody, requireJson, type HttpOutcome, type RawRequest } from '../http/outcome.js';
import type { SettingsCache, SiteCredentials } from './settingsCache.js';

export type IntakeDeps = Pick<Runtime, 'queues' | 'config' | 'clock' | 'log'> & {
  settings: SettingsCache;
  recentDeliveries: RecentDeliveries;
};

/** Jira's delivery id, stable across its retries of one delivery. */
export const deliveryIdHeader = 'x-atlassian-webhook-identifier';

export async function acceptJiraWebhook(request: RawRequest, deps: IntakeDeps): Promise<HttpOutcome> {
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const site = await resolveSite(request, deps);
  if ('status' in site) return site;
  const tooLarge = bodyTooLarge(request, deps.config.jira.maxBodyBytes);
  if (tooLarge) return tooLarge;
  const noBody = requireBody(request);
  if (noBody) return noBody;

  const signature = request.headers[signatureHeader];
  let secrets = site.webhookSecrets;
  if (secrets.length === 0 || (signature && !verifySignature(signature, request.body, secrets))) {
    secrets = (await reloadedSite(site, deps))?.webhookSecrets ?? secrets;
  }
  if (secrets.length === 0) {
    return fail(401, 'webhook_secret_not_set', `site ${site.site.siteId} has no webhook secret yet: generate one with POST /api/manage/sites/${site.site.siteId}/secrets/webhook-secret`);
  }
  if (!signature) return fail(401, 'signature_missing', 'X-Hub-Signature header is missing');
  if (!verifySignature(signature, request.body, secrets)) {
    return fail(401, 'signature_invalid', 'X-Hub-Signature does not match the body for this site\'s webhook secret');
  }

  const media = requireJson(request);
  if (media) return media;
  const json = parseJson(request);
  if (!json.ok) return json.outcome;

  const deliveryId = request.headers[deliveryIdHeader]?.slice(0, 200);
  const siteId = site.site.siteId;
  const now = deps.clock.now().getTime();
  if (deliveryId && deps.recentDeliveries.seen(`${siteId}:${deliveryId}`, now)) {
    return ok({ status: 'duplicate', deliveryId }, 202);
  }
  // The signature covers the body only, so a captured delivery replayed with another (or no) delivery id header
  // still verifies. Jira's body carries the event's millisecond `timestamp`, so two real events never share a body:
  // the same bytes again within the window are the same delivery (job time re-checks in the `deliveries` table).
  const bodyDigest = createHash('sha256').update(request.body).digest('hex');
  if (deps.recentDeliveries.seen(bodyDigestKey(siteId, bodyDigest), now)) {
    deps.log.info('jira.event.duplicate', { siteId, deliveryId, reason: 'same body as a delivery acknowledged before' });
    return ok({ status: 'duplicate', deliveryId, reason: 'the same signed body was delivered before' }, 202);
  }

  // An admin webhook may be registered for more events than the bridge handles (worklogs, versions, sprints: see
  // https://developer.atlassian.com/cloud/jira/platform/webhooks/). Such an event is valid input that no rule wants,
  // so it is acknowledged as ignored (issue 3 "Rules") instead of showing up as a failed delivery in Jira.
  const webhookEvent = (json.value as { webhookEvent?: unknown } | null)?.webhookEvent;
  if (typeof webhookEvent === 'string' && !isSupportedWebhookEvent(webhookEvent)) {
    const reason = `${JSON.stringify(webhookEvent.slice(0, 80))} events trigger no action`;
    deps.log.info('jira.event.ignored', { siteId, deliveryId, reason });
    return ok({ status: 'ignored', reason }, 202);
  }

  // Field ids (request participants, responders) are per project; read the project first from the key alone.
  const projectKey = projectKeyOf(json.value);
  const settings = projectKey ? await deps.settings.project(siteId, projectKey) : undefined;
  const parsed = parseWebhookEvent(json.value, settings?.fieldIds ?? defaultFieldIds);
  if (!parsed.ok) return fail(400, 'invalid_event', parsed.message);
  const event = parsed.value;

  const decision = decide(event, settings);
  if (decision.kind === 'ignore') {
    deps.log.info('jira.event.ignored', { siteId, issueKey: event.issueKey, deliveryId, reason: decision.reason });
    return ok({ status: 'ignored', reason: decision.reason }, 202);
  }

  const message: EventMessage = {
    v: 1,
    kind: 'jira.event',
    jobId: randomUUID(),
    siteId,
    deliveryId,
    bodyDigest,
    issueKey: event.issueKey,
    projectKey: event.projectKey,
    webhookEvent: event.webhookEvent,
    actions: decision.actions,
    receivedAt: deps.clock.now().toISOString(),
  };
  await deps.queues.send(queueNames.jiraEvents, message);
  if (deliveryId) deps.recentDeliveries.add(`${siteId}:${deliveryId}`, now);
  deps.recentDeliveries.add(bodyDigestKey(siteId, bodyDigest), now);
  deps.log.info('jira.event.accepted', { siteId, issueKey: event.issueKey, deliveryId, jobId: message.jobId, actions: decision.actions.map((a) => a.action) });
  return ok({ status: 'accepted', jobId: message.jobId, actions: decision.actions.map((a) => a.action) }, 202);
}

export async function acceptAutomation(request: RawRequest, deps: IntakeDeps): Promise<HttpOutcome> {
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const action = request.params.action ?? '';
  if (!isPublicAction(action)) {
    return fail(404, 'unknown_action', `action ${JSON.stringify(action.slice(0, 60))} does not exist; use one of incident-chat, customer-chat, epic-chat, chat, sync-members, meeting, stakeholder-update, booking, close-chat`);
  }
  const site = await resolveSite(request, deps);
  if ('status' in site) return site;
  const tooLarge = bodyTooLarge(request, deps.config.jira.maxBodyBytes);
  if (tooLarge) return tooLarge;
  const noBody = requireBody(request);
  if (noBody) return noBody;

  const authorization = request.headers.authorization;
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (!bearer) return fail(401, 'token_missing', 'Authorization: Bearer <automation token> header is missing');
  let token = site.automationToken;
  if (!token || !tokensEqual(bearer, token)) token = (await reloadedSite(site, deps))?.automationToken ?? token;
  if (!token) {
    return fail(401, 'automation_token_not_set', `site ${site.site.siteId} has no automation token yet: generate one with POST /api/manage/sites/${site.site.siteId}/secrets/automation-token`);
  }
  if (!tokensEqual(bearer, token)) return fail(401, 'token_invalid', 'the bearer token is not this site\'s automation token');

  const media = requireJson(request);
  if (media) return media;
  const json = parseJson(request);
  if (!json.ok) return json.outcome;
  const parsed = parseAutomationBody(action, json.value);
  if (!parsed.ok) return fail(400, 'invalid_body', parsed.message);

  const siteId = site.site.siteId;
  const { issueKey, params, format } = parsed.value;
  const projectKey = issueKey.split('-')[0]!;
  const settings = await deps.settings.project(siteId, projectKey);
  if (!settings) return ok({ status: 'ignored', reason: `project ${projectKey} is not configured for this site` }, 202);
  if (!settings.enabled) return ok({ status: 'ignored', reason: `project ${projectKey} is switched off` }, 202);

  const message: NewJobMessage = {
    v: 1,
    kind: 'job',
    jobId: randomUUID(),
    action,
    siteId,
    issueKey,
    source: 'automation',
    params,
    requestedAt: deps.clock.now().toISOString(),
  };
  await deps.queues.send(queueFor(action), message);
  deps.log.info('jira.automation.accepted', { siteId, issueKey, action, format, jobId: message.jobId });
  return ok({ status: 'accepted', jobId: message.jobId, action, issueKey }, 202);
}

async function resolveSite(request: RawRequest, deps: IntakeDeps): Promise<SiteCredentials | HttpOutcome> {
  const siteId = request.query.site;
  if (!siteId) return fail(400, 'site_missing', 'the site query parameter is missing (?site=<site id>)');
  if (!siteIdSchema.safeParse(siteId).success) return fail(404, 'unknown_site', 'no site is registered with that id');
  const site = await deps.settings.site(siteId);
  if (!site) return fail(404, 'unknown_site', `no site is registered with id ${siteId}`);
  addLogDimensions({ siteId: site.site.siteId });
  return site;
}

/**
 * The site re-read when a signature or token did not match the cached secrets: an admin may just have rotated it
 * through another instance, whose cache clear does not reach this one, and a refused delivery may never come back.
 * At most one re-read per site a second, so unauthenticated requests cannot turn into much secret-store load.
 */
async function reloadedSite(site: SiteCredentials, deps: IntakeDeps): Promise<SiteCredentials | undefined> {
  return deps.settings.site(site.site.siteId, { maxAgeMs: 1000 });
}

function projectKeyOf(body: unknown): string | undefined {
  const key = (body as { issue?: { key?: unknown } } | undefined)?.issue?.key;
  // Only a real issue key names a project: anything else would become a Table Storage key (up to 1 KiB, and
  // storage refuses longer ones with a 400 that would surface as a 500); parseWebhookEvent then reports the key.
  return typeof key === 'string' && isIssueKey(key) ? key.split('-')[0] : undefined;
}

export function bodyDigestKey(siteId: string, digest: string): string {
  return `${siteId}:sha256:${digest}`;
}

/**
 * Delivery ids and body digests acknowledged recently by this instance (for `windowMs`); the job-time check in the
 * `deliveries` table is the authoritative one.
 */
export interface RecentDeliveries {
  seen(key: string, now: number): boolean;
  add(key: string, now: number): void;
}

export function createRecentDeliveries(capacity = 5000, windowMs = bodyDedupWindowMs): RecentDeliveries {
  const keys = new Map<string, number>();
  return {
    seen(key, now) {
      const at = keys.get(key);
      return at !== undefined && now - at < windowMs;
    },
    add(key, now) {
      keys.delete(key);
      keys.set(key, now);
      if (keys.size > capacity) keys.delete(keys.keys().next().value!);
    },
  };
}
