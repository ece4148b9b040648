// Issue 13: "Nothing outside shared/graph/ builds a Graph URL or calls fetch against Graph." This test holds the
// line for the chats, members, messages, users and meetings resources: no string or template literal in shared/
// outside shared/graph/ starts a Graph path to them, and no `fetch(` there is aimed at GRAPH_BASE_URL. Comments are
// not code, so literals are found with the TypeScript parser, not by grepping text.
//
// Mail, Bookings and subscriptions paths are the graphmail change's (their own boundary test); the folders that
// hold only those (shared/mail/, shared/mailIn/, shared/bookings/) are left to it here, and named below so the
// exemption is visible rather than silent.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../../support/repoRoot.js';

/** Folders whose Graph paths (sendMail, mail folders, Bookings, /me of the Bookings admin) another boundary test owns. */
const otherResourceFolders = ['shared/mail/', 'shared/mailIn/', 'shared/bookings/'];

/**
 * Path patterns of these resources, matched against a literal's text with `${…}` standing for each substitution:
 * a path that starts with them (`/chats/…`, `/me/chats`, `/users?$filter`, `/me?$select`, `/me/licenseDetails`…)
 * or a `/users…` / `/onlineMeetings` segment right after a substitution (`${base}/users('…')`).
 */
const patterns: RegExp[] = [
  /(^|\})\/chats(?=[/?]|$)/,
  /(^|\})\/me(?=[?]|$)/,
  /(^|\})\/me\/(chats|onlineMeetings|licenseDetails|mailboxSettings)\b/,
  /^\/users(?=[/?('$]|$)/,
  /(^|\})\/users(?=[/?('])/,
  /\/onlineMeetings\b/,
];

/** Every string and template literal of a source file, with its line, substitutions written `${…}`. */
export function literalsOf(fileName: string, text: string): { line: number; text: string; node: ts.Node }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: { line: number; text: string; node: ts.Node }[] = [];
  const visit = (node: ts.Node) => {
    let value: string | undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) value = node.text;
    else if (ts.isTemplateExpression(node)) value = node.head.text + node.templateSpans.map((s) => '${…}' + s.literal.text).join('');
    if (value !== undefined) out.push({ line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: value, node });
    if (!ts.isTemplateExpression(node)) ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** `file:line  literal` for each Graph path of these resources and each fetch against Graph in the source. */
export function graphCallsOutsideGraphLayer(fileName: string, text: string): string[] {
  const found: string[] = [];
  for (const literal of literalsOf(fileName, text)) {
    // An import specifier is a module path, not a URL.
    if (ts.isImportDeclaration(literal.node.parent) || ts.isExportDeclaration(literal.node.parent)) continue;
    if (patterns.some((p) => p.test(literal.text))) found.push(`${fileName}:${literal.line}  ${literal.text}`);
  }
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'fetch') {
      const target = node.arguments[0]?.getText(source) ?? '';
      if (/graphBaseUrl|graph\.microsoft\.com/i.test(target)) found.push(`${fileName}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}  fetch(${target})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

describe('Graph paths of chats, members, messages, users and meetings live in shared/graph/', () => {
  it('finds them in code and fetches against Graph, and not in comments or imports', () => {
    const sample = [
      "import { x } from '../users/thing.js';",
      '// POST /chats/{id}/members is documented in graph-contract §2',
      "const a = graph.post(`/chats/${encodeURIComponent(id)}/members`, {});",
      "const b = { 'user@odata.bind': `${base}/users('${id}')` };",
      "const c = await graph.get('/me?$select=id');",
      "const d = `/users?$filter=${f}`;",
      "const e = await fetch(`${config.graphBaseUrl}/me/licenseDetails`);",
      "const f = '/me/onlineMeetings/createOrGet';",
      "const ok = ['/api/manage/users', 'https://example.test/users', '/mailFolders'];",
    ].join('\n');
    const hits = graphCallsOutsideGraphLayer('sample.ts', sample).map((h) => h.split('  ')[0]);
    assert.deepEqual(hits.sort(), ['sample.ts:3', 'sample.ts:4', 'sample.ts:5', 'sample.ts:6', 'sample.ts:7', 'sample.ts:7', 'sample.ts:8'].sort());
  });

  it('no file in shared/ outside shared/graph/ builds them or fetches Graph', () => {
    const root = repoRoot();
    const files = sourceFiles(path.join(root, 'shared'))
      .map((f) => path.relative(root, f).split(path.sep).join('/'))
      .filter((f) => !f.startsWith('shared/graph/') && !otherResourceFolders.some((folder) => f.startsWith(folder)));
    assert.ok(files.length > 50, 'the scan sees the shared/ sources');
    const found = files.flatMap((f) => graphCallsOutsideGraphLayer(f, readFileSync(path.join(root, f), 'utf8')));
    assert.deepEqual(found, [], `Graph paths outside shared/graph/ (add a function to shared/graph/<resource>.ts instead):\n${found.join('\n')}`);
  });
});
