// Reading a Teams message: its HTML as plain text (safely: tags dropped, entities decoded, mentions kept as the
// names people saw), and the chat command at its start, case-insensitive. Pure functions.
import { truncate as truncateText } from '../text/truncate.js';

export const commandNames = ['note', 'reply', 'priority', 'assign', 'status'] as const;
export type CommandName = (typeof commandNames)[number];

export interface Command {
  name: CommandName;
  /** The rest of the message after the command, trimmed (may be empty). */
  argument: string;
}

/** Jira accepts comments up to 32,767 characters; chat text is cut well below that, with a mark. */
export const maxCommentChars = 30_000;

const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Teams message HTML (or text) as plain text. Block ends become line breaks; everything else that is markup goes. */
export function messageText(body: { contentType?: string | null; content?: string | null } | undefined): string {
  const content = body?.content ?? '';
  if ((body?.contentType ?? 'text').toLowerCase() !== 'html') return normalise(content);
  const withBreaks = content
    .replace(/<\s*br\s*\/?>/gi, '\n')
    .replace(/<\/\s*(p|div|li|h[1-6]|blockquote|pre|tr)\s*>/gi, '\n')
    // Attachments (cards, files) and images are not text.
    .replace(/<\s*(attachment|img)\b[^>]*>(<\/\s*attachment\s*>)?/gi, '')
    .replace(/<[^>]*>/g, '');
  const decoded = withBreaks.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, code: string) => {
    if (code.startsWith('#x') || code.startsWith('#X')) return safeCodePoint(parseInt(code.slice(2), 16)) ?? entity;
    if (code.startsWith('#')) return safeCodePoint(parseInt(code.slice(1), 10)) ?? entity;
    return named[code.toLowerCase()] ?? entity;
  });
  return normalise(decoded);
}

function safeCodePoint(n: number): string | undefined {
  if (!Number.isFinite(n) || n < 0x20 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return n === 0x0a ? '\n' : undefined;
  return String.fromCodePoint(n);
}

function normalise(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    // Control characters (other than line breaks and tabs) have no place in a comment.
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[ \t\u00a0]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The command at the start of the message text, if any (`/Note`, `/NOTE` and `/note` are the same). */
export function parseCommand(text: string): Command | undefined {
  const m = /^\/(note|reply|priority|assign|status)(?=$|\s)\s*([\s\S]*)$/i.exec(text.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase() as CommandName, argument: (m[2] ?? '').trim() };
}

/** Chat text cut to fit a Jira comment (Jira, in Java, counts UTF-16 code units like JavaScript), with a mark. */
export function truncate(text: string, max = maxCommentChars): string {
  return truncateText(text, max, '… (cut: the full message is in the Teams chat)');
}

/** The attribution and trace line under every comment that came from Teams; the marker finds it after a crash. */
export function attribution(displayName: string, messageId: string): string {
  return `— from Teams, by ${displayName} (${teamsMarker(messageId)})`;
}

export function teamsMarker(messageId: string): string {
  return `Teams message ${messageId}`;
}

/** True for a Jira comment body (plain text) written by the chat → Jira direction. */
export function isFromTeams(commentText: string): boolean {
  return /— from Teams, by .*\(Teams message \d+\)\s*$/.test(commentText.trim());
}
