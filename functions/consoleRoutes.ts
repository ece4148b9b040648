// /api/console/...: the console's assets, sign-in (Entra, or the local one-time link), its session, and
// /api/console/api/<manage route>: the admin API for a signed-in admin (session cookie, and for changes the Origin
// check and CSRF token), dispatched to the very same handlers /api/manage/... runs with a function key.
import './lib/invocation.js';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { authorizeConsoleCall, isLoopbackRequest } from '../shared/console/access.js';
import { consoleAsset } from '../shared/console/assets.js';
import { consolePageHeaders, renderConsolePage, signInPage } from '../shared/console/pages.js';
import { clearedSessionCookie, readSession, type OutcomeCookie } from '../shared/console/session.js';
import { completeEntraSignIn, completeLocalSignIn, createLocalSignInLink, signInOptions, startEntraSignIn } from '../shared/console/signIn.js';
import type { Page } from '../shared/identity/pages.js';
import { fail, methodNotAllowed, redirect, type HttpOutcome } from '../shared/http/outcome.js';
import { getRuntime } from '../shared/runtime.js';
import { answer, toRawRequest, toResponse } from './lib/http.js';
import { dispatchManage } from './lib/manage.js';

function page(p: Page): HttpOutcome {
  return { status: p.status, body: renderConsolePage(p), headers: { ...consolePageHeaders } };
}

function signedIn(cookie: OutcomeCookie): HttpOutcome {
  return { status: 303, headers: { location: '/api/console', 'cache-control': 'no-store' }, cookies: [cookie] };
}

export async function consoleRoutes(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const path = request.params.path ?? '';
  if (path.startsWith('api/')) {
    // The admin handler answers (and maps its own outcome) itself; only the console's refusals are made here.
    try {
      const raw = await toRawRequest(request);
      const access = await authorizeConsoleCall(getRuntime(), raw);
      if (!access.ok) return toResponse(access.outcome);
      const response = await dispatchManage(request, path.slice('api/'.length), raw.body, context);
      return response ?? toResponse(fail(404, 'unknown_route', `no admin route /api/manage/${path.slice(4, 104)}`));
    } catch (e) {
      return answer(context, () => Promise.reject(e));
    }
  }
  return answer(context, () => consolePage(request, path));
}

async function consolePage(request: HttpRequest, path: string): Promise<HttpOutcome> {
  const method = request.method.toUpperCase();
  const deps = getRuntime();
  switch (path) {
    case 'assets/console.js':
    case 'assets/console.css': {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(['GET']);
      const asset = consoleAsset(path.slice('assets/'.length));
      if (!asset) return fail(404, 'not_built', 'the console front-end is not built: run npm run build');
      const headers = { 'content-type': asset.contentType, etag: asset.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
      if (request.headers.get('if-none-match') === asset.etag) return { status: 304, headers };
      return { status: 200, body: asset.body, headers };
    }
    case 'sign-in': {
      return signInPage(signInOptions(deps.config));
    }
    case 'local-link': {
      // Prints a fresh one-time link in the terminal of a local run; nothing is sent back to the browser.
      if (method !== 'POST') return methodNotAllowed(['POST']);
      const origin = request.headers.get('origin');
      if (!signInOptions(deps.config).local || !isLoopbackRequest(Object.fromEntries(request.headers)) || origin !== new URL(deps.config.publicBaseUrl).origin) {
        return page({ status: 403, title: 'Not allowed', paragraphs: ['A sign-in link can be printed only in a local run, from a browser on that machine.'] });
      }
      process.stdout.write(`Console sign-in link (one use, valid for an hour): ${await createLocalSignInLink(deps)}\n`);
      return signInPage(signInOptions(deps.config), 'A new sign-in link is printed in the terminal of npm start.');
    }
    case 'local-sign-in': {
      const done = await completeLocalSignIn(deps, request.query.get('token'), Object.fromEntries(request.headers));
      return done.ok ? signedIn(done.cookie) : page(done.page);
    }
    case 'auth/start': {
      const r = await startEntraSignIn(deps);
      return r.ok ? redirect(r.url, { 'referrer-policy': 'no-referrer' }) : page(r.page);
    }
    case 'auth/callback': {
      const done = await completeEntraSignIn(deps, request.query);
      return done.ok ? signedIn(done.cookie) : page(done.page);
    }
    case 'session': {
      // The page reads who is signed in and the CSRF token here (same-origin fetch; never cached).
      const session = await readSession(deps, request.headers.get('cookie') ?? undefined);
      if (!session) return fail(401, 'not_signed_in', 'sign in to the console first');
      return { status: 200, body: { name: session.name, via: session.via, csrfToken: session.csrf, expiresAt: new Date(session.exp * 1000).toISOString(), publicBaseUrl: deps.config.publicBaseUrl }, headers: { 'cache-control': 'no-store' } };
    }
    case 'sign-out': {
      if (method !== 'POST') return methodNotAllowed(['POST']);
      const access = await authorizeConsoleCall(deps, { method, headers: Object.fromEntries(request.headers) });
      if (!access.ok) return access.outcome;
      return { status: 204, cookies: [clearedSessionCookie()] };
    }
    default:
      return fail(404, 'not_found', 'no such console page');
  }
}

app.http('consoleRoutes', { route: 'console/{*path}', methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], authLevel: 'anonymous', handler: consoleRoutes });
