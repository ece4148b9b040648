// Mail → Jira: the people a new mail was copied to (Cc) become request participants of the JSM request it raised,
// as a mail handler's users expect ("everyone on the thread hears back"), so their later replies are public
// replies (ingest.ts: the customer or a request participant writes publicly) and JSM notifies them.
//
// Only addresses that already map to a Jira account (the bridge's user mappings, or Jira's user search on an exact
// visible e-mail) are added: a Cc never creates a customer, even where the source lets senders become customers
// (an internet mailbox would otherwise turn every copied address into an account). Left out: the sender (already
// the reporter), the source's own mailbox (the shared mailbox, or the signed-in account's own address), and
// blocked domains.
import type { JiraApi } from '../jira/client.js';
import type { JiraUser } from '../jira/issue.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import type { MailSource } from './sources.js';

/** Jira user lookups per mail at most: a mail copied to a whole distribution list must not become hundreds of calls. */
export const maxCcLookups = 20;

export interface Recipient {
  emailAddress?: { name?: string; address?: string } | null;
}

/** The Cc addresses that may become participants, lower-cased, in order, without the excluded ones. */
export function ccCandidates(cc: readonly Recipient[] | undefined, options: { sender: string; ownAddresses: readonly string[]; blockedDomains: readonly string[] }): string[] {
  const excluded = new Set([options.sender, ...options.ownAddresses].map((a) => a.toLowerCase()));
  const blocked = options.blockedDomains.map((d) => d.toLowerCase());
  const out: string[] = [];
  for (const r of cc ?? []) {
    const address = r.emailAddress?.address?.trim().toLowerCase();
    if (!address || !/^[^@\s]+@[^@\s]+$/.test(address) || excluded.has(address) || out.includes(address)) continue;
    const domain = address.split('@')[1]!;
    if (blocked.some((d) => domain === d || domain.endsWith(`.${d}`))) continue;
    out.push(address);
  }
  return out;
}

/**
 * Adds the mapped Cc recipients as participants of `requestKey`. Never throws: the request exists already and the
 * mail is handled; a refusal becomes a note on the audit (no addresses in it: the audit names no mail content).
 */
export async function addCcParticipants(
  deps: WorkflowDeps,
  jira: JiraApi,
  source: MailSource,
  requestKey: string,
  cc: readonly Recipient[] | undefined,
  sender: string,
  lookup: (address: string) => Promise<JiraUser | undefined>,
): Promise<string | undefined> {
  if (!cc?.length) return undefined;
  // The signed-in account's own address when the source reads its own mailbox (its UPN: the address Exchange
  // shows for it in the usual tenant, where the primary SMTP address is the UPN).
  const own = source.mailbox === 'me' ? [(await readServiceUser(deps.tables, source.tenantId, 'mail-in'))?.userPrincipalName ?? ''] : [source.mailbox];
  const candidates = ccCandidates(cc, { sender, ownAddresses: own.filter(Boolean), blockedDomains: source.blockedDomains });
  if (!candidates.length) return undefined;
  const accountIds: string[] = [];
  for (const address of candidates.slice(0, maxCcLookups)) {
    const account = await lookup(address);
    if (account && !accountIds.includes(account.accountId)) accountIds.push(account.accountId);
  }
  const unmatched = candidates.length - accountIds.length;
  if (!accountIds.length) return `${unmatched} Cc recipient(s) have no Jira account and were not added as participants`;
  try {
    await jira.addRequestParticipants(requestKey, accountIds);
  } catch (e) {
    deps.log.warn('mail-in.participants-failed', { siteId: source.siteId, projectKey: source.projectKey, issueKey: requestKey, error: e instanceof Error ? e.message : String(e) });
    return `${accountIds.length} Cc recipient(s) could not be added as participants (${e instanceof Error ? e.message : 'Jira refused'})`;
  }
  return `${accountIds.length} Cc recipient(s) added as participants${unmatched ? `, ${unmatched} without a Jira account not added` : ''}`;
}
