// What the app's Graph change-notification subscriptions share, whatever they watch (chat messages:
// ../chatToJira/subscriptions.ts; a mail source's folder: ../mailIn/subscription.ts): one notification endpoint, a
// clientState secret per subscription, and the per-subscription index row (PK `sub` in `graphSubscriptions`) the
// endpoint reads to find what a notification is for. The Graph calls are ../graph/subscriptions.ts; the per-chat
// and per-source rows stay with their features.
//
// The clientState itself is a secret (DESIGN §5: Graph notification clientState secrets live in Key Vault); rows
// only name it.
import { randomBytes, randomUUID } from 'node:crypto';
import { GraphRequestError, type Graph } from '../graph/client.js';
import { deleteSubscription } from '../graph/subscriptions.js';
import type { ChatKind } from '../actions.js';
import type { Runtime } from '../runtime.js';
import { secretName } from '../secrets/secretStore.js';
import { deleteEntity, readEntity, tableNames, upsertEntity } from '../storage/tables.js';

/** Where Graph posts change and lifecycle notifications (../chatToJira/notifications.ts handles both kinds). */
export const notificationPath = '/api/graph/notifications';

/** The notification and lifecycle URLs of a new subscription; Graph validates both before it answers. */
export function notificationUrls(publicBaseUrl: string): { notificationUrl: string; lifecycleNotificationUrl: string } {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return { notificationUrl: `${base}${notificationPath}`, lifecycleNotificationUrl: `${base}${notificationPath}?lifecycle=1` };
}

/**
 * A fresh clientState for one subscription, stored under a new secret name (`graph-client-state` + `nameParts` + a
 * random part, so a replaced subscription's secret is never reused). Graph allows clientState up to 128 characters
 * (graph-contract §10); 48 random bytes are 64 base64url ones.
 */
export async function newClientState(deps: Pick<Runtime, 'secrets'>, ...nameParts: string[]): Promise<{ clientStateSecret: string; clientState: string }> {
  const clientStateSecret = secretName('graph-client-state', ...nameParts, randomUUID());
  const clientState = randomBytes(48).toString('base64url');
  await deps.secrets.set(clientStateSecret, clientState);
  return { clientStateSecret, clientState };
}

/** Which issue's chat a chat subscription follows: the key shared by its row, its index entry and its jobs. */
export interface ChatRef {
  siteId: string;
  issueId: string;
  issueKey: string;
  kind: ChatKind;
  tenantId: string;
  chatId: string;
}

export interface ChatSubscriptionIndexRow extends ChatRef {
  target?: 'chat';
  clientStateSecret: string;
}

/** A mail source's folder subscription (../mailIn/subscription.ts): its notifications start that source's catch-up. */
export interface MailSubscriptionIndexRow {
  target: 'mail-in';
  siteId: string;
  projectKey: string;
  tenantId: string;
  clientStateSecret: string;
}

export type SubscriptionIndexRow = ChatSubscriptionIndexRow | MailSubscriptionIndexRow;

type Deps = Pick<Runtime, 'tables'>;

const subPk = 'sub';

export async function readSubscriptionIndex(deps: Deps, subscriptionId: string): Promise<SubscriptionIndexRow | undefined> {
  const row = await readEntity<SubscriptionIndexRow>(await deps.tables.table(tableNames.graphSubscriptions), subPk, subscriptionId);
  if (!row) return undefined;
  const { partitionKey: _p, rowKey: _r, etag: _e, ...index } = row;
  return index;
}

export async function writeSubscriptionIndex(deps: Deps, subscriptionId: string, row: SubscriptionIndexRow): Promise<void> {
  await upsertEntity(await deps.tables.table(tableNames.graphSubscriptions), subPk, subscriptionId, row);
}

export async function deleteSubscriptionIndex(deps: Deps, subscriptionId: string): Promise<void> {
  await deleteEntity(await deps.tables.table(tableNames.graphSubscriptions), subPk, subscriptionId);
}

/**
 * DELETE at Graph (404 and 403 are accepted: already gone, or no longer this account's to delete, and Graph drops
 * a subscription when it expires anyway), then the index row and the secret: its notifications are void. Used for chat and mail-folder
 * subscriptions alike (they share the index and the notification endpoint).
 */
export async function forgetSubscription(deps: Pick<Runtime, 'tables' | 'secrets'>, graph: Graph, subscriptionId: string, clientStateSecret: string | undefined): Promise<void> {
  try {
    await deleteSubscription(graph, subscriptionId);
  } catch (e) {
    if (!(e instanceof GraphRequestError && (e.status === 404 || e.status === 403))) throw e;
  }
  await deleteSubscriptionIndex(deps, subscriptionId);
  if (clientStateSecret) await deps.secrets.delete(clientStateSecret).catch(() => undefined);
}
