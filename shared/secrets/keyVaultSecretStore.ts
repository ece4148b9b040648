// Key Vault behind the SecretStore interface, through @azure/keyvault-secrets with the app's managed identity.
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import type { SecretStore } from './secretStore.js';

export class KeyVaultSecretStore implements SecretStore {
  readonly kind = 'key-vault' as const;
  private readonly client: SecretClient;

  constructor(vaultUrl: string, credential: TokenCredential, options?: SecretClientOptions) {
    this.client = new SecretClient(vaultUrl, credential, options);
  }

  async get(name: string): Promise<string | undefined> {
    try {
      return (await this.client.getSecret(name)).value;
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async set(name: string, value: string, options?: { contentType?: string }): Promise<void> {
    try {
      await this.client.setSecret(name, value, { contentType: options?.contentType });
    } catch (e) {
      // A secret deleted earlier and still soft-deleted blocks the name (409 Conflict); recover it and write again.
      if (statusOf(e) !== 409) throw e;
      const poller = await this.client.beginRecoverDeletedSecret(name, { intervalInMs: 200 });
      await poller.pollUntilDone();
      await this.client.setSecret(name, value, { contentType: options?.contentType });
    }
  }

  async delete(name: string): Promise<void> {
    try {
      const poller = await this.client.beginDeleteSecret(name, { intervalInMs: 200 });
      await poller.pollUntilDone();
    } catch (e) {
      if (statusOf(e) === 404) return;
      throw e;
    }
    // With purge protection on (as our Bicep deploys), purge is refused; the soft-deleted secret then expires by
    // itself and `set` recovers the name if it is needed again.
    await this.client.purgeDeletedSecret(name).catch(() => undefined);
  }

  async list(prefix = ''): Promise<string[]> {
    const names: string[] = [];
    for await (const p of this.client.listPropertiesOfSecrets()) {
      if (p.name.startsWith(prefix) && p.enabled !== false) names.push(p.name);
    }
    return names;
  }
}

function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e ? (e as { statusCode?: number }).statusCode : undefined;
}
