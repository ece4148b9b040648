// docs/admin-api.md is the contract the admin API is checked against (issue 13: "Nothing is described that the app
// does not do"). Every `/api/manage/...` route the function files register appears there, every route written
// there is registered, and each documented path answers exactly the methods the table gives it.
//
// Routes come from the registrations themselves: every compiled functions/*.js is loaded with the dev host's
// `loadFunctions` (as test/unit/functions/routes.test.ts does), whether it registers through manageHttp or app.http.
// Methods come from the handlers: every manage route accepts every HTTP method at the host (functions/lib/http.ts
// allMethods) so that the app answers a wrong one itself with `405` and an `Allow` header (shared/http/outcome.ts
// methodNotAllowed). Each documented path is called once with OPTIONS, which no admin route supports, and its
// Allow header is compared with the documented methods. Nothing is written: a 405 is answered before any work.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { loadFunctions, type FunctionInfo } from '../../../dev/testing.js';
import { compileTemplate, findTemplate, type RouteTemplate } from '../../../shared/http/routeTemplate.js';
import { repoRoot } from '../../support/repoRoot.js';
import { storageConnectionString } from '../../support/storage.js';

export interface DocumentedRoute {
  methods: string[];
  /** Under manage/, placeholders kept (`sites/{siteId}/test`), query and optional parts (`[?site=]`) dropped. */
  path: string;
  /** Query parameters the doc requires (`?tenant=`), not the optional ones in brackets. */
  query: string[];
  line: number;
}

/**
 * The routes of the doc's tables: the first cell holds one or more code spans, `GET/PUT sites/{siteId}`, a second
 * route after a comma, or an alternative for the last segment after `\|` (`` `automation-token` `` or `` `/poll` ``).
 */
export function documentedRoutes(markdown: string): DocumentedRoute[] {
  const out: DocumentedRoute[] = [];
  markdown.split('\n').forEach((text, index) => {
    // The first cell of a table row (an escaped `\|` stays inside it) that starts with a code span.
    const cell = text.startsWith('|') ? text.split(/(?<!\\)\|/)[1]?.trim() : undefined;
    if (!cell?.startsWith('`')) return;
    let last: DocumentedRoute | undefined;
    for (const span of cell.matchAll(/`([^`]+)`/g)) {
      const code = span[1]!.trim();
      const full = /^([A-Z]+(?:\/[A-Z]+)*) (\S+)$/.exec(code);
      const required = (p: string) => p.replace(/\[[^\]]*\]/g, '');
      const clean = (p: string) => required(p).replace(/\?.*$/, '').replace(/^\/+|\/+$/g, '');
      const query = (p: string) => [...(/\?(.*)$/.exec(required(p))?.[1] ?? '').matchAll(/(?:^|&)(\w+)=/g)].map((m) => m[1]!);
      if (full) {
        last = { methods: full[1]!.split('/'), path: clean(full[2]!), query: query(full[2]!), line: index + 1 };
      } else {
        assert.ok(last, `docs/admin-api.md:${index + 1}: \`${code}\` names no method`);
        last = { ...last, path: `${last.path.replace(/\/[^/]+$/, '')}/${clean(code)}`, query: query(code) };
      }
      out.push(last);
    }
  });
  return out;
}

/**
 * Values that pass each parameter's own check, so the handler gets as far as its method switch; the site and its
 * project are registered first (handlers look a site up before they read the method). Names of their own: the
 * suite's Azurite is shared by every test file.
 */
const sampleParams: Record<string, string> = {
  siteId: 'docs-admin-api',
  projectKey: 'DOCAPI',
  tenantId: randomUUID(),
  feature: 'chats',
  accountId: '5b10ac8d82e05b22cc7d4ef5',
  issueKey: 'OPS-1',
  queue: 'chat-jobs',
  businessId: 'ContosoSupport@contoso.example',
};
/** Query parameters: the tenant of `?tenant=`, the feature of `?feature=`. */
const sampleQuery: Record<string, string> = { tenant: sampleParams.tenantId!, feature: 'chats' };
const concrete = (template: string) =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = sampleParams[name];
    assert.ok(value, `no sample value for {${name}}: add one to sampleParams`);
    return value;
  });

describe('docs/admin-api.md lists the admin API the app registers', () => {
  const root = repoRoot();
  let manage: (FunctionInfo & { route: string })[] = [];
  let routes: { route: RouteTemplate; name: string }[] = [];
  const documented = documentedRoutes(readFileSync(path.join(root, 'docs/admin-api.md'), 'utf8'));
  let adapter: typeof import('../../support/functionsAdapter.js');

  /** Calls the registered handler of `manage/<path>` as the host would (function key checks are the host's). */
  async function call(method: string, path_: string, query: Record<string, string> = {}, body?: unknown): Promise<HttpResponseInit> {
    const found = findTemplate(routes, `manage/${path_}`);
    assert.ok(found, `no registered route matches manage/${path_}`);
    const module = (await import(pathToFileURL(path.join(root, 'dist/functions', `${found.entry.name}.js`)).href)) as Record<string, unknown>;
    const handler = module[found.entry.name] as (r: HttpRequest, c: InvocationContext) => Promise<HttpResponseInit>;
    assert.equal(typeof handler, 'function', `dist/functions/${found.entry.name}.js exports ${found.entry.name}`);
    const url = new URL(`http://127.0.0.1:7071/api/manage/${path_}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const request = new adapter.HttpRequest({
      method,
      url: url.href,
      params: found.params,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: { string: JSON.stringify(body) } }),
    });
    return adapter.invoke(handler, request, adapter.invocation(found.entry.name).context);
  }

  before(async () => {
    // The dev host's core API first: once @azure/functions is imported without it, the library is in test mode
    // and registers nothing (test/support/functionsAdapter.ts), so the adapter is imported after it.
    // A function module that reads its configuration while loading needs the storage setting (routes.test.ts).
    process.env.AzureWebJobsStorage = storageConnectionString();
    const all = await loadFunctions(root, 'dist/functions/*.js');
    adapter = await import('../../support/functionsAdapter.js');
    adapter.useAppEnv();
    manage = all.filter((f): f is FunctionInfo & { route: string } => f.triggerType === 'httpTrigger' && !!f.route?.startsWith('manage/'));
    routes = manage.map((f) => ({ route: compileTemplate(f.route), name: f.name }));
  });

  it('reads the tables (the parser sees every row and its alternatives)', () => {
    const sample = [
      '| Route | Does |',
      '|---|---|',
      '| `GET/PUT sites/{siteId}` | one |',
      '| `POST sites/{siteId}/secrets/webhook-secret` \\| `automation-token` | two |',
      '| `GET tenants[?site=]`, `GET tenants/{tenantId}?feature=` | three |',
      '| `POST mail-in/{siteId}/{projectKey}/test` \\| `/poll` | four `GET x` |',
      '| plain text | `GET not-a-route` |',
    ].join('\n');
    assert.deepEqual(
      documentedRoutes(sample).map((r) => `${r.methods.join('/')} ${r.path}${r.query.length ? `?${r.query.join('&')}` : ''}`),
      ['GET/PUT sites/{siteId}', 'POST sites/{siteId}/secrets/webhook-secret', 'POST sites/{siteId}/secrets/automation-token', 'GET tenants', 'GET tenants/{tenantId}?feature', 'POST mail-in/{siteId}/{projectKey}/test', 'POST mail-in/{siteId}/{projectKey}/poll'],
    );
    assert.ok(documented.length > 30, 'the doc has its tables');
  });

  it('every documented route is registered, and every registered route is documented', () => {
    assert.ok(manage.length > 10, 'the manage routes are registered');
    const unregistered = documented.filter((d) => !findTemplate(routes, `manage/${concrete(d.path)}`)).map((d) => `docs/admin-api.md:${d.line} ${d.methods.join('/')} ${d.path}`);
    assert.deepEqual(unregistered, [], 'documented but not registered');
    const covered = new Set(documented.map((d) => findTemplate(routes, `manage/${concrete(d.path)}`)!.entry.name));
    const undocumented = manage.filter((f) => !covered.has(f.name)).map((f) => `${f.name}: ${f.route}`);
    assert.deepEqual(undocumented, [], 'registered but not in docs/admin-api.md');
  });

  it('each documented path answers exactly the documented methods (the Allow header of its 405)', async () => {
    // Handlers look the site (and a Bookings binding its project) up before they read the method: register them.
    const site = await call('PUT', `sites/${sampleParams.siteId}`, {}, { jiraBaseUrl: 'https://docs-admin-api.atlassian.net', jiraEmail: 'bridge@contoso.example', jiraApiToken: 'not-a-real-token' });
    assert.ok([200, 201].includes(site.status ?? 0), `PUT site answered ${site.status}`);
    const project = await call('PUT', `sites/${sampleParams.siteId}/projects/${sampleParams.projectKey}`, {}, { tenantId: sampleParams.tenantId });
    assert.equal(project.status, 200, `PUT project answered ${project.status} ${JSON.stringify(project.jsonBody ?? project.body)}`);

    const byPath = new Map<string, { methods: Set<string>; query: Set<string>; lines: number[] }>();
    for (const d of documented) {
      const entry = byPath.get(d.path) ?? { methods: new Set<string>(), query: new Set<string>(), lines: [] };
      d.methods.forEach((m) => entry.methods.add(m));
      d.query.forEach((q) => entry.query.add(q));
      entry.lines.push(d.line);
      byPath.set(d.path, entry);
    }
    const differences: string[] = [];
    for (const [template, doc] of byPath) {
      const query = Object.fromEntries([...doc.query].map((q) => [q, sampleQuery[q] ?? assert.fail(`no sample value for ?${q}=: add one to sampleQuery`)]));
      // OPTIONS: no admin route supports it, so every one answers 405 with its Allow header.
      const response = await call('OPTIONS', concrete(template), query);
      const allow = new Headers(response.headers as ConstructorParameters<typeof Headers>[0]).get('allow');
      const expected = `405 Allow: ${[...doc.methods].sort().join(', ')}`;
      const actual =
        response.status === 405 && allow
          ? `405 Allow: ${allow.split(/,\s*/).sort().join(', ')}`
          : `${response.status} Allow: ${allow ?? '-'} ${JSON.stringify(response.jsonBody ?? response.body ?? '').slice(0, 200)}`;
      if (actual !== expected) differences.push(`docs/admin-api.md:${doc.lines.join(',')} ${template}: documented ${expected}, answered ${actual}`);
    }
    assert.deepEqual(differences, []);
  });
});
