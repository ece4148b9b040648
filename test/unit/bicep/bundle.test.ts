// The deployment package scripts/bundle.mjs builds (azure.yaml ships it with `dist: .deploy`): one ESM file that
// registers every function in functions/, a package.json whose `main` names it, and host.json. Built into a
// temporary folder so the test never touches the checkout's .deploy/.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../support/repoRoot.js';

interface BundleScript {
  functionEntries(root?: string): Promise<string[]>;
  bundle(options: { out: string; root?: string }): Promise<{ entries: string[]; out: string; bytes: number; externals: string[] }>;
  registeredFunctions(out: string): Promise<string[]>;
  verify(out: string, options?: { expectFunctions?: boolean }): Promise<string[]>;
}

let script: BundleScript;
let out: string;
let entries: string[];
let externals: string[];

before(async () => {
  script = (await import(pathToFileURL(path.join(repoRoot(), 'scripts', 'bundle.mjs')).href)) as BundleScript;
  out = await mkdtemp(path.join(tmpdir(), 'bundle-test-'));
  ({ entries, externals } = await script.bundle({ out }));
});

after(async () => {
  await rm(out, { recursive: true, force: true });
});

test('the package is main.js, package.json (main: main.js, ESM, no dependencies), host.json and the console front-end, nothing else', async () => {
  assert.deepEqual((await readdir(out)).sort(), ['console-ui', 'host.json', 'main.js', 'package.json']);
  // shared/console/assets.ts serves these from beside main.js.
  assert.deepEqual((await readdir(path.join(out, 'console-ui'))).sort(), ['console.css', 'console.js']);
  const pkg = JSON.parse(await readFile(path.join(out, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(pkg.main, 'main.js');
  assert.equal(pkg.type, 'module');
  assert.deepEqual(pkg.dependencies, {});
  assert.equal(await readFile(path.join(out, 'host.json'), 'utf8'), await readFile(path.join(repoRoot(), 'host.json'), 'utf8'));
});

test('every function file directly under functions/ is an entry, helpers in subfolders are not', async () => {
  const onDisk = (await readdir(path.join(repoRoot(), 'functions'), { withFileTypes: true }))
    .filter((d) => d.isFile() && /\.ts$/.test(d.name) && !/\.d\.ts$|\.test\.ts$/.test(d.name))
    .map((d) => path.join(repoRoot(), 'functions', d.name))
    .sort();
  assert.deepEqual(entries, onDisk);
});

test('the bundle registers one function per function file, reaching the worker only through @azure/functions-core', async () => {
  const names = await script.registeredFunctions(out);
  // STYLE.md: the file name and the registered function name are the same word.
  const expected = entries.map((e) => path.basename(e).replace(/\.[mc]?[tj]s$/, '')).sort();
  assert.deepEqual([...names].sort(), expected);

  const code = await readFile(path.join(out, 'main.js'), 'utf8');
  const notBuiltin = externals.filter((spec) => !isBuiltin(spec));
  assert.deepEqual(notBuiltin, entries.length ? ['@azure/functions-core'] : [], 'everything but Node built-ins is inside the bundle');
  assert.ok(!code.includes('\n//# sourceMappingURL'), 'no source map reference in the deployed file');
  // npm run demo (dev/demo.ts) and the test stand-ins it runs stay out of the deployment.
  for (const marker of ['FakeGraph', 'FakeEntra', 'Stand-in Microsoft Teams']) assert.ok(!code.includes(marker), `${marker} is not in the bundle`);
});

test('with an empty functions/ folder the bundle is still a valid module that registers nothing', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'bundle-empty-'));
  try {
    for (const f of ['package.json', 'host.json', 'tsconfig.json']) await copyFile(path.join(repoRoot(), f), path.join(root, f));
    await mkdir(path.join(root, 'functions'));
    const emptyOut = path.join(root, '.deploy');
    const result = await script.bundle({ out: emptyOut, root });
    assert.deepEqual(result.entries, []);
    assert.deepEqual(await script.registeredFunctions(emptyOut), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('--verify passes the app: no function would be in error in Azure', async () => {
  assert.equal((await script.verify(out)).length, entries.length);
});

test('--verify refuses a bundle with a function Azure would put in error, with the host\'s message, naming each', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'bundle-bad-'));
  try {
    for (const f of ['package.json', 'host.json', 'tsconfig.json']) await copyFile(path.join(repoRoot(), f), path.join(root, f));
    await symlink(path.join(repoRoot(), 'node_modules'), path.join(root, 'node_modules'), 'dir');
    await mkdir(path.join(root, 'functions'));
    const fn = (name: string, options: string) =>
      `import { app } from '@azure/functions';\napp.${options.startsWith('timer') ? 'timer' : 'http'}('${name}', { ${options.replace(/^timer /, '')}, handler: async () => ({}) });\n`;
    await writeFile(path.join(root, 'functions', 'fine.ts'), fn('fine', "route: 'manage/things', methods: ['GET']"));
    await writeFile(path.join(root, 'functions', 'reserved.ts'), fn('reserved', "route: 'Administration/things', methods: ['GET']"));
    await writeFile(path.join(root, 'functions', 'twin.ts'), fn('twin', "route: '/manage/things/', methods: ['POST', 'GET']"));
    await writeFile(path.join(root, 'functions', 'interval.ts'), fn('interval', "timer schedule: '00:05:00'"));
    const badOut = path.join(root, '.deploy');
    await script.bundle({ out: badOut, root });
    await assert.rejects(script.verify(badOut), (error: Error) => {
      assert.match(error.message, /3 function\(s\) would be in error in Azure/);
      assert.match(error.message, /The 'reserved' function is in error: The specified route conflicts with one or more built in routes\./);
      assert.match(error.message, /The 'twin' function is in error: The route specified conflicts with the route defined by function 'fine'\./);
      assert.match(error.message, /The 'interval' function is in error: The schedule "00:05:00" is a TimeSpan/);
      assert.doesNotMatch(error.message, /The 'fine' function/);
      return true;
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
