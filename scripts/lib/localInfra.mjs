// What the test runner and the benchmark need around the app: one in-memory Azurite on free ports, and a throwaway
// CA plus a server certificate for 127.0.0.1/localhost so the https fakes (Graph, Entra, Key Vault) are trusted by
// the app's clients.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

// Azurite's documented well-known development account (not a secret):
// https://learn.microsoft.com/azure/storage/common/storage-use-azurite#well-known-storage-account-and-key
const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const AZURITE_START_TIMEOUT_MS = 30_000;

/**
 * Starts Azurite with node directly (so the pid is the server) on ports 0 and reads the ports it bound from
 * stdout. `ready` resolves with `{ ports, connectionString }`; `stop()` ends it (SIGKILL after 2 s).
 */
export function startAzurite(cwd) {
  const entry = path.join(root, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
  const args = [
    entry,
    '--inMemoryPersistence',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--silent',
    '--blobHost', '127.0.0.1', '--blobPort', '0',
    '--queueHost', '127.0.0.1', '--queuePort', '0',
    '--tableHost', '127.0.0.1', '--tablePort', '0',
  ];
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(resolve, 2_000).unref());
    if ((await Promise.race([exited.then(() => 'exited'), timeout])) !== 'exited') child.kill('SIGKILL');
  };
  const ready = new Promise((resolve, reject) => {
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
        child.stdout.off('data', onData);
        child.stdout.resume(); // keep draining so Azurite never blocks on a full pipe
        resolve({ ports, connectionString: connectionString(ports) });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`Azurite exited early (code ${code})`)));
  });
  return { ready, stop };
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
 * A throwaway CA and a server certificate it signs for 127.0.0.1, ::1 and localhost (a CA, not a lone self-signed
 * leaf: NODE_EXTRA_CA_CERTS expects trust anchors; EC P-256 keeps generation in the milliseconds). Returns the env
 * the test and benchmark processes need:
 * TEST_TLS_CERT_FILE / TEST_TLS_KEY_FILE / TEST_TLS_CA_FILE and NODE_EXTRA_CA_CERTS (the CA plus whatever the
 * machine's NODE_EXTRA_CA_CERTS already held: setting it replaces the machine's value, so its contents come along).
 */
export async function writeTlsEnv(dir) {
  const selfsigned = require('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000); // tolerate small clock skew
  const notAfterDate = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
  const common = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate };
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'jira-m365-bridge test CA' }], {
    ...common,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    ...common,
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
    TEST_TLS_CA_FILE: path.join(dir, 'ca.pem'),
    TEST_TLS_CERT_FILE: path.join(dir, 'server-cert.pem'),
    TEST_TLS_KEY_FILE: path.join(dir, 'server-key.pem'),
    NODE_EXTRA_CA_CERTS: path.join(dir, 'extra-ca-bundle.pem'),
  };
  let existing = '';
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  if (previous && existsSync(previous)) existing = readFileSync(previous, 'utf8');
  await Promise.all([
    writeFile(files.TEST_TLS_CA_FILE, ca.cert),
    writeFile(files.TEST_TLS_CERT_FILE, server.cert),
    writeFile(files.TEST_TLS_KEY_FILE, server.private, { mode: 0o600 }),
    writeFile(files.NODE_EXTRA_CA_CERTS, `${ca.cert.trim()}\n${existing}`),
  ]);
  return files;
}
