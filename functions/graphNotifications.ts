// POST /api/graph/notifications: Microsoft Graph change and lifecycle notifications for chat subscriptions
// (the lifecycle URL is the same route with ?lifecycle=1). Anonymous: Graph cannot send a function key; the
// validation handshake and each notification's clientState are the authentication (DESIGN §4).
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { acceptGraphNotifications } from '../shared/chatToJira/notifications.js';
import { notificationDeps } from '../shared/chatToJira/deps.js';
import { allMethods, answer, toRawRequest } from './lib/http.js';

export async function graphNotifications(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => acceptGraphNotifications(await toRawRequest(request), notificationDeps()));
}

app.http('graphNotifications', { route: 'graph/notifications', methods: [...allMethods], authLevel: 'anonymous', handler: graphNotifications });
