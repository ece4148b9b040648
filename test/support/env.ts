// What scripts/test.mjs hands every test process. Reading it here (not in each test) gives one clear message
// when a compiled test is started by hand without the runner.
export interface TestEnv {
  /** Azurite with http endpoints: storage clients need `allowInsecureConnection: true`. */
  storageConnectionString: string;
  /** PEM server certificate for 127.0.0.1, ::1 and localhost, signed by the test CA. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** PEM of the test CA alone (NODE_EXTRA_CA_CERTS additionally holds the machine's extra CAs). */
  tlsCaFile: string;
}

const variables = {
  storageConnectionString: 'TEST_STORAGE_CONNECTION_STRING',
  tlsCertFile: 'TEST_TLS_CERT_FILE',
  tlsKeyFile: 'TEST_TLS_KEY_FILE',
  tlsCaFile: 'TEST_TLS_CA_FILE',
} as const satisfies Record<keyof TestEnv, string>;

let cached: TestEnv | undefined;

/** The runner-provided environment; throws naming the missing variable and how to run the tests instead. */
export function testEnv(): TestEnv {
  if (cached) return cached;
  const env = {} as TestEnv;
  for (const [key, name] of Object.entries(variables) as Array<[keyof TestEnv, string]>) {
    const value = process.env[name];
    if (!value) {
      throw new Error(
        `${name} is not set: run tests through the runner, e.g. \`npm test\` or ` +
          '`npm test -- dist/test/unit/some.test.js`, which starts Azurite and makes the test certificate',
      );
    }
    env[key] = value;
  }
  cached = Object.freeze(env);
  return cached;
}
