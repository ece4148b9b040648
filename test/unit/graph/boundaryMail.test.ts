// Issue 13: Graph calls live in shared/graph/, by resource. For mail (sendMail, mail folders, mail messages),
// Bookings (/solutions/bookingBusinesses) and subscriptions (/subscriptions), nothing under shared/ outside
// shared/graph/ may build a Graph path, or read GRAPH_BASE_URL (config.graphBaseUrl) to build a URL.
//
// The check reads the TypeScript syntax tree, so comments and documentation strings ("POST /subscriptions as the
// service user") do not count: only string and template literals that start like a path (`/…` or `${…}/…`) and
// reach one of these resources, and property reads of `graphBaseUrl`. Chat messages (`/chats/{id}/messages`) are
// the chats resources' boundary, not this one's.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../../support/repoRoot.js';

const resourcePath = /^(?=\/|\$\{\})\S*?\/(sendMail|mailFolders|messages|solutions\/bookingBusinesses|subscriptions)\b/;

/**
 * Where `config.graphBaseUrl` may be read, and why: none of these builds a mail, Bookings or subscription URL.
 * (Member bindings need the absolute `users('{id}')` URL of the same endpoint; the service-user check builds its
 * own short-lived client.)
 */
const graphBaseUrlReaders = new Map([
  ['shared/config.ts', 'the setting itself'],
  ['shared/health/health.ts', 'reported (no secret) in the health answer'],
  ['shared/jobs/deps.ts', 'handed to createGraph, the one client'],
  ['shared/workflows/createChat.ts', 'user@odata.bind member bindings (chats)'],
  ['shared/workflows/syncMembers.ts', 'user@odata.bind member bindings (members)'],
  ['shared/identity/validateServiceUser.ts', 'the sign-in check (users)'],
]);

export function findViolations(file: string, source: string): string[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const where = (node: ts.Node) => `${file}:${tree.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node) => {
    let text: string | undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node)) text = node.head.text + node.templateSpans.map((s) => `\${}${s.literal.text}`).join('');
    if (text !== undefined && resourcePath.test(text) && !text.includes('/chats') && !text.startsWith('/api/')) {
      found.push(`${where(node)} builds a Graph path: ${text}`);
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'graphBaseUrl' && !graphBaseUrlReaders.has(file)) {
      found.push(`${where(node)} reads graphBaseUrl`);
    }
    if (!ts.isTemplateExpression(node)) ts.forEachChild(node, visit);
    else node.templateSpans.forEach((s) => ts.forEachChild(s.expression, visit));
  };
  visit(tree);
  return found;
}

function sharedFiles(dir: string, root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sharedFiles(full, root));
    else if (entry.name.endsWith('.ts')) out.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return out;
}

describe('Graph boundary: mail, Bookings, subscriptions', () => {
  it('no file under shared/ outside shared/graph/ builds a mail, Bookings or subscription Graph path or reads graphBaseUrl', () => {
    const root = repoRoot();
    const files = sharedFiles(path.join(root, 'shared'), root).filter((f) => !f.startsWith('shared/graph/'));
    assert.ok(files.length > 50, 'the scan sees the shared/ tree');
    const violations = files.flatMap((f) => findViolations(f, readFileSync(path.join(root, f), 'utf8')));
    assert.deepEqual(violations, []);
  });

  it('the check catches the shapes these calls had before they moved, and leaves chat messages and prose alone', () => {
    const before = [
      "await graph.post(`${mailboxPath(source)}/messages/${graphKey(id)}/move`, {});",
      "const box = `/users/${graphKey(mailbox)}/sendMail`;",
      "graph.get(`${folderPath(source)}?x`); const r = `${box}/mailFolders('${folder}')/messages`;",
      "graph.get('/solutions/bookingBusinesses');",
      "graph.post('/subscriptions', body);",
      "graph.delete(`/subscriptions/${encodeURIComponent(id)}`);",
      'const base = deps.config.graphBaseUrl;',
    ];
    for (const line of before) assert.equal(findViolations('shared/x.ts', line).length, 1, line);
    const fine = [
      "graph.post(`/chats/${encodeURIComponent(chatId)}/messages`, {});",
      "const hint = 'the new chat would be subscribed (POST /subscriptions as the service user)';",
      "// graph.post('/subscriptions')",
      "export const notificationPath = '/api/graph/notifications';",
    ];
    for (const line of fine) assert.deepEqual(findViolations('shared/x.ts', line), [], line);
  });
});
