// The layers in .dependency-cruiser.cjs (drawn in docs/architecture.md) hold for the app: no module cycle, no import
// from a lower layer up to a higher one, no feature-to-feature import the config does not declare, nothing of the
// Functions host in shared/, nothing of dev/ or test/ in the app. The second test proves the same check fails: it
// cruises a small tree written to a temporary folder with one of each mistake.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { repoRoot } from '../../support/repoRoot.js';

/** Cruises `dirs` under `baseDir` with the project's own rules and returns the violations as `rule: from → to`. */
async function violations(baseDir: string, dirs: string[]): Promise<{ found: string[]; cruised: number }> {
  const options = await extractDepcruiseOptions(path.join(repoRoot(), '.dependency-cruiser.cjs'));
  const tsConfig = extractTSConfig(path.join(baseDir, 'tsconfig.json'));
  const result = await cruise(dirs, { ...options, baseDir, validate: true }, {}, { tsConfig });
  const output = result.output as ICruiseResult;
  return {
    found: output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
    cruised: output.summary.totalCruised,
  };
}

describe('layers', () => {
  it('shared/ and functions/ keep to the layers: no cycle, no upward import', async () => {
    const { found, cruised } = await violations(repoRoot(), ['shared', 'functions']);
    assert.ok(cruised > 100, `the cruise saw only ${cruised} modules: is it looking at the right folders?`);
    assert.deepEqual(found, [], `see .dependency-cruiser.cjs and docs/architecture.md:\n${found.join('\n')}`);
  });

  describe('the check fails on a tree that breaks the rules', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'layers-test-'));
      const files: Record<string, string> = {
        // storage (infra) reaching up to identity (clients), which imports it back: an upward import and a cycle.
        'shared/storage/rows.ts': "import { user } from '../identity/user.js';\nexport const rows = [user];\n",
        'shared/identity/user.ts': "import { rows } from '../storage/rows.js';\nexport const user = 'u';\nexport const count = () => rows.length;\n",
        // chats may not use mail (only mail uses chats).
        'shared/chats/topic.ts': "import { subject } from '../mail/subject.js';\nexport const topic = subject;\n",
        'shared/mail/subject.ts': "export const subject = 's';\n",
        // a folder no layer names.
        'shared/gadgets/gadget.ts': "import { subject } from '../mail/subject.js';\nexport const gadget = subject;\n",
        // the app reaching into the tests, and shared/ into the Functions host.
        'shared/text/fixture.ts': "import { sample } from '../../test/sample.js';\nexport const text = sample;\n",
        'shared/http/host.ts': "import type { HttpRequest } from '@azure/functions';\nexport type Request = HttpRequest;\n",
        'test/sample.ts': "export const sample = 't';\n",
        // a feature building the runtime itself instead of being handed it.
        'shared/runtime.ts': "export interface Runtime { name: string }\nexport const getRuntime = (): Runtime => ({ name: 'r' });\n",
        'shared/people/boot.ts': "import { getRuntime } from '../runtime.js';\nexport const boot = getRuntime();\n",
        // Allowed, and must stay unreported: a declared feature edge (mail uses chats) and the Runtime type.
        'shared/chats/html.ts': "export const html = '<p/>';\n",
        'shared/mail/body.ts': "import type { Runtime } from '../runtime.js';\nimport { html } from '../chats/html.js';\nexport const body = (r: Runtime) => html + r.name;\n",
      };
      for (const [file, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), text);
      }
      await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['**/*.ts'] }));
      await symlink(path.join(repoRoot(), 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reports the upward import, the cycle, the undeclared feature import, the unplaced folder, test/, the host and a runtime built below the edges', async () => {
      const { found } = await violations(dir, ['shared']);
      const expected = [
        'layer-storage: shared/storage/rows.ts → shared/identity/user.ts',
        'layer-chats: shared/chats/topic.ts → shared/mail/subject.ts',
        'layer-unplaced: shared/gadgets/gadget.ts → shared/mail/subject.ts',
        'app-not-dev-or-test: shared/text/fixture.ts → test/sample.ts',
        'runtime-built-at-edges: shared/people/boot.ts → shared/runtime.ts',
      ];
      for (const v of expected) assert.ok(found.includes(v), `expected ${v} among:\n${found.join('\n')}`);
      assert.deepEqual(found.filter((v) => v.includes('shared/mail/body.ts →')), [], 'declared and type-only imports are allowed');
      // A cycle is reported once, from whichever of its modules the cruise met first.
      const cycle = ['no-circular: shared/storage/rows.ts → shared/identity/user.ts', 'no-circular: shared/identity/user.ts → shared/storage/rows.ts'];
      assert.ok(found.some((v) => cycle.includes(v)), `expected the storage ⇄ identity cycle among:\n${found.join('\n')}`);
      assert.ok(
        found.some((v) => v.startsWith('shared-not-functions-host: shared/http/host.ts → ') && v.includes('node_modules/@azure/functions/')),
        `expected shared/http/host.ts → @azure/functions among:\n${found.join('\n')}`,
      );
    });
  });
});
