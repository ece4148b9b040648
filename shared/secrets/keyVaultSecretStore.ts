// Key Vault behind the SecretStore interface, through @azure/keyvault-secrets with the app's managed identity.
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import { DeadlineError } from '../errors.js';
import type { SecretStore } from './secretStore.js';

export const defaultKeyVaultTimeoutMs = 10_000;

export interface KeyVaultStoreOptions extends SecretClientOptions {
  /**
   * Deadline of each store operation in ms, retries and Retry-After waits included (KEY_VAULT_TIMEOUT_SECONDS;
   * default 10 s). The SDK's own default has no request timeout and retries with exponential waits of up to 64 s
   * (@typespec/ts-http-runtime exponentialRetryStrategy), which a job cannot afford.
   */
  timeoutMs?: number;
}

export class KeyVaultSecretStore implements SecretStore {
  readonly kind = 'key-vault' as const;
  private readonly client: SecretClient;
  private readonly timeoutMs: number;

  constructor(vaultUrl: string, credential: TokenCredential, options: KeyVaultStoreOptions = {}) {
    const { timeoutMs, ...clientOptions } = options;
    this.timeoutMs = timeoutMs ?? defaultKeyVaultTimeoutMs;
    // Two retries with short waits for a 5xx or a reset connection; the deadline bounds them all.
    this.client = new SecretClient(vaultUrl, credential, {
      ...clientOptions,
      retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000, ...clientOptions.retryOptions },
    });
  }

  /** Runs one operation with an abort signal that fires at the deadline; an abort becomes DeadlineError. */
  private async within<T>(what: string, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await run(signal);
    } catch (e) {
      if (signal.aborted) throw new DeadlineError('key-vault', `Key Vault: ${what}`, this.timeoutMs, 'KEY_VAULT_TIMEOUT_SECONDS');
      throw e;
    }
  }

  async get(name: string): Promise<string | undefined> {
    try {
      return await this.within(`read secret ${name}`, async (abortSignal) => (await this.client.getSecret(name, { abortSignal })).value);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async set(name: string, value: string, options?: { contentType?: string }): Promise<void> {
    await this.within(`write secret ${name}`, async (abortSignal) => {
      try {
        await this.client.setSecret(name, value, { contentType: options?.contentType, abortSignal });
      } catch (e) {
        // A secret deleted earlier and still soft-deleted blocks the name (409 Conflict); recover it and write again.
        if (statusOf(e) !== 409) throw e;
        const poller = await this.client.beginRecoverDeletedSecret(name, { intervalInMs: 200, abortSignal });
        await poller.pollUntilDone({ abortSignal });
        await this.client.setSecret(name, value, { contentType: options?.contentType, abortSignal });
      }
    });
  }

  async delete(name: string): Promise<void> {
    try {
      await this.within(`delete secret ${name}`, async (abortSignal) => {
        const poller = await this.client.beginDeleteSecret(name, { intervalInMs: 200, abortSignal });
        await poller.pollUntilDone({ abortSignal });
      });
    } catch (e) {
      if (statusOf(e) === 404) return;
      throw e;
    }
    // With purge protection on (as our Bicep deploys), purge is refused; the soft-deleted secret then expires by
    // itself and `set` recovers the name if it is needed again.
    await this.within(`purge secret ${name}`, (abortSignal) => this.client.purgeDeletedSecret(name, { abortSignal })).catch(() => undefined);
  }

  async list(prefix = ''): Promise<string[]> {
    return this.within('list secrets', async (abortSignal) => {
      const names: string[] = [];
      for await (const p of this.client.listPropertiesOfSecrets({ abortSignal })) {
        if (p.name.startsWith(prefix) && p.enabled !== false) names.push(p.name);
      }
      return names;
    });
  }
}

function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e ? (e as { statusCode?: number }).statusCode : undefined;
}
