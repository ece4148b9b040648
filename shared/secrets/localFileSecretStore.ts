// The secret store for local runs without Key Vault: one JSON file (git-ignored, mode 0600). Writes go through a
// temp file and a rename so a crash never leaves half a file, and are serialised within the process.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SecretStore } from './secretStore.js';

export class LocalFileSecretStore implements SecretStore {
  readonly kind = 'local-file' as const;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  async get(name: string): Promise<string | undefined> {
    return (await this.read())[name];
  }

  set(name: string, value: string): Promise<void> {
    return this.mutate((all) => {
      all[name] = value;
    });
  }

  delete(name: string): Promise<void> {
    return this.mutate((all) => {
      delete all[name];
    });
  }

  async list(prefix = ''): Promise<string[]> {
    return Object.keys(await this.read()).filter((k) => k.startsWith(prefix));
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    try {
      return JSON.parse(text) as Record<string, string>;
    } catch {
      // Not JSON.parse's message: V8 quotes the start of the text ("ATATT3xFfG"... is not valid JSON), which here is
      // a secret, and the message goes to the logs.
      throw new Error(`the local secrets file ${this.path} is not valid JSON; fix or delete it`);
    }
  }

  private mutate(change: (all: Record<string, string>) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const all = await this.read();
      change(all);
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(all, null, 2), { mode: 0o600 });
      await rename(tmp, this.path);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
