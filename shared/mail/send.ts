// Sending mail through Graph (graph-contract §9; the call itself is ../graph/mail.ts sendMail). Delegated: the mail
// service user's own mailbox (`me`), with `message.from` set when a shared mailbox is the sender (Exchange Send As /
// Send on Behalf, Mail.Send.Shared). App-only: the sender's mailbox, which Mail.Send allows for any mailbox the
// tenant's Exchange policies let the app reach. sendMail answers 202 with no body and no message id: callers that must not send twice reserve
// the send first (./once.ts) and tag the message with `x-` headers so a message trace can find it.
import { PermanentError } from '../errors.js';
import type { Message } from '@microsoft/microsoft-graph-types';
import { sendMail as graphSendMail } from '../graph/mail.js';
import type { Runtime } from '../runtime.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import type { GraphSession } from '../graph/session.js';
import { toMailError, type MailErrorContext } from './errors.js';

export interface MailSender {
  kind: 'delegated' | 'app';
  /** The mailbox whose sendMail is called: `me` (delegated) or the sender's address (app-only). */
  mailbox: string;
  /** The address recipients see as the sender. */
  address: string;
  /** Set when sending as a mailbox other than the caller's own (delegated shared-mailbox sending). */
  from?: string;
  /** Who the app acts as, for messages. */
  caller: string;
}

export interface OutgoingMail {
  subject: string;
  html: string;
  to: string[];
  /** Custom headers; names must start with `x-` (user-sendmail.md). */
  headers?: Record<string, string>;
  /**
   * The RFC 5322 Message-ID to send with (message resource `internetMessageId`), so replies name it in
   * `In-Reply-To`/`References` and mail → Jira can thread them (shared/mailIn/content.ts `issueKeyInReferences`).
   * UNVERIFIED against a live tenant: that Exchange Online keeps a client-set id on sendMail.
   */
  internetMessageId?: string;
}

export async function resolveSender(deps: Pick<Runtime, 'tables'>, graph: GraphSession, tenantId: string, fromMailbox?: string): Promise<MailSender> {
  const serviceUser = await readServiceUser(deps.tables, tenantId, 'mail');
  if (graph.kind === 'app') {
    const mailbox = fromMailbox ?? serviceUser?.userPrincipalName;
    if (!mailbox) {
      throw new PermanentError(
        'app-only mail needs a sender mailbox: set the project\'s stakeholderMailFrom (a shared mailbox) or sign in a mail service user whose mailbox is used',
        'mail_sender_missing',
      );
    }
    return { kind: 'app', mailbox, address: mailbox, caller: 'the app (app-only Mail.Send)' };
  }
  const own = serviceUser?.userPrincipalName ?? 'the mail service user';
  const shared = fromMailbox && fromMailbox.toLowerCase() !== own.toLowerCase() ? fromMailbox : undefined;
  return { kind: 'delegated', mailbox: 'me', address: shared ?? own, from: shared, caller: own };
}

export function graphMessage(mail: OutgoingMail, from?: string) {
  return {
    subject: mail.subject,
    // The CSDL enum bodyType is `text | html`; the docs' examples write "HTML", the schema's member is lower case.
    body: { contentType: 'html', content: mail.html },
    toRecipients: mail.to.map((address) => ({ emailAddress: { address } })),
    ...(from ? { from: { emailAddress: { address: from } } } : {}),
    ...(mail.internetMessageId ? { internetMessageId: mail.internetMessageId } : {}),
    ...(mail.headers && Object.keys(mail.headers).length
      ? { internetMessageHeaders: Object.entries(mail.headers).map(([name, value]) => ({ name, value })) }
      : {}),
  } satisfies Message;
}

/** Sends one mail; Graph refusals become PermanentErrors that say what to fix (./errors.ts). */
export async function sendMail(graph: GraphSession, sender: MailSender, mail: OutgoingMail): Promise<{ requestId?: string }> {
  const context: MailErrorContext = { caller: sender.caller, from: sender.address, kind: sender.kind };
  try {
    return await graphSendMail(graph, sender.mailbox, graphMessage(mail, sender.from), true);
  } catch (e) {
    throw toMailError(e, context);
  }
}

/** Addresses de-duplicated case-insensitively, first spelling kept. */
export function uniqueAddresses(...lists: ReadonlyArray<readonly string[] | undefined>): string[] {
  const seen = new Map<string, string>();
  for (const list of lists) for (const a of list ?? []) {
    const trimmed = a.trim();
    if (trimmed && !seen.has(trimmed.toLowerCase())) seen.set(trimmed.toLowerCase(), trimmed);
  }
  return [...seen.values()];
}
