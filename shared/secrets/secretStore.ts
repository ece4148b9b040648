// Where secrets live: Key Vault in Azure, a local file when no vault is configured (local runs only). Callers never
// see which. Secret names are derived from ids we control, never taken from user input as-is (DESIGN §5).
import { createHash } from 'node:crypto';

export interface SecretStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string, options?: { contentType?: string }): Promise<void>;
  /** Deletes the secret (in Key Vault: soft delete, then purge when allowed, so the name can be reused). */
  delete(name: string): Promise<void>;
  /** Names of the existing secrets that start with `prefix`. */
  list(prefix?: string): Promise<string[]>;
  /** What backs this store, for the health endpoint (never a secret). */
  readonly kind: 'key-vault' | 'local-file' | 'memory';
}

/**
 * Builds a Key Vault secret name (1-127 of `[0-9a-zA-Z-]`) from parts such as a site id or tenant id. Characters
 * outside the alphabet are dropped and a short hash of the original parts keeps distinct inputs distinct, so two
 * different ids can never share a secret.
 */
export function secretName(...parts: string[]): string {
  const readable = parts
    .map((p) => p.replace(/[^0-9a-zA-Z-]+/g, '-').replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('--');
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 10);
  return `${readable.slice(0, 127 - 11)}-${digest}`;
}

/** A store held in memory: unit tests and dry runs. */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory' as const;
  readonly values = new Map<string, string>();
  async get(name: string) {
    return this.values.get(name);
  }
  async set(name: string, value: string) {
    this.values.set(name, value);
  }
  async delete(name: string) {
    this.values.delete(name);
  }
  async list(prefix = '') {
    return [...this.values.keys()].filter((k) => k.startsWith(prefix));
  }
}
