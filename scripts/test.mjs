#!/usr/bin/env node
// Test runner behind `npm test` (docs/development.md) and CI.
//
//   node scripts/test.mjs                                  every dist/test/**/*.test.js
//   node scripts/test.mjs dist/test/unit/fakes/            a directory (dist or source path)
//   node scripts/test.mjs test/unit/config.test.ts         one file (source paths map to dist)
//   node scripts/test.mjs --test-name-pattern=chat ...     `--` flags pass through to `node --test`
//   node scripts/test.mjs --no-build ...                   skip tsc and run what dist/ holds (while someone
//                                                          else's half-done file breaks the type check)
//
// Steps: type-check and compile (fail fast), then — while nothing else runs — make a throwaway CA and server
// certificate for 127.0.0.1/localhost, start ONE in-memory Azurite on free ports, and run the compiled tests
// serially with `node --test --test-concurrency=1`. The test processes get:
//   TEST_STORAGE_CONNECTION_STRING   Azurite (http endpoints; clients need allowInsecureConnection: true)
//   TEST_TLS_CERT_FILE / TEST_TLS_KEY_FILE / TEST_TLS_CA_FILE   PEM paths for https fakes
//   NODE_EXTRA_CA_CERTS              the test CA plus whatever NODE_EXTRA_CA_CERTS already named, so fetch, msal,
//                                    the Key Vault client and child processes trust the https fakes
// The reporter's summary (`# pass N`, `# fail N`, ...) is the last thing printed: CI reads it.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, startAzurite, writeTlsEnv } from './lib/localInfra.mjs';
import { buildConsole } from './console.mjs';

const require = (await import('node:module')).createRequire(import.meta.url);

const log = (message) => process.stderr.write(`[test] ${message}\n`);

const args = process.argv.slice(2);
const skipBuild = args.includes('--no-build');
const passThroughFlags = args.filter((a) => a.startsWith('--') && a !== '--no-build');
const targets = args.filter((a) => !a.startsWith('--'));

let azurite; // { ready, stop } from localInfra
let tests; // ChildProcess
let workDir;

async function main() {
  workDir = await mkdtemp(path.join(tmpdir(), 'jira-m365-test-'));

  // Azurite and the certificate do not depend on the build: start them while tsc runs.
  azurite = startAzurite(workDir);
  const azuriteReady = azurite.ready;
  azuriteReady.catch(() => {}); // reported when awaited below
  const tlsReady = writeTlsEnv(workDir);
  tlsReady.catch(() => {});

  const tscCode = skipBuild ? 0 : await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']);
  if (tscCode !== 0) {
    log(`type check failed (tsc exit ${tscCode}); no tests were run`);
    return tscCode || 1;
  }
  // The console's front-end (served from dist/console-ui by the app the browser tests drive).
  if (!skipBuild) await buildConsole();

  const files = await resolveTestFiles(targets);
  if (files.length === 0) {
    log(`no test files found for ${targets.length ? targets.join(' ') : 'dist/test'}`);
    return 1;
  }

  const [{ connectionString }, tlsEnv] = await Promise.all([azuriteReady, tlsReady]);
  const env = { ...process.env, TEST_STORAGE_CONNECTION_STRING: connectionString, ...tlsEnv };

  // Explicit reporter off a TTY: the default changed across Node versions (tap on Node 20, spec on 23+), and CI
  // reads tap's closing `# pass N` / `# fail N` lines.
  const reporter = process.stdout.isTTY ? [] : ['--test-reporter=tap'];
  const testArgs = ['--enable-source-maps', '--test', '--test-concurrency=1', ...reporter, ...passThroughFlags, ...files];
  return await run(process.execPath, testArgs, { env, onChild: (c) => (tests = c) });
}

/** Spawns a process with inherited stdio and resolves with its exit code. */
function run(command, commandArgs, { env = process.env, onChild } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: root, env, stdio: 'inherit' });
    onChild?.(child);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(signal) {
  return { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 1;
}

/**
 * Maps the arguments to compiled test files. Source paths (`test/...`, `.ts`) map to `dist/`. A directory is
 * searched for `*.test.js` whose `.ts` source still exists, so a deleted or renamed test left behind in dist/ by
 * the incremental build does not run.
 */
async function resolveTestFiles(requested) {
  const inputs = requested.length ? requested : ['dist/test'];
  const files = [];
  for (const input of inputs) {
    let rel = path.relative(root, path.resolve(input));
    if (!rel.startsWith(`dist${path.sep}`) && rel !== 'dist') rel = path.join('dist', rel);
    rel = rel.replace(/\.ts$/, '.js');
    const abs = path.join(root, rel);
    if (!existsSync(abs)) throw new Error(`no such test file or directory: ${input} (looked for ${rel})`);
    if (statSync(abs).isDirectory()) {
      for (const file of await findTests(abs)) files.push(path.relative(root, file));
    } else {
      files.push(rel);
    }
  }
  return [...new Set(files)].sort();
}

async function findTests(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.test.js')) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const source = path.join(root, path.relative(path.join(root, 'dist'), file)).replace(/\.js$/, '.ts');
    if (existsSync(source)) found.push(file);
  }
  return found;
}

async function cleanUp() {
  await azurite?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true }).catch(() => {});
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    tests?.kill(signal);
    void cleanUp().finally(() => process.exit(128 + signalNumber(signal)));
  });
}

let exitCode;
try {
  exitCode = await main();
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  exitCode = 1;
}
await cleanUp();
process.exitCode = exitCode;
