// Mail errors, explained for the admin who has to fix them (graph-contract §9, §13: branch on `code`, never on the
// message). Used by stakeholder updates (the job fails with this text in its audit entry) and by the mail
// connection test.
import { PermanentError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';

export interface MailErrorContext {
  /** Who the app acted as: the mail service user's UPN, or "the app (app-only)". */
  caller: string;
  /** The address the mail was sent from. */
  from: string;
  kind: 'delegated' | 'app';
}

export interface MailErrorExplanation {
  code: string;
  message: string;
}

/** What an admin can do about a Graph mail error; `undefined` for errors that are worth retrying (5xx, network). */
export function explainMailError(e: unknown, ctx: MailErrorContext): MailErrorExplanation | undefined {
  if (!(e instanceof GraphRequestError) || e.status >= 500) return undefined;
  const graph = `(Graph ${e.status} ${e.code})`;
  switch (e.code) {
    case 'ErrorSendAsDenied':
      // outlook-send-mail-from-other-user.md: Send As / Send on Behalf are Exchange rights, granted outside Graph.
      return {
        code: 'mail_send_as_denied',
        message:
          `${ctx.caller} may not send as ${ctx.from} ${graph}. In the Exchange admin center open the mailbox ${ctx.from} → ` +
          `Delegation and give ${ctx.caller} "Send as" (or "Send on behalf"), e.g. ` +
          `Add-RecipientPermission -Identity "${ctx.from}" -Trustee "${ctx.caller}" -AccessRights SendAs` +
          (ctx.kind === 'delegated'
            ? '. Delegated sending from another mailbox also needs the optional Mail.Send.Shared permission: consent to the mail feature again and sign the service user in again.'
            : '.') +
          ' Or clear the project\'s stakeholderMailFrom to send from the service user\'s own mailbox.',
      };
    case 'MailboxNotEnabledForRESTAPI':
    case 'MailboxNotFound':
    case 'ResourceNotFound':
    case 'Request_ResourceNotFound':
    case 'ErrorInvalidUser':
      return {
        code: 'mail_mailbox_missing',
        message: `${ctx.from} has no Exchange Online mailbox Graph can send from ${graph}: give the account an Exchange Online licence (or use an existing shared mailbox) and try again.`,
      };
    case 'ErrorInvalidRecipients':
      return { code: 'mail_recipients_invalid', message: `Exchange refused the recipients ${graph}: check the project's stakeholder list and the addresses in the request.` };
    case 'ErrorMessageSubmissionBlocked':
      return {
        code: 'mail_sender_blocked',
        message: `Exchange blocked ${ctx.from} from sending ${graph}, typically after outbound spam detection: a Microsoft 365 admin must release the account (Microsoft Defender → Restricted entities).`,
      };
    case 'ErrorQuotaExceeded':
      return { code: 'mail_quota_exceeded', message: `the mailbox ${ctx.from} is full ${graph}: free space or raise its quota.` };
  }
  if (e.status === 401 || e.status === 403) {
    return {
      code: 'mail_forbidden',
      message:
        ctx.kind === 'app'
          ? `the app may not send as ${ctx.from} ${graph}: the tenant must consent to the application permission Mail.Send, and an Exchange application access policy or RBAC for Applications scope, if any, must include ${ctx.from}.`
          : `${ctx.caller} may not send mail ${graph}: the mail feature needs Mail.Send (and Mail.Send.Shared for a shared mailbox); consent to the mail feature and sign the service user in again.`,
    };
  }
  return { code: 'mail_rejected', message: `Graph refused the mail ${graph}: ${e.message}` };
}

export function toMailError(e: unknown, ctx: MailErrorContext): unknown {
  const explained = explainMailError(e, ctx);
  if (!explained) return e;
  const g = e as GraphRequestError;
  return new PermanentError(explained.message, explained.code, { status: g.status, graphCode: g.code, requestId: g.requestId }, { cause: g });
}
