// Mail → Jira: a change-notification subscription on a mail source's folder, so new mail starts the catch-up at
// once instead of at the next 15-minute timer. The notification carries nothing the app acts on by itself: it
// queues the source's delta catch-up (./ingest.ts), whose claims keep each message exactly once, so a notification
// delivered twice, a forged one that got through, or one lost on the way changes nothing but the delay.
//
// Facts relied on (learn.microsoft.com/graph/outlook-change-notifications-overview, …/change-notifications-overview
// "subscription lifetime"):
// - `created` on `/me/mailFolders('{id}')/messages` with delegated Mail.Read (the signed-in user's own mailbox).
// - "Delegated permissions only support subscribing to items in folders or mailbox of the signed-in user"; the
//   Outlook shared permissions (Mail.Read.Shared…) "don't support subscribing to change notifications on items in
//   shared or delegated folders". A shared-mailbox source therefore keeps the delta catch-up only.
// - An Outlook message subscription lasts at most 10,070 minutes (under 7 days; ../graph/subscriptions.ts). It is
//   renewed by the mail catch-up timer.
// - lifecycle notifications (lifecycleNotificationUrl): `missed` → catch up; `subscriptionRemoved` → recreate and
//   catch up; `reauthorizationRequired` → POST /subscriptions/{id}/reauthorize.
//
// State: PK `mail|<site>` RK `<project key>` in `graphSubscriptions`, beside the chat rows, and the shared
// per-subscription index row (PK `sub`) the notification endpoint reads. The clientState is a secret (DESIGN §5).
import { GraphRequestError } from '../graph/client.js';
import { mailFolderMessagesResource } from '../graph/mail.js';
import {
  createMailFolderSubscription,
  expiryFrom,
  reauthorizeSubscription,
  renewSubscription,
  requestedMailSubscriptionMinutes,
  type GraphSubscription,
} from '../graph/subscriptions.js';
import { deleteSubscriptionIndex, forgetSubscription, newClientState, notificationUrls, writeSubscriptionIndex } from '../subscriptions/upkeep.js';
import { deleteEntity, readEntity, tableNames, upsertEntity } from '../storage/tables.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import type { MailSource } from './sources.js';

/** The catch-up timer runs every 15 minutes; renewing a day ahead leaves many chances for a failed renewal. */
export const renewMailWithinHours = 24;

export type MailSubscriptionState = 'active' | 'failed' | 'unsupported';

export interface MailSubscriptionRow {
  siteId: string;
  projectKey: string;
  tenantId: string;
  resource: string;
  state: MailSubscriptionState;
  subscriptionId?: string;
  clientStateSecret?: string;
  expiresAt?: string;
  lastEvent?: string;
  /** Why `failed` or `unsupported`, in words (never a token). */
  lastError?: string;
  updatedAt: string;
}

type Deps = Pick<WorkflowDeps, 'tables' | 'secrets' | 'clock' | 'config' | 'log' | 'graphFor'>;

const pk = (siteId: string) => `mail|${siteId}`;

/** `/me/mailFolders('inbox')/messages`: the resource form of the Outlook notifications docs. */
export function mailFolderResource(source: Pick<MailSource, 'mailbox' | 'folder'>): string {
  return mailFolderMessagesResource(source.mailbox, source.folder);
}

export async function readMailSubscription(deps: Pick<WorkflowDeps, 'tables'>, siteId: string, projectKey: string): Promise<MailSubscriptionRow | undefined> {
  const row = await readEntity<MailSubscriptionRow>(await deps.tables.table(tableNames.graphSubscriptions), pk(siteId), projectKey);
  if (!row) return undefined;
  const { partitionKey: _p, rowKey: _r, etag: _e, ...rest } = row;
  return rest;
}

async function writeRow(deps: Deps, row: MailSubscriptionRow): Promise<void> {
  await upsertEntity(await deps.tables.table(tableNames.graphSubscriptions), pk(row.siteId), row.projectKey, row);
}

/**
 * Keeps the source's folder subscription in step: nothing while it is active and far from expiry, a renewal within
 * a day of it, a new one when there is none, it failed, Graph lost it, or the folder changed. Never throws a Graph
 * refusal: the delta catch-up still works without notifications; the refusal is kept on the row.
 */
export async function ensureMailSubscription(deps: Deps, source: MailSource, options: { recreate?: string } = {}): Promise<string> {
  const now = deps.clock.now();
  const resource = mailFolderResource(source);
  const row = await readMailSubscription(deps, source.siteId, source.projectKey);
  if (source.mailbox !== 'me') {
    if (row?.subscriptionId) await removeMailSubscription(deps, source.siteId, source.projectKey, 'shared mailbox');
    if (row?.state === 'unsupported') return 'shared mailbox: delta catch-up only';
    await writeRow(deps, {
      siteId: source.siteId,
      projectKey: source.projectKey,
      tenantId: source.tenantId,
      resource,
      state: 'unsupported',
      lastError: 'Microsoft Graph does not support change notifications on a shared mailbox with delegated permissions; new mail is read by the 15-minute catch-up',
      updatedAt: now.toISOString(),
    });
    return 'shared mailbox: delta catch-up only';
  }
  const same = row?.state === 'active' && row.subscriptionId && row.expiresAt && row.resource === resource && row.tenantId === source.tenantId;
  if (same && !options.recreate) {
    const hoursLeft = (Date.parse(row.expiresAt!) - now.getTime()) / 3_600_000;
    if (hoursLeft > renewMailWithinHours) return `subscription ${row.subscriptionId} active until ${row.expiresAt}`;
    const graph = await deps.graphFor(source.tenantId, 'mail-in');
    try {
      const expiresAt = await renewSubscription(graph, row.subscriptionId!, expiryFrom(now, requestedMailSubscriptionMinutes));
      await writeRow(deps, { ...row, expiresAt, lastEvent: 'renewed', lastError: undefined, updatedAt: now.toISOString() });
      return `subscription ${row.subscriptionId} renewed until ${expiresAt}`;
    } catch (e) {
      // Expired or removed meanwhile: Graph answers 404; a new one is made below.
      if (!(e instanceof GraphRequestError && e.status === 404)) throw e;
    }
  }
  return recreate(deps, source, row, options.recreate ?? (row ? `state was ${row.state}` : 'new source'));
}

async function recreate(deps: Deps, source: MailSource, previous: MailSubscriptionRow | undefined, reason: string): Promise<string> {
  const now = deps.clock.now();
  const graph = await deps.graphFor(source.tenantId, 'mail-in');
  if (previous?.subscriptionId) await forgetSubscription(deps, graph, previous.subscriptionId, previous.clientStateSecret);
  else if (previous?.clientStateSecret) await deps.secrets.delete(previous.clientStateSecret).catch(() => undefined);
  const { clientStateSecret, clientState } = await newClientState(deps, source.siteId, 'mail', source.projectKey);
  const resource = mailFolderResource(source);
  const row: MailSubscriptionRow = { siteId: source.siteId, projectKey: source.projectKey, tenantId: source.tenantId, resource, state: 'failed', lastEvent: reason, updatedAt: now.toISOString() };
  let created: GraphSubscription;
  try {
    created = await createMailFolderSubscription(graph, {
      mailbox: source.mailbox,
      folder: source.folder,
      clientState,
      expirationDateTime: expiryFrom(now, requestedMailSubscriptionMinutes),
      ...notificationUrls(deps.config.publicBaseUrl),
    });
  } catch (e) {
    await deps.secrets.delete(clientStateSecret).catch(() => undefined);
    if (!(e instanceof GraphRequestError && e.status >= 400 && e.status < 500)) throw e;
    // 403: Mail.Read not consented; 400: Graph could not validate PUBLIC_BASE_URL/api/graph/notifications.
    const lastError = `Graph refused the folder subscription (${e.status} ${e.code}); new mail is read by the 15-minute catch-up only`;
    await writeRow(deps, { ...row, lastError });
    deps.log.warn('mail-in.subscription.refused', { siteId: source.siteId, projectKey: source.projectKey, status: e.status, code: e.code });
    return lastError;
  }
  await writeSubscriptionIndex(deps, created.id, { target: 'mail-in', siteId: source.siteId, projectKey: source.projectKey, tenantId: source.tenantId, clientStateSecret });
  await writeRow(deps, { ...row, state: 'active', subscriptionId: created.id, clientStateSecret, expiresAt: created.expirationDateTime });
  return `subscription ${created.id} created (${reason}) until ${created.expirationDateTime}`;
}

/** `reauthorizationRequired`: a fresh token (graphFor) and POST …/reauthorize; a gone subscription is recreated. */
export async function reauthorizeMailSubscription(deps: Deps, source: MailSource): Promise<string> {
  const row = await readMailSubscription(deps, source.siteId, source.projectKey);
  if (!row?.subscriptionId) return ensureMailSubscription(deps, source);
  const graph = await deps.graphFor(source.tenantId, 'mail-in');
  try {
    await reauthorizeSubscription(graph, row.subscriptionId);
  } catch (e) {
    if (e instanceof GraphRequestError && e.status === 404) return ensureMailSubscription(deps, source, { recreate: 'reauthorization found the subscription gone' });
    throw e;
  }
  await writeRow(deps, { ...row, lastEvent: 'reauthorized', updatedAt: deps.clock.now().toISOString() });
  return `subscription ${row.subscriptionId} reauthorized`;
}

/**
 * The source was deleted or disabled: the subscription goes at Graph (best effort: a disconnected tenant cannot be
 * called, and Graph drops it when it expires), and its index row and secret go here, so its notifications are void.
 */
export async function removeMailSubscription(deps: Deps, siteId: string, projectKey: string, reason: string): Promise<boolean> {
  const row = await readMailSubscription(deps, siteId, projectKey);
  if (!row) return false;
  if (row.subscriptionId) {
    try {
      const graph = await deps.graphFor(row.tenantId, 'mail-in');
      await forgetSubscription(deps, graph, row.subscriptionId, row.clientStateSecret);
    } catch (e) {
      deps.log.warn('mail-in.subscription.delete-failed', { siteId, projectKey, reason: e instanceof Error ? e.message.slice(0, 200) : 'unknown' });
      await deleteSubscriptionIndex(deps, row.subscriptionId);
      if (row.clientStateSecret) await deps.secrets.delete(row.clientStateSecret).catch(() => undefined);
    }
  }
  await deleteEntity(await deps.tables.table(tableNames.graphSubscriptions), pk(siteId), projectKey);
  deps.log.info('mail-in.subscription.removed', { siteId, projectKey, subscriptionId: row.subscriptionId, reason });
  return true;
}
