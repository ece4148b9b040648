// Mail: POST /me/sendMail and /users/{id|upn}/sendMail → 202 with no body (user-sendmail.md). Sending as a
// mailbox other than the caller's own needs Exchange Send As / Send on Behalf, granted outside Graph; without it
// Graph answers 403 ErrorSendAsDenied (outlook-send-mail-from-other-user.md). Tests grant it with
// `FakeGraph.allowSendAs`.
import type { FakeGraph, Route } from '../graph.js';
import type { FakeUser } from './state.js';
import { addressedUser } from './users.js';
import { appOnly, GraphError, timestamp, type GraphCall } from './wire.js';

function ownsAddress(user: FakeUser, address: string): boolean {
  const a = address.toLowerCase();
  return (
    user.mail?.toLowerCase() === a ||
    user.userPrincipalName.toLowerCase() === a ||
    user.proxyAddresses.some((p) => p.toLowerCase() === `smtp:${a}`)
  );
}

function sendMail(graph: FakeGraph, call: GraphCall) {
  const mailbox = addressedUser(graph, call, call.params.userId);
  const body = (call.body ?? {}) as { message?: Record<string, unknown>; saveToSentItems?: unknown };
  if (!body.message || typeof body.message !== 'object') throw new GraphError(400, 'ErrorInvalidRequest', 'message is required.');
  const recipients = body.message.toRecipients;
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new GraphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid., A message can\'t be sent because it contains no recipients.');
  }
  const from = ((body.message.from as { emailAddress?: { address?: unknown } } | undefined)?.emailAddress?.address ?? undefined) as
    | string
    | undefined;

  // App-only Mail.Send may send as any mailbox in the tenant; a delegated caller needs rights on every mailbox
  // it acts for that is not its own: the one in the path and the one in `from`.
  if (!appOnly(call.claims)) {
    const caller = addressedUser(graph, call, undefined);
    const actingFor = [mailbox, ...(from ? [from] : [])];
    for (const target of actingFor) {
      const own = typeof target === 'string' ? ownsAddress(caller, target) : target.id === caller.id;
      const address = typeof target === 'string' ? target : (target.mail ?? target.userPrincipalName);
      if (!own && !graph.maySendAs(caller.id, address)) {
        throw new GraphError(
          403,
          'ErrorSendAsDenied',
          'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.',
        );
      }
    }
  }
  graph.outbox.push({
    mailboxUserId: mailbox.id,
    callerUserId: call.claims.oid,
    from,
    message: body.message,
    saveToSentItems: body.saveToSentItems !== false,
    sentDateTime: timestamp(graph.now()),
  });
  return { status: 202 };
}

export function mailRoutes(): Route[] {
  return [
    { method: 'POST', pattern: '/me/sendMail', permissions: ['Mail.Send', 'Mail.Send.Shared'], handle: sendMail },
    { method: 'POST', pattern: '/users/{userId}/sendMail', permissions: ['Mail.Send', 'Mail.Send.Shared'], handle: sendMail },
  ];
}
