// `npm run demo`: builds, starts an in-memory Azurite and a throwaway TLS CA for the HTTPS stand-ins (as the test
// runner does), then dist/dev/demo.js: the bridge with the local Graph, Entra and Jira stand-ins, pre-configured,
// printing the console's sign-in link and the stand-in Teams page. Ctrl+C stops everything. Needs no Azure.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { buildConsole } from './console.mjs';
import { root, startAzurite, writeTlsEnv } from './lib/localInfra.mjs';

const require = createRequire(import.meta.url);
const run = (args, env = process.env) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });

const workDir = await mkdtemp(path.join(tmpdir(), 'bridge-demo-'));
const azurite = startAzurite(workDir);
let demo;
const cleanUp = async () => {
  await azurite.stop();
  await rm(workDir, { recursive: true, force: true }).catch(() => {});
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    demo?.kill(signal);
  });
}
try {
  if (!process.argv.includes('--no-build')) {
    console.log('Building...');
    if ((await run([require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'])) !== 0) throw new Error('the build failed');
    await buildConsole();
  }
  const [{ connectionString }, tlsEnv] = await Promise.all([azurite.ready, writeTlsEnv(workDir)]);
  const env = { ...process.env, TEST_STORAGE_CONNECTION_STRING: connectionString, ...tlsEnv };
  const code = await new Promise((resolve, reject) => {
    demo = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist', 'dev', 'demo.js')], { cwd: root, env, stdio: 'inherit' });
    demo.once('error', reject);
    demo.once('exit', (c) => resolve(c ?? 0));
  });
  process.exitCode = code;
} catch (error) {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
