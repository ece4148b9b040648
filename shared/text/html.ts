// The one HTML escaper. Teams chat messages, Outlook mail bodies and the consent/sign-in pages are all HTML built
// from strings we do not control (Jira fields, redirect query parameters); every such string goes through here,
// including inside double- or single-quoted attribute values, which is why both quote characters are escaped.
const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => entities[c]!);
}

/** Escaped text with line breaks kept. */
export function escapeMultiline(value: string): string {
  return escapeHtml(value).replace(/\r?\n/g, '<br>');
}
