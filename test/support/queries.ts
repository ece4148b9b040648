// The checked-in KQL of the alerts and the workbook (bicep/queries/*.kql): the files the Bicep deploys and the
// tests run. Names are file names without `.kql`.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './repoRoot.js';

export const queriesDir = () => path.join(repoRoot(), 'bicep', 'queries');

export function queryFiles(): string[] {
  return readdirSync(queriesDir())
    .filter((f) => f.endsWith('.kql'))
    .map((f) => f.replace(/\.kql$/, ''))
    .sort();
}

export function readQuery(name: string): string {
  return readFileSync(path.join(queriesDir(), `${name}.kql`), 'utf8');
}
