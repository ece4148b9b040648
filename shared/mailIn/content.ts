// What a received mail is, decided from its headers and sender alone (never from its content, which is never
// logged), and its body turned into plain text for Jira.
//
// Skipped, with the reason audited:
// - auto-generated mail: `Auto-Submitted` other than `no` (RFC 3834 §5), `X-Auto-Response-Suppress` (Microsoft sets
//   it on out-of-office and other automatic messages: MS-OXCMAIL §2.2.3.2.14), `Precedence: bulk|junk|list`
//   (RFC 3834 §2 lists it as what autoresponders must not answer), `X-Autoreply`/`X-Autorespond`, and Exchange's
//   out-of-office subject prefix "Automatic reply:";
// - the bridge's own mail: the `x-jira-m365-*` headers it puts on every mail it sends (shared/mail/send.ts);
// - blocked sender domains (and their subdomains).

export interface Header {
  name: string;
  value: string;
}

export type SkipReason = 'auto-reply' | 'bulk' | 'own-mail' | 'blocked-domain' | 'no-sender';

export function skipReason(headers: readonly Header[], sender: string | undefined, subject: string, options: { blockedDomains: readonly string[]; ownAddresses: readonly string[] }): SkipReason | undefined {
  const h = (name: string) => headers.find((x) => x.name.toLowerCase() === name)?.value.trim();
  if (!sender) return 'no-sender';
  const from = sender.toLowerCase();
  if (headers.some((x) => x.name.toLowerCase().startsWith('x-jira-m365-'))) return 'own-mail';
  if (options.ownAddresses.some((a) => a.toLowerCase() === from)) return 'own-mail';
  const autoSubmitted = h('auto-submitted');
  if (autoSubmitted && autoSubmitted.toLowerCase() !== 'no') return 'auto-reply';
  if (h('x-auto-response-suppress') || h('x-autoreply') || h('x-autorespond')) return 'auto-reply';
  if (/^(automatic reply|auto(matische antwort)?|out of office)\s*:/i.test(subject.trim())) return 'auto-reply';
  const precedence = h('precedence')?.toLowerCase();
  if (precedence === 'bulk' || precedence === 'junk' || precedence === 'list') return 'bulk';
  const domain = from.split('@')[1] ?? '';
  if (options.blockedDomains.some((d) => domain === d.toLowerCase() || domain.endsWith(`.${d.toLowerCase()}`))) return 'blocked-domain';
  return undefined;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * HTML → plain text: scripts, styles and the head are dropped whole, block elements become line breaks, every
 * other tag is removed and entities decoded. The result is text, never markup, so nothing of the mail can become
 * markup in Jira (ADF text nodes are literal).
 */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|blockquote)\s*>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '• ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x?[0-9a-f]+|\w+);/gi, (m, e: string) => {
      if (e.startsWith('#')) {
        const code = e[1]?.toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : '';
      }
      return entities[e.toLowerCase()] ?? m;
    })
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Cuts the quoted history a reply carries: Outlook's "From: … Sent: …" block and "-----Original Message-----",
 * the "On … wrote:" line of other clients, and trailing `>` quoted lines.
 */
export function trimQuoted(text: string): string {
  const lines = text.split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (/^-{2,}\s*original message\s*-{2,}$/i.test(line) || /^_{10,}$/.test(line)) { end = i; break; }
    if (/^from:\s.+/i.test(line) && lines.slice(i + 1, i + 4).some((l) => /^(sent|date):\s/i.test(l.trim()))) { end = i; break; }
    if (/^on\s.+\swrote:$/i.test(line)) { end = i; break; }
  }
  const kept = lines.slice(0, end);
  while (kept.length && (kept.at(-1)!.trim() === '' || kept.at(-1)!.trim().startsWith('>'))) kept.pop();
  return kept.join('\n').trim();
}

/** Jira's text fields hold 32,767 characters; keep room for the header lines the bridge adds. */
export const maxBodyChars = 30_000;

export function bodyText(body: { contentType?: string; content?: string } | undefined): string {
  const raw = body?.content ?? '';
  const text = body?.contentType?.toLowerCase() === 'html' ? htmlToText(raw) : raw.replace(/\r\n?/g, '\n').trim();
  const trimmed = trimQuoted(text);
  return trimmed.length > maxBodyChars ? `${trimmed.slice(0, maxBodyChars)}\n[… truncated]` : trimmed;
}

/** The issue key a reply names in its subject, for this project only (`Re: [SUP-12] …`, `RE: SUP-12 …`). */
export function issueKeyInSubject(subject: string, projectKey: string): string | undefined {
  const m = new RegExp(`(?:^|[^A-Z0-9_])(${projectKey}-[1-9][0-9]*)(?![0-9])`, 'i').exec(subject);
  return m?.[1]?.toUpperCase();
}

/**
 * The issue a reply answers when it answers the bridge's own mail: a `jira-m365.KEY.` Message-ID (see
 * shared/mail/stakeholderMail.ts `bridgeMessageId`) in `In-Reply-To` or `References` (RFC 5322 §3.6.4), of this
 * project only. `In-Reply-To` is read first, then `References` from the newest (last) id back.
 */
export function issueKeyInReferences(headers: readonly Header[], projectKey: string): string | undefined {
  const value = (name: string) => headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.value).join(' ');
  const ids = [...value('in-reply-to').split(/\s+/), ...value('references').split(/\s+/).reverse()];
  const pattern = new RegExp(`^<jira-m365\\.(${projectKey}-[1-9][0-9]*)\\.[0-9a-f]+@[^>]+>$`, 'i');
  for (const id of ids) {
    const m = pattern.exec(id.trim());
    if (m?.[1]) return m[1].toUpperCase();
  }
  return undefined;
}
