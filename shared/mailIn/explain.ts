// Graph's answers to reading a mail source, in words an admin can act on (test connection and the catch-up).
import type { GraphRequestError } from '../graph/client.js';
import type { MailSource } from './sources.js';

export function mailboxName(source: MailSource, upn: string) {
  return source.mailbox === 'me' ? `the mailbox of ${upn}` : `the shared mailbox ${source.mailbox}`;
}

/** Graph's answers to reading a folder, in words (codes, never messages, are branched on: graph-contract §13). */
export function explainReadFailure(e: GraphRequestError, source: MailSource, upn: string): string {
  const who = mailboxName(source, upn);
  if (e.code === 'MailboxNotEnabledForRESTAPI' || e.code === 'ResourceNotFound' || e.code === 'Request_ResourceNotFound') {
    return `${who} has no Exchange Online mailbox (no licence with Exchange Online, or it is hosted on-premises): give it a mailbox or choose another (${e.code})`;
  }
  if (e.code === 'ErrorItemNotFound') return `${who} has no folder "${source.folder}": use a well-known name such as inbox or a folder id (${e.code})`;
  if (e.status === 403 && source.mailbox !== 'me') {
    return `${upn} has no access to the shared mailbox ${source.mailbox}: grant it Full Access (Exchange admin center → Mailboxes → ${source.mailbox} → Delegation → Read and manage) and make sure Mail.Read.Shared is consented (${e.code})`;
  }
  if (e.status === 403 || e.status === 401) return `access to ${who} was refused: the mail-in consent (Mail.Read) is missing or was revoked; consent again and sign in again (${e.code})`;
  return `reading ${who} failed with ${e.status} ${e.code}`;
}

