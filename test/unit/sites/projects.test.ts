// shared/sites/projects.ts: project settings per (site, project key), validated on the way in and re-read with
// today's defaults, so a row saved by an older version gains new settings without a migration.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { deleteProjectSettings, getProjectSettings, listProjectSettings, putProjectSettings } from '../../../shared/sites/projects.js';
import { tableNames, upsertEntity } from '../../../shared/storage/tables.js';
import { unitRuntime } from '../../support/unitRuntime.js';

describe('project settings', () => {
  it('saves validated settings with their defaults and reads them back per site and project', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    const saved = await putProjectSettings(rt, 'site-a', 'OPS', { tenantId, stakeholders: ['boss@partner.example'] });
    assert.equal(saved.renameOnResolve, true, 'defaults filled in');
    assert.deepEqual(await getProjectSettings(rt, 'site-a', 'OPS'), saved);
    assert.equal(await getProjectSettings(rt, 'site-b', 'OPS'), undefined, 'another site does not see it');
    assert.equal(await getProjectSettings(rt, 'site-a', 'DEV'), undefined);
    assert.deepEqual((await listProjectSettings(rt, 'site-a')).map((p) => p.projectKey), ['OPS']);
  });

  it('refuses invalid settings before anything is stored', async () => {
    const rt = unitRuntime();
    await assert.rejects(putProjectSettings(rt, 'site-a', 'OPS', { tenantId: 'not-a-guid' }));
    await assert.rejects(putProjectSettings(rt, 'site-a', 'OPS', { tenantId: randomUUID(), stakeholders: ['nobody'] }));
    assert.equal(await getProjectSettings(rt, 'site-a', 'OPS'), undefined);
  });

  it('a row written by an older version (fewer settings) reads with today\'s defaults', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    await upsertEntity(await rt.tables.table(tableNames.projects), 'site-a', 'OLD', { settings: { tenantId, enabled: false }, updatedAt: '2025-01-01T00:00:00Z' });

    const settings = await getProjectSettings(rt, 'site-a', 'OLD');
    assert.equal(settings?.enabled, false, 'what was saved is kept');
    assert.deepEqual(settings?.chatToJira, { enabled: false, mirrorMessages: false, transcriptOnResolve: false });
    assert.deepEqual(settings?.stakeholders, []);
  });

  it('deleting answers whether there was something to delete', async () => {
    const rt = unitRuntime();
    await putProjectSettings(rt, 'site-a', 'OPS', { tenantId: randomUUID() });
    assert.equal(await deleteProjectSettings(rt, 'site-a', 'OPS'), true);
    assert.equal(await deleteProjectSettings(rt, 'site-a', 'OPS'), false);
    assert.equal(await getProjectSettings(rt, 'site-a', 'OPS'), undefined);
  });
});
