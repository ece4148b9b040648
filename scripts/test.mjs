#!/usr/bin/env node
// Test runner behind `npm test` (README) and CI.
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
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = (await import('node:module')).createRequire(import.meta.url);

// Azurite's documented well-known development account (not a secret):
// https://learn.microsoft.com/azure/storage/common/storage-use-azurite#well-known-storage-account-and-key
const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const AZURITE_START_TIMEOUT_MS = 30_000;

const log = (message) => process.stderr.write(`[test] ${message}\n`);

const args = process.argv.slice(2);
const skipBuild = args.includes('--no-build');
const passThroughFlags = args.filter((a) => a.startsWith('--') && a !== '--no-build');
const targets = args.filter((a) => !a.startsWith('--'));

let azurite; // ChildProcess
let tests; // ChildProcess
let workDir;

async function main() {
  workDir = await mkdtemp(path.join(tmpdir(), 'jira-m365-test-'));

  // Azurite and the certificate do not depend on the build: start them while tsc runs.
  const azuriteReady = startAzurite(workDir);
  azuriteReady.catch(() => {}); // reported when awaited below
  const tlsReady = writeTlsFiles(workDir);
  tlsReady.catch(() => {});

  const tscCode = skipBuild ? 0 : await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']);
  if (tscCode !== 0) {
    log(`type check failed (tsc exit ${tscCode}); no tests were run`);
    return tscCode || 1;
  }

  const files = await resolveTestFiles(targets);
  if (files.length === 0) {
    log(`no test files found for ${targets.length ? targets.join(' ') : 'dist/test'}`);
    return 1;
  }

  const [ports, tls] = await Promise.all([azuriteReady, tlsReady]);
  const env = {
    ...process.env,
    TEST_STORAGE_CONNECTION_STRING: connectionString(ports),
    TEST_TLS_CERT_FILE: tls.certFile,
    TEST_TLS_KEY_FILE: tls.keyFile,
    TEST_TLS_CA_FILE: tls.caFile,
    NODE_EXTRA_CA_CERTS: tls.bundleFile,
  };

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
 * Starts Azurite directly with node (not through npx/the bin shim, so the pid we kill IS the server) on ports 0,
 * and reads the ports it bound from stdout — it prints them even with --silent.
 */
function startAzurite(cwd) {
  const entry = path.join(root, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
  const azuriteArgs = [
    entry,
    '--inMemoryPersistence',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--silent',
    '--blobHost', '127.0.0.1', '--blobPort', '0',
    '--queueHost', '127.0.0.1', '--queuePort', '0',
    '--tableHost', '127.0.0.1', '--tablePort', '0',
  ];
  return new Promise((resolve, reject) => {
    // cwd is the throwaway dir so nothing Azurite might write lands in the checkout.
    azurite = spawn(process.execPath, azuriteArgs, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const ports = {};
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not report its ports within ${AZURITE_START_TIMEOUT_MS} ms`)), AZURITE_START_TIMEOUT_MS);
    const fail = (error) => {
      clearTimeout(timer);
      reject(new Error(`${error.message}\nAzurite output:\n${output}`));
    };
    const onData = (chunk) => {
      output += chunk;
      for (const m of output.matchAll(/Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/127\.0\.0\.1:(\d+)/g)) {
        ports[m[1].toLowerCase()] = Number(m[2]);
      }
      if (ports.blob && ports.queue && ports.table) {
        clearTimeout(timer);
        azurite.stdout.off('data', onData);
        azurite.stdout.resume(); // keep draining so Azurite never blocks on a full pipe
        resolve(ports);
      }
    };
    azurite.stdout.setEncoding('utf8').on('data', onData);
    azurite.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    azurite.once('error', fail);
    azurite.once('exit', (code) => fail(new Error(`Azurite exited early (code ${code})`)));
  });
}

function connectionString({ blob, queue, table }) {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=http://127.0.0.1:${queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${table}/${AZURITE_ACCOUNT}`,
  ].join(';');
}

/**
 * A throwaway CA and a server certificate it signs, for 127.0.0.1, ::1 and localhost. A CA (not a lone
 * self-signed leaf) because NODE_EXTRA_CA_CERTS and `ca` options expect trust anchors, and clients that check
 * basicConstraints reject a leaf used as its own issuer. EC P-256 keeps generation in the milliseconds.
 */
async function writeTlsFiles(dir) {
  const selfsigned = require('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000); // tolerate small clock skew
  const notAfterDate = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'jira-m365-bridge test CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });

  const files = {
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'server-cert.pem'),
    keyFile: path.join(dir, 'server-key.pem'),
    bundleFile: path.join(dir, 'extra-ca-bundle.pem'),
  };
  // Setting NODE_EXTRA_CA_CERTS for the tests replaces the machine's value, so carry its contents along.
  let existing = '';
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  if (previous && existsSync(previous)) existing = readFileSync(previous, 'utf8');
  await Promise.all([
    writeFile(files.caFile, ca.cert),
    writeFile(files.certFile, server.cert),
    writeFile(files.keyFile, server.private, { mode: 0o600 }),
    writeFile(files.bundleFile, `${ca.cert.trim()}\n${existing}`),
  ]);
  return files;
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

async function stopAzurite() {
  if (!azurite || azurite.exitCode !== null || azurite.signalCode !== null) return;
  azurite.removeAllListeners('exit'); // drop the start-up "exited early" handler
  const exited = new Promise((resolve) => azurite.once('exit', resolve));
  azurite.kill('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(resolve, 2_000).unref());
  if ((await Promise.race([exited.then(() => 'exited'), timeout])) !== 'exited') azurite.kill('SIGKILL');
}

async function cleanUp() {
  await stopAzurite();
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
