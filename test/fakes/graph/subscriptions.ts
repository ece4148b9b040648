// Change-notification subscriptions: POST (with the notificationUrl validation handshake), PATCH (renew),
// DELETE (graph-contract.md §10). Notifications themselves are sent by tests through `FakeGraph.notify`.
import { randomUUID } from 'node:crypto';
import type { FakeGraph, Route } from '../graph.js';
import type { FakeSubscription } from './state.js';
import { tokenPermissions } from '../tokens.js';
import { addressedUser } from './users.js';
import { appOnly, GraphError, type GraphCall } from './wire.js';

/**
 * teams-cn-chatmessage: `/chats/{id}/messages` needs delegated Chat.Read (or higher) or application
 * Chat.Read.All / ChatMessage.Read.Chat; cn-supported-resources: "1 subscription per app per chat".
 */
const CHAT_MESSAGES_PERMISSIONS = ['Chat.Read', 'Chat.ReadWrite', 'Chat.Read.All', 'Chat.ReadWrite.All', 'ChatMessage.Read.Chat'];

function checkChatMessagesResource(graph: FakeGraph, call: GraphCall, resource: string): void {
  const m = /^\/?chats\/([^/]+)\/messages$/i.exec(resource);
  if (!m) return;
  if (graph.options.enforceScopes) {
    const held = tokenPermissions(call.claims).map((p) => p.toLowerCase());
    if (!CHAT_MESSAGES_PERMISSIONS.some((p) => held.includes(p.toLowerCase()))) {
      throw new GraphError(403, 'ExtensionError', `Operation: Create; Exception: [Status Code: Forbidden; Reason: Caller does not have access to '${resource}'. Required permissions: ${CHAT_MESSAGES_PERMISSIONS.join(', ')}]`);
    }
  }
  const chat = graph.chats.get(decodeURIComponent(m[1] ?? ''));
  if (!chat || chat.tenantId !== call.claims.tid) throw new GraphError(404, 'ExtensionError', `Operation: Create; Exception: [Status Code: NotFound; Reason: chat '${m[1]}' was not found]`);
  if (!appOnly(call.claims) && !chat.members.some((u) => u.userId === call.claims.oid)) {
    throw new GraphError(403, 'ExtensionError', 'Operation: Create; Exception: [Status Code: Forbidden; Reason: the signed-in user is not a member of the chat]');
  }
  const appId = String(call.claims.appid ?? '');
  const taken = [...graph.subscriptions.values()].some((s) => s.tenantId === call.claims.tid && s.applicationId === appId && s.resource.toLowerCase() === resource.toLowerCase());
  if (taken) {
    throw new GraphError(403, 'ExtensionError', 'Operation: Create; Exception: [Status Code: Forbidden; Reason: Subscription quota exceeded: 1 subscription per app per chat]');
  }
}

/**
 * outlook-change-notifications-overview: messages of a mail folder, `/me/mailFolders('{id}')/messages` or
 * `/users/{id}/mailFolders('{id}')/messages`, with Mail.ReadBasic / Mail.Read / Mail.ReadWrite (delegated) or the
 * application ones. "Delegated permissions only support subscribing to items in folders or mailbox of the
 * signed-in user"; the Outlook shared permissions "don't support subscribing to change notifications on items in
 * shared or delegated folders": a delegated subscription on another mailbox is refused even with Full Access.
 */
const MAIL_FOLDER_RESOURCE = /^\/?(?:me|users\/([^/]+))\/mailFolders(?:\('([^']+)'\)|\/([^/(]+))\/messages$/i;
const MAIL_MESSAGES_PERMISSIONS = ['Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite', 'Mail.ReadBasic.All'];

function checkMailFolderResource(graph: FakeGraph, call: GraphCall, resource: string): void {
  const m = MAIL_FOLDER_RESOURCE.exec(resource);
  if (!m) return;
  if (graph.options.enforceScopes) {
    const held = tokenPermissions(call.claims).map((p) => p.toLowerCase());
    if (!MAIL_MESSAGES_PERMISSIONS.some((p) => held.includes(p.toLowerCase()))) {
      throw new GraphError(403, 'ExtensionError', `Operation: Create; Exception: [Status Code: Forbidden; Reason: Caller does not have access to '${resource}'.]`);
    }
  }
  const mailbox = addressedUser(graph, call, m[1] === undefined ? undefined : decodeURIComponent(m[1]));
  if (!appOnly(call.claims) && mailbox.id !== addressedUser(graph, call, undefined).id) {
    throw new GraphError(403, 'ExtensionError', 'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied. Check credentials and try again.]');
  }
  const folder = graph.mailIn.folder(mailbox, decodeURIComponent(m[2] ?? m[3] ?? ''));
  if (!folder) throw new GraphError(404, 'ExtensionError', 'Operation: Create; Exception: [Status Code: NotFound; Reason: The specified object was not found in the store.]');
}

/** The mailbox user and folder a mail folder subscription watches (undefined: not a mail folder resource). */
export function mailFolderOf(graph: FakeGraph, s: FakeSubscription): { userId: string; folderId: string } | undefined {
  const m = MAIL_FOLDER_RESOURCE.exec(s.resource);
  if (!m) return undefined;
  const user = m[1] === undefined ? graph.users.get(s.creatorId) : graph.findUser(decodeURIComponent(m[1]), s.tenantId);
  const folder = user && graph.mailIn.folder(user, decodeURIComponent(m[2] ?? m[3] ?? ''));
  return user && folder ? { userId: user.id, folderId: folder.id } : undefined;
}

/** change-notifications-subscription-lifetime: Outlook message subscriptions last at most 10,070 minutes. */
const MAX_OUTLOOK_MESSAGE_MINUTES = 10_070;
/** change-notifications-subscription-lifetime: Teams chatMessage subscriptions last at most 4,320 minutes. */
const MAX_CHAT_MESSAGE_MINUTES = 4320;
/** teams-changenotifications-chatmessage: beyond one hour a lifecycleNotificationUrl is required. */
const LIFECYCLE_REQUIRED_AFTER_MINUTES = 60;
/** notificationurl-validation: the endpoint must answer within 10 seconds. */
const VALIDATION_TIMEOUT_MS = 10_000;

export function subscriptionResource(graph: FakeGraph, s: FakeSubscription) {
  return {
    '@odata.context': `${graph.baseUrl}/$metadata#subscriptions/$entity`,
    id: s.id,
    resource: s.resource,
    applicationId: s.applicationId,
    changeType: s.changeType,
    clientState: s.clientState,
    notificationUrl: s.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl,
    expirationDateTime: s.expirationDateTime,
    creatorId: s.creatorId,
    includeResourceData: s.includeResourceData,
    latestSupportedTlsVersion: 'v1_2',
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
  };
}

function checkExpiration(graph: FakeGraph, resource: string, expiration: unknown, lifecycleUrl: string | null): string {
  const ms = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(ms)) throw new GraphError(400, 'ExtensionError', 'expirationDateTime is required and must be a date.');
  const minutes = (ms - graph.now()) / 60000;
  if (minutes <= 0) throw new GraphError(400, 'ExtensionError', 'Subscription expiration can only be in the future.');
  const max = MAIL_FOLDER_RESOURCE.test(resource) ? MAX_OUTLOOK_MESSAGE_MINUTES : /\/messages/i.test(resource) ? MAX_CHAT_MESSAGE_MINUTES : undefined;
  if (max !== undefined && minutes > max) {
    throw new GraphError(400, 'ExtensionError', `Subscription expiration can only be ${max} minutes in the future.`);
  }
  if (/^\/?chats/i.test(resource) && minutes > LIFECYCLE_REQUIRED_AFTER_MINUTES && !lifecycleUrl) {
    throw new GraphError(400, 'ExtensionError', 'lifecycleNotificationUrl is required when the expiration is more than 1 hour in the future.');
  }
  return new Date(ms).toISOString();
}

/** POSTs `?validationToken=…` as Graph does and requires the token back, decoded, as text/plain with 200. */
async function validateEndpoint(url: string): Promise<void> {
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
  const target = new URL(url);
  target.searchParams.set('validationToken', token);
  let ok = false;
  try {
    const res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS),
    });
    ok = res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/plain') && (await res.text()) === token;
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new GraphError(400, 'ValidationError', 'Subscription validation request failed. Response must exactly match validationToken query parameter.');
  }
}

function subscriptionOf(graph: FakeGraph, call: GraphCall): FakeSubscription {
  const s = graph.subscriptions.get(call.params.subscriptionId ?? '');
  if (!s || s.tenantId !== call.claims.tid) throw new GraphError(404, 'ResourceNotFound', `The object was not found.`);
  return s;
}

export function subscriptionRoutes(): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/subscriptions',
      async handle(graph, call) {
        const body = (call.body ?? {}) as Record<string, unknown>;
        for (const field of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) {
          if (typeof body[field] !== 'string' || body[field] === '') throw new GraphError(400, 'ExtensionError', `${field} is required.`);
        }
        const resource = String(body.resource);
        const lifecycleUrl = typeof body.lifecycleNotificationUrl === 'string' ? body.lifecycleNotificationUrl : null;
        const expirationDateTime = checkExpiration(graph, resource, body.expirationDateTime, lifecycleUrl);
        checkChatMessagesResource(graph, call, resource);
        checkMailFolderResource(graph, call, resource);
        if (body.includeResourceData === true && (!body.encryptionCertificate || !body.encryptionCertificateId)) {
          throw new GraphError(400, 'ExtensionError', 'encryptionCertificate and encryptionCertificateId are required with includeResourceData.');
        }
        if (graph.options.validateNotificationUrls) {
          await validateEndpoint(String(body.notificationUrl));
          if (lifecycleUrl) await validateEndpoint(lifecycleUrl);
        }
        const subscription: FakeSubscription = {
          id: randomUUID(),
          resource,
          changeType: String(body.changeType),
          clientState: typeof body.clientState === 'string' ? body.clientState : null,
          notificationUrl: String(body.notificationUrl),
          lifecycleNotificationUrl: lifecycleUrl,
          expirationDateTime,
          includeResourceData: body.includeResourceData === true,
          applicationId: String(call.claims.appid ?? ''),
          creatorId: call.claims.oid ?? String(call.claims.appid ?? ''),
          tenantId: call.claims.tid,
        };
        graph.subscriptions.set(subscription.id, subscription);
        return { status: 201, body: subscriptionResource(graph, subscription) };
      },
    },
    {
      // subscription-list: delegated calls see the subscriptions the app created for the signed-in user,
      // app-only calls every subscription of the app in the tenant.
      method: 'GET',
      pattern: '/subscriptions',
      handle(graph, call) {
        const appId = String(call.claims.appid ?? '');
        const value = [...graph.subscriptions.values()]
          .filter((x) => x.tenantId === call.claims.tid && x.applicationId === appId && (appOnly(call.claims) || x.creatorId === call.claims.oid))
          .map((x) => subscriptionResource(graph, x));
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#subscriptions`, value } };
      },
    },
    {
      method: 'PATCH',
      pattern: '/subscriptions/{subscriptionId}',
      handle(graph, call) {
        const s = subscriptionOf(graph, call);
        const body = (call.body ?? {}) as Record<string, unknown>;
        if (body.expirationDateTime !== undefined) {
          s.expirationDateTime = checkExpiration(graph, s.resource, body.expirationDateTime, s.lifecycleNotificationUrl);
        }
        // webhooks-delivery: renewing answers 200 with the subscription.
        return { status: 200, body: subscriptionResource(graph, s) };
      },
    },
    {
      // lifecycle: "POST /subscriptions/{id}/reauthorize" answers 204 No Content.
      method: 'POST',
      pattern: '/subscriptions/{subscriptionId}/reauthorize',
      handle(graph, call) {
        const s = subscriptionOf(graph, call);
        s.reauthorizedCount = (s.reauthorizedCount ?? 0) + 1;
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}',
      handle(graph, call) {
        return { status: 200, body: subscriptionResource(graph, subscriptionOf(graph, call)) };
      },
    },
    {
      method: 'DELETE',
      pattern: '/subscriptions/{subscriptionId}',
      handle(graph, call) {
        graph.subscriptions.delete(subscriptionOf(graph, call).id);
        return { status: 204 };
      },
    },
  ];
}

/** The body Graph POSTs to a notificationUrl for one change (webhooks-delivery). */
export function changeNotificationBody(
  s: FakeSubscription,
  change: { changeType?: string; resource?: string; resourceData?: Record<string, unknown> },
  now: number,
) {
  return {
    value: [
      {
        subscriptionId: s.id,
        subscriptionExpirationDateTime: s.expirationDateTime,
        changeType: change.changeType ?? s.changeType.split(',')[0],
        resource: change.resource ?? s.resource,
        resourceData: change.resourceData ?? null,
        clientState: s.clientState,
        tenantId: s.tenantId,
        sequenceNumber: now,
      },
    ],
  };
}

export function lifecycleNotificationBody(s: FakeSubscription, lifecycleEvent: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed') {
  return {
    value: [
      {
        subscriptionId: s.id,
        subscriptionExpirationDateTime: s.expirationDateTime,
        tenantId: s.tenantId,
        clientState: s.clientState,
        lifecycleEvent,
      },
    ],
  };
}

