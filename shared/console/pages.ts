// The console's HTML: the application shell (the front-end does the rest) and the small pages around sign-in.
// Strict Content-Security-Policy: scripts and styles only from this app, no inline script or style, no frames,
// forms post only here. Every value put into a page is escaped.
import { escapeHtml, type Page } from '../identity/pages.js';
import type { HttpOutcome } from '../http/outcome.js';
import type { SignInOptions } from './signIn.js';

export const consoleCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const consolePageHeaders: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': consoleCsp,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

// Pages live at /api/console and /api/console/<page>; asset URLs are absolute paths so both resolve them alike.
const head = (title: string) =>
  [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title>`,
    '<link rel="stylesheet" href="/api/console/assets/console.css">',
    '</head>',
  ].join('\n');

/** The single-page app's shell. */
export function shellHtml(): string {
  return [head('Bridge console'), '<body><div id="app"><p class="loading">Loading the console…</p></div>', '<script type="module" src="/api/console/assets/console.js"></script>', '</body></html>'].join('\n');
}

export function renderConsolePage(page: Page, extra = ''): string {
  const links = (page.links ?? []).map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></li>`).join('');
  return [
    head(page.title),
    '<body><main class="page">',
    `<h1>${escapeHtml(page.title)}</h1>`,
    ...page.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    links ? `<ul>${links}</ul>` : '',
    extra,
    '</main></body></html>',
  ].join('\n');
}

/** Where an unauthenticated visitor is sent: the ways to sign in this app offers. */
export function signInPage(options: SignInOptions, notice?: string): HttpOutcome {
  const paragraphs = notice ? [notice] : [];
  let extra = '';
  if (options.entra) {
    paragraphs.push('Administrators sign in with their Microsoft work account and need the Bridge.Admin app role.');
    extra += '<p><a class="button" id="sign-in" href="/api/console/auth/start">Sign in with Microsoft</a></p>';
  }
  if (options.local) {
    paragraphs.push('This is a local run: open the one-time sign-in link that npm start printed in its terminal, in a browser on this machine.');
    extra += '<form method="post" action="/api/console/local-link"><button type="submit">Print a new sign-in link in the terminal</button></form>';
  }
  if (!options.entra && !options.local) {
    return {
      status: 503,
      body: renderConsolePage({ status: 503, title: 'Console sign-in is not set up', paragraphs: ['Set ENTRA_CLIENT_ID, a client credential and ENTRA_TENANT_ID (the Bicep does this when createEntraApp is on), or run locally with npm start.'] }),
      headers: { ...consolePageHeaders },
    };
  }
  return { status: 200, body: renderConsolePage({ status: 200, title: 'Sign in to the bridge console', paragraphs }, extra), headers: { ...consolePageHeaders } };
}
