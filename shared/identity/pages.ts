// The small HTML pages a Microsoft 365 admin sees after a consent or sign-in redirect. Every value is escaped:
// `error_description`, tenant ids and the like come back from a redirect anyone can forge.
import type { HttpOutcome } from '../http/outcome.js';
import { escapeHtml } from '../text/html.js';

export interface Page {
  status: number;
  title: string;
  paragraphs: string[];
  links?: Array<{ href: string; text: string }>;
}

// The one escaper is shared/text/html.ts (the same one chat messages use); re-exported for existing callers.
export { escapeHtml };

/** A page as the HTTP answer (the one mapping every page-answering route uses). */
export function pageOutcome(page: Page): HttpOutcome {
  return { status: page.status, body: renderPage(page), headers: { ...pageHeaders } };
}

export function renderPage(page: Page): string {
  const links = (page.links ?? [])
    .map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></li>`)
    .join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(page.title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>',
    '</head><body>',
    `<h1>${escapeHtml(page.title)}</h1>`,
    ...page.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    links ? `<ul>${links}</ul>` : '',
    '</body></html>',
  ].join('\n');
}

/** Response headers for these pages. */
export const pageHeaders: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The URL carried a state (and for sign-in, a code): keep it out of Referer headers.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
};
