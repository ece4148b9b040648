// The README and docs/ are the contract a customer's deployment is checked against (issue 13: "Nothing is described
// that the app does not do"). Every deployment output they tell the reader to read exists as an `output` of
// bicep/main.bicep, and every `npm run X` / `npm test` / `npm start` they name is a script of package.json.
//
// A reader reaches an output in these ways, all recognised here:
// - `azd env get-value NAME` (azd writes a deployment's outputs into the environment under their own names:
//   learn.microsoft.com/azure/developer/azure-developer-cli/manage-environment-variables, "Outputs from
//   infrastructure provisioning");
// - `az deployment sub show … --query properties.outputs.NAME.value`;
// - prose: "the deployment output `NAME`", "(output `NAME`)", "the outputs `A` and `B`", "the `NAME` output".
// Values azd keeps itself (AZURE_ENV_NAME, AZURE_SUBSCRIPTION_ID: same page, "Environment variables set by azd")
// are not outputs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../support/repoRoot.js';

const azdOwnValues = new Set(['AZURE_ENV_NAME', 'AZURE_SUBSCRIPTION_ID']);

export interface Mention {
  where: string;
  name: string;
}

/** The output names a Markdown text tells the reader to read. */
export function outputsNamed(file: string, markdown: string): Mention[] {
  const out: Mention[] = [];
  markdown.split('\n').forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    const add = (name: string) => out.push({ where, name });
    for (const m of line.matchAll(/azd env get-value\s+"?([A-Za-z_][A-Za-z0-9_]*)/g)) add(m[1]!);
    for (const m of line.matchAll(/properties\.outputs\.([A-Za-z_][A-Za-z0-9_]*)/g)) add(m[1]!);
    // "output `X`", "outputs `A` and `B`", "outputs (`A`, …)": the code spans that follow the word.
    for (const m of line.matchAll(/\boutputs?\s*\(?((?:`[A-Z][A-Z0-9_]+`(?:\s*(?:,|and|or)\s*)?)+)/g)) {
      for (const name of m[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) add(name[1]!);
    }
    // "the `X` output", "the X output".
    for (const m of line.matchAll(/\b(?:the|an?)\s+`?([A-Z][A-Z0-9_]{2,})`?\s+output\b/g)) add(m[1]!);
  });
  return out.filter((m) => !azdOwnValues.has(m.name));
}

/** The npm scripts a Markdown text tells the reader to run. */
export function scriptsNamed(file: string, markdown: string): Mention[] {
  const out: Mention[] = [];
  markdown.split('\n').forEach((line, index) => {
    for (const m of line.matchAll(/\bnpm run(?:-script)?\s+([a-z][\w:.-]*)/g)) out.push({ where: `${file}:${index + 1}`, name: m[1]! });
    for (const m of line.matchAll(/\bnpm (test|start)\b/g)) out.push({ where: `${file}:${index + 1}`, name: m[1]! });
  });
  return out;
}

function docs(): { file: string; text: string }[] {
  const root = repoRoot();
  const files = ['README.md', 'bicep/README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  return files.map((file) => ({ file, text: readFileSync(path.join(root, file), 'utf8') }));
}

describe('deployment names in the README and docs/', () => {
  const root = repoRoot();
  const bicep = readFileSync(path.join(root, 'bicep/main.bicep'), 'utf8');
  const outputs = new Set([...bicep.matchAll(/^output\s+([A-Za-z_][A-Za-z0-9_]*)\s/gm)].map((m) => m[1]!));
  const scripts = new Set(Object.keys((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts));

  it('recognises each way a doc names an output or a script', () => {
    const text = [
      'APP=$(azd env get-value PUBLIC_BASE_URL)',
      '  --query properties.outputs.FUNCTION_APP_NAME.value -o tsv',
      'the deployment output `APPLICATIONINSIGHTS_NAME`; the outputs `AZURE_RESOURCE_GROUP` and `FUNCTION_APP_NAME`',
      'After the run, `azd env get-values` shows the outputs (`JIRA_WEBHOOK_URL`, …). (output `ENTRA_REDIRECT_URIS`)',
      '# or the ENTRA_CLIENT_ID output; azd env get-value AZURE_ENV_NAME; the `PUBLIC_BASE_URL` setting',
      'run `npm run check:layers`, then npm test and `npm start`; npm install is not a script',
    ].join('\n');
    assert.deepEqual(
      outputsNamed('x.md', text).map((m) => m.name),
      ['PUBLIC_BASE_URL', 'FUNCTION_APP_NAME', 'APPLICATIONINSIGHTS_NAME', 'AZURE_RESOURCE_GROUP', 'FUNCTION_APP_NAME', 'JIRA_WEBHOOK_URL', 'ENTRA_REDIRECT_URIS', 'ENTRA_CLIENT_ID'],
    );
    assert.deepEqual(scriptsNamed('x.md', text).map((m) => m.name), ['check:layers', 'test', 'start']);
  });

  it('every output the docs tell the reader to read is an output of bicep/main.bicep', () => {
    assert.ok(outputs.size > 5, 'main.bicep has its outputs');
    const named = docs().flatMap((d) => outputsNamed(d.file, d.text));
    assert.ok(named.length > 5, 'the docs name outputs');
    const missing = named.filter((m) => !outputs.has(m.name)).map((m) => `${m.where} ${m.name}`);
    assert.deepEqual(missing, [], `not an output of bicep/main.bicep (${[...outputs].join(', ')})`);
  });

  it('every azd variable the docs tell the reader to set is one main.parameters.json maps, to the documented parameter', () => {
    // azd substitutes `${NAME}` / `${NAME=default}` in main.parameters.json from the environment (azd env set).
    const parameters = (JSON.parse(readFileSync(path.join(root, 'bicep/main.parameters.json'), 'utf8')) as { parameters: Record<string, { value?: unknown }> }).parameters;
    const mapped = new Map<string, string>();
    for (const [name, p] of Object.entries(parameters)) {
      for (const m of JSON.stringify(p.value ?? '').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) mapped.set(m[1]!, name);
    }
    assert.ok(mapped.size > 3, 'main.parameters.json maps azd variables');
    const problems: string[] = [];
    let rows = 0;
    for (const d of docs()) {
      d.text.split('\n').forEach((line, index) => {
        for (const m of line.matchAll(/azd env set\s+([A-Z_][A-Z0-9_]*)\b/g)) {
          if (m[1] !== 'NAME' && !mapped.has(m[1]!)) problems.push(`${d.file}:${index + 1} azd env set ${m[1]}: main.parameters.json does not read it`);
        }
        // bicep/README.md's parameter table: | `parameter` | type | default | `AZD_VARIABLE` | what it does |
        const row = /^\| `(\w+)` \|[^|]*\|[^|]*\| `([A-Z_][A-Z0-9_]*)` \|/.exec(line);
        if (row) rows++;
        if (row && mapped.get(row[2]!) !== row[1]) problems.push(`${d.file}:${index + 1} ${row[2]} is documented for ${row[1]}, main.parameters.json maps it to ${mapped.get(row[2]!) ?? 'nothing'}`);
      });
    }
    assert.ok(rows >= 8, `the parameter table has its azd column (${rows} rows read)`);
    assert.deepEqual(problems, []);
  });

  it('every npm script the docs name is in package.json', () => {
    const named = docs().flatMap((d) => scriptsNamed(d.file, d.text));
    assert.ok(named.length > 5, 'the docs name scripts');
    const missing = named.filter((m) => !scripts.has(m.name)).map((m) => `${m.where} npm run ${m.name}`);
    assert.deepEqual(missing, [], `not a script of package.json (${[...scripts].join(', ')})`);
  });
});
