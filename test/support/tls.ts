// The test certificate made by scripts/test.mjs, for https fakes (Graph, Entra, Key Vault) on 127.0.0.1.
import { readFileSync } from 'node:fs';
import { testEnv } from './env.js';

export interface TestTls {
  /** PEM server certificate (SANs: localhost, 127.0.0.1, ::1). */
  cert: string;
  key: string;
  /** PEM of the test CA: pass as `ca` to clients that do not read NODE_EXTRA_CA_CERTS. */
  ca: string;
}

let cached: TestTls | undefined;

export function testTls(): TestTls {
  if (cached) return cached;
  const env = testEnv();
  cached = Object.freeze({
    cert: readFileSync(env.tlsCertFile, 'utf8'),
    key: readFileSync(env.tlsKeyFile, 'utf8'),
    ca: readFileSync(env.tlsCaFile, 'utf8'),
  });
  return cached;
}
