// Issue 13: "Nothing outside shared/graph/ builds a Graph URL or calls fetch against Graph" — for every resource
// the app uses (chats, members, messages, users, /me, online meetings, mail, mail folders, sendMail, Bookings,
// subscriptions, $batch), with no folder exempt. Over shared/ and functions/ outside shared/graph/:
// - no string or template literal starts a Graph path (`/chats…`, `/me?…`, `${mailbox}/sendMail`) or names the
//   Graph host;
// - `graphBaseUrl` is read only where it must be (graphBaseUrlReaders below, each with its reason);
// - `fetch` is called only by the files in fetchCallersOutsideClients (Entra, not Graph), and the Graph SDK is
//   imported only by shared/graph/;
// - no code calls `.get/.post/.patch/.delete/.batch` on a `Graph` client (shared/graph/client.ts): the receiver's
//   type is resolved with the TypeScript type checker over the real tsconfig, so a GraphSession, a Pick<Graph,…>
//   or a renamed variable counts as well. Call the function of shared/graph/<resource>.ts instead.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../../support/repoRoot.js';
import { appSources, fetchCalls, fetchCallersOutsideClients, importsOf, lineOf, literalsOf, parse, readSource, type Finding } from '../../support/sourceScan.js';

/** First path segments of the Graph resources the app calls (a literal that starts with one builds a Graph path). */
const rootSegments = String.raw`chats|users|me|solutions|subscriptions|\$batch|communications|groups|teams|organization`;
/** Segments below a resource (`${mailboxPath(x)}/sendMail`, `${chat}/members`): after a substitution they build one. */
const nestedSegments = String.raw`members|messages|onlineMeetings|sendMail|mailFolders|childFolders|licenseDetails|mailboxSettings|bookingBusinesses|appointments|services|staffMembers|customers|calendarView|getSchedule|delta|move`;
const graphPath = [
  new RegExp(String.raw`^/(?:v1\.0/|beta/)?(?:${rootSegments})(?=[/?(']|$)`),
  new RegExp(String.raw`\$\{\}/(?:${rootSegments}|${nestedSegments})(?=[/?(']|$)`),
  // A method and a path, alone or with a parenthesis, the way a request is written down for a caller (a dry run's
  // list of calls); a sentence that mentions one ("GET /me answered for …") is prose.
  new RegExp(String.raw`^(?:GET|POST|PUT|PATCH|DELETE) /(?:v1\.0/|beta/)?(?:${rootSegments})(?:[/?('][^ ]*)?(?: \(.*\))?$`),
  // A resource URL on a Graph host (the bare host is the token audience, identity/features.ts, not a request).
  /(?:graph\.microsoft\.(?:com|us|de)|microsoftgraph\.chinacloudapi\.cn)\/(?:v1\.0|beta)\/./i,
];

/** Where `graphBaseUrl` may be read, and why (anything else takes the endpoint from its Graph client). */
const graphBaseUrlReaders = new Map([
  ['shared/config.ts', 'the GRAPH_BASE_URL setting itself'],
  ['shared/health/health.ts', 'reported (no secret) in the health answer'],
  ['shared/jobs/deps.ts', 'handed to createGraph, the one client of the jobs'],
  ['shared/identity/validateServiceUser.ts', 'builds the short-lived client of the sign-in check (createGraph)'],
]);

const graphMethods = new Set(['get', 'post', 'patch', 'delete', 'batch']);
const inGraphLayer = (file: string) => file.startsWith('shared/graph/');

/** The syntax checks (literals, graphBaseUrl, fetch, SDK import) of one file. */
export function syntaxFindings(file: string, text: string): Finding[] {
  const source = parse(file, text);
  const found: Finding[] = [];
  for (const literal of literalsOf(source)) {
    if (graphPath.some((p) => p.test(literal.text))) found.push({ where: lineOf(source, literal.node), what: `builds a Graph path: ${literal.text}` });
  }
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node) && node.text === 'graphBaseUrl' && !graphBaseUrlReaders.has(file)) found.push({ where: lineOf(source, node), what: 'reads graphBaseUrl' });
    ts.forEachChild(node, visit);
  };
  visit(source);
  for (const call of fetchCalls(source)) {
    if (!fetchCallersOutsideClients.has(file) || /graph/i.test(call.target)) found.push({ where: lineOf(source, call.node), what: `calls fetch(${call.target})` });
  }
  for (const imported of importsOf(source)) {
    if (imported.specifier.startsWith('@microsoft/microsoft-graph-client')) found.push({ where: lineOf(source, imported.node), what: `imports ${imported.specifier}` });
  }
  return found;
}

/** `graph.get(…)`-style calls whose method resolves to the `Graph` interface of shared/graph/client.ts. */
function graphClientCalls(program: ts.Program, files: Set<string>): Finding[] {
  const checker = program.getTypeChecker();
  const clientFile = path.join(repoRoot(), 'shared/graph/client.ts').split(path.sep).join('/');
  const isGraphMember = (symbol: ts.Symbol | undefined) =>
    (symbol?.declarations ?? []).some((d) => {
      const owner = d.parent;
      return ts.isInterfaceDeclaration(owner) && owner.name.text === 'Graph' && d.getSourceFile().fileName === clientFile;
    });
  const found: Finding[] = [];
  for (const source of program.getSourceFiles()) {
    const file = path.relative(repoRoot(), source.fileName).split(path.sep).join('/');
    if (!files.has(file)) continue;
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && graphMethods.has(node.expression.name.text)) {
        if (isGraphMember(checker.getSymbolAtLocation(node.expression.name))) {
          found.push({ where: `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`, what: `calls Graph ${node.expression.getText(source)}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** Code in the shapes Graph calls had before they moved to shared/graph/ (old-style workflows, mail, Bookings). */
const oldStyle = `
import type { GraphSession } from '../graph/session.js';
import type { Graph } from '../graph/client.js';
import { Client } from '@microsoft/microsoft-graph-client';
declare const deps: { config: { graphBaseUrl: string } };
declare const mailboxPath: (s: string) => string;
export async function old(graph: GraphSession, plain: Graph, id: string) {
  await graph.post(\`/chats/\${encodeURIComponent(id)}/members\`, {});
  const bind = { 'user@odata.bind': \`\${deps.config.graphBaseUrl}/users('\${id}')\` };
  await plain.get('/me?$select=id');
  const lookup: Pick<Graph, 'batch'> = plain;
  await lookup.batch([]);
  const box = \`\${mailboxPath(id)}/sendMail\`;
  await fetch(\`https://graph.microsoft.com/v1.0/me/licenseDetails\`);
  await plain.delete(\`/subscriptions/\${id}\`);
  const mine = new Map<string, string>();
  mine.get('/api/manage/users');
  return [bind, box, Client, '/solutions/bookingBusinesses', 'POST /chats (members inline)', 'the chat would be subscribed (POST /subscriptions)', 'GET /me answered for \${id}', '/api/graph/notifications'];
}
`;
const oldStyleFile = 'shared/workflows/boundaryOldStyle.virtual.ts';

describe('Graph boundary: nothing outside shared/graph/ builds a Graph URL or calls Graph', () => {
  let program: ts.Program;
  const files = new Set(appSources().filter((f) => !inGraphLayer(f)));

  before(() => {
    const root = repoRoot();
    const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) });
    assert.ok(config);
    const options = { ...config.options, noEmit: true, incremental: false };
    const host = ts.createCompilerHost(options);
    const virtual = path.join(root, oldStyleFile);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, language, ...rest) => (name === virtual ? ts.createSourceFile(name, oldStyle, language) : getSourceFile(name, language, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === virtual || fileExists(name);
    const appFiles = config.fileNames.filter((f) => /\/(shared|functions)\//.test(f.split(path.sep).join('/')));
    program = ts.createProgram([...appFiles, virtual], options, host);
  });

  it('catches Graph calls written the old way, and leaves app routes, prose and other maps alone', () => {
    const syntax = syntaxFindings(oldStyleFile, oldStyle).map((f) => `${f.where.split(':')[1]} ${f.what}`);
    assert.deepEqual(syntax.sort(), [
      '10 builds a Graph path: /me?$select=id',
      '13 builds a Graph path: ${}/sendMail',
      '14 builds a Graph path: https://graph.microsoft.com/v1.0/me/licenseDetails',
      '14 calls fetch(`https://graph.microsoft.com/v1.0/me/licenseDetails`)',
      '15 builds a Graph path: /subscriptions/${}',
      '18 builds a Graph path: /solutions/bookingBusinesses',
      '18 builds a Graph path: POST /chats (members inline)',
      '4 imports @microsoft/microsoft-graph-client',
      '5 reads graphBaseUrl',
      '8 builds a Graph path: /chats/${}/members',
      "9 builds a Graph path: ${}/users('${}')",
      '9 reads graphBaseUrl',
    ]);
    const typed = graphClientCalls(program, new Set([oldStyleFile])).map((f) => `${f.where.split(':')[1]} ${f.what}`);
    assert.deepEqual(typed, ['8 calls Graph graph.post', '10 calls Graph plain.get', '12 calls Graph lookup.batch', '15 calls Graph plain.delete']);
  });

  it('no literal outside shared/graph/ builds a Graph path, reads graphBaseUrl unasked, fetches Graph or imports the SDK', () => {
    assert.ok(files.size > 100, 'the scan sees shared/ and functions/');
    const found = [...files].flatMap((f) => syntaxFindings(f, readSource(f))).map((f) => `${f.where}  ${f.what}`);
    assert.deepEqual(found, [], `add a function to shared/graph/<resource>.ts instead:\n${found.join('\n')}`);
  });

  it('no code outside shared/graph/ calls get/post/patch/delete/batch on a Graph client', () => {
    const sources = program.getSourceFiles().filter((s) => !s.isDeclarationFile && !s.fileName.includes('node_modules'));
    assert.ok(sources.length > 100, 'the program holds the app');
    const found = graphClientCalls(program, files).map((f) => `${f.where}  ${f.what}`);
    assert.deepEqual(found, [], `call the function of shared/graph/<resource>.ts instead:\n${found.join('\n')}`);
  });

  it('the allowed readers of graphBaseUrl and callers of fetch still exist (a stale exemption is removed)', () => {
    for (const file of [...graphBaseUrlReaders.keys(), ...fetchCallersOutsideClients.keys()]) assert.ok(files.has(file), `${file} is gone: drop it from the list`);
    const readers = [...files].filter((f) => /\bgraphBaseUrl\b/.test(readSource(f)));
    assert.deepEqual(readers.sort(), [...graphBaseUrlReaders.keys()].sort());
  });
});
