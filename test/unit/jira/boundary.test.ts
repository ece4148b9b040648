// Issue 13: Jira calls live in shared/jira/ ("The same for Jira in shared/jira/"): nothing in shared/ or
// functions/ outside shared/jira/ builds a Jira REST path (`/rest/api/…`, `/rest/servicedeskapi/…`,
// `/rest/agile/…`, on its own, after a substitution such as `${site.baseUrl}`, or on an Atlassian host), imports
// the Jira client library, or calls `fetch` other than the files that reach Entra (fetchCallersOutsideClients).
// Literals are taken from the syntax tree: a comment or a description ("GET /rest/api/3/myself" in a sentence) is
// not a request; a dry run's list of the calls it would make names them through shared/jira/ (jiraOperations).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appSources, fetchCalls, fetchCallersOutsideClients, importsOf, lineOf, literalsOf, parse, readSource, type Finding } from '../../support/sourceScan.js';

const jiraRest = String.raw`rest/(?:api|servicedeskapi|agile|auth)/`;
const jiraPath = [
  // A path of its own (`/rest/api/3/issue`, `rest/api/3/issue` for new URL(…, base)) or after a substitution.
  new RegExp(String.raw`^/?${jiraRest}`),
  new RegExp(String.raw`\$\{\}/?${jiraRest}`),
  // A method and a path, alone or with a parenthesis, the way a request is written down for a caller (a dry run's
  // list of calls); a sentence that mentions one is prose.
  new RegExp(String.raw`^(?:GET|POST|PUT|PATCH|DELETE) /${jiraRest}[^ ]*(?: \(.*\))?$`),
  // On a Jira Cloud host.
  new RegExp(String.raw`\.(?:atlassian\.net|jira\.com)/${jiraRest}`, 'i'),
];

export function jiraFindings(file: string, text: string): Finding[] {
  const source = parse(file, text);
  const found: Finding[] = [];
  for (const literal of literalsOf(source)) {
    if (jiraPath.some((p) => p.test(literal.text))) found.push({ where: lineOf(source, literal.node), what: `builds a Jira path: ${literal.text}` });
  }
  for (const call of fetchCalls(source)) {
    if (!fetchCallersOutsideClients.has(file) || /jira|atlassian|site/i.test(call.target)) found.push({ where: lineOf(source, call.node), what: `calls fetch(${call.target})` });
  }
  for (const imported of importsOf(source)) {
    if (imported.specifier === 'jira.js' || imported.specifier.startsWith('jira.js/')) found.push({ where: lineOf(source, imported.node), what: `imports ${imported.specifier}` });
  }
  return found;
}

describe('Jira boundary: nothing outside shared/jira/ builds a Jira REST path or calls Jira', () => {
  it('catches Jira calls written the old way, and leaves prose, browse links and app routes alone', () => {
    const old = [
      "import { Version3Client } from 'jira.js';",
      'declare const site: { baseUrl: string }; declare const key: string;',
      'await fetch(`${site.baseUrl}/rest/api/3/issue/${key}/remotelink`, { method: "POST" });',
      "const u = new URL('rest/servicedeskapi/request', site.baseUrl);",
      "const b = await fetch('https://acme.atlassian.net/rest/agile/1.0/board');",
      "const plan = ['POST /rest/api/3/issue/{key}/comment'];",
      "const fine = ['GET /rest/api/3/myself answered for you', 'the Jira call (GET /rest/api/3/myself) failed', `${site.baseUrl}/browse/${key}`, '/api/jira/events', 'https://learn.microsoft.com/rest/api/storageservices'];",
    ].join('\n');
    const found = jiraFindings('shared/workflows/old.ts', old).map((f) => `${f.where.split(':')[1]} ${f.what}`);
    assert.deepEqual(found.sort(), [
      '1 imports jira.js',
      '3 builds a Jira path: ${}/rest/api/3/issue/${}/remotelink',
      '3 calls fetch(`${site.baseUrl}/rest/api/3/issue/${key}/remotelink`)',
      '4 builds a Jira path: rest/servicedeskapi/request',
      '5 builds a Jira path: https://acme.atlassian.net/rest/agile/1.0/board',
      "5 calls fetch('https://acme.atlassian.net/rest/agile/1.0/board')",
      '6 builds a Jira path: POST /rest/api/3/issue/{key}/comment',
    ]);
  });

  it('no file in shared/ or functions/ outside shared/jira/ builds a Jira path, imports jira.js or fetches Jira', () => {
    const files = appSources().filter((f) => !f.startsWith('shared/jira/'));
    assert.ok(files.length > 100, 'the scan sees shared/ and functions/');
    const found = files.flatMap((f) => jiraFindings(f, readSource(f))).map((f) => `${f.where}  ${f.what}`);
    assert.deepEqual(found, [], `add the call to shared/jira/ instead:\n${found.join('\n')}`);
  });
});
