// Project settings rows: PartitionKey = site id, RowKey = Jira project key.
import type { Runtime } from '../runtime.js';
import { projectSettingsSchema, type ProjectSettings, type ProjectSettingsInput } from '../rules/projectSettings.js';
import { deleteEntity, listPartition, readEntity, tableNames, upsertEntity } from '../storage/tables.js';

type Row = { settings: ProjectSettings; updatedAt: string };

export async function getProjectSettings(deps: Pick<Runtime, 'tables'>, siteId: string, projectKey: string): Promise<ProjectSettings | undefined> {
  const row = await readEntity<Row>(await deps.tables.table(tableNames.projects), siteId, projectKey);
  // Re-parse so rows written by an older version get today's defaults.
  return row ? projectSettingsSchema.parse(row.settings) : undefined;
}

export async function putProjectSettings(
  deps: Pick<Runtime, 'tables' | 'clock'>,
  siteId: string,
  projectKey: string,
  input: ProjectSettingsInput,
): Promise<ProjectSettings> {
  const settings = projectSettingsSchema.parse(input);
  await upsertEntity(await deps.tables.table(tableNames.projects), siteId, projectKey, {
    settings,
    updatedAt: deps.clock.now().toISOString(),
  });
  return settings;
}

export async function deleteProjectSettings(deps: Pick<Runtime, 'tables'>, siteId: string, projectKey: string): Promise<boolean> {
  return deleteEntity(await deps.tables.table(tableNames.projects), siteId, projectKey);
}

export async function listProjectSettings(deps: Pick<Runtime, 'tables'>, siteId: string) {
  const rows = await listPartition<Row>(await deps.tables.table(tableNames.projects), siteId);
  return rows.map((r) => ({ projectKey: r.rowKey, settings: projectSettingsSchema.parse(r.settings), updatedAt: r.updatedAt }));
}
