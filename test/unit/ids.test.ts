// One rule per identifier (shared/ids.ts): these pin the rules themselves and that the callers that used to carry
// their own copies (consent links, people mapping, project settings) now agree with them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guidPattern, isGuid, isIssueKey, isProjectKey, isSiteId, projectKeySchema, siteIdSchema, tenantIdSchema } from '../../shared/ids.js';
import { siteIdPattern } from '../../shared/identity/consent.js';
import { isObjectId, parseMappingCsv } from '../../shared/people/mapping.js';
import { ConfigError, loadConfig } from '../../shared/config.js';
import { isIssueKey as issueKeyFromJira } from '../../shared/jira/issue.js';
import { siteIdSchema as siteIdFromSites } from '../../shared/sites/sites.js';

test('GUIDs: 8-4-4-4-12 hex, either case, nothing around them', () => {
  assert.equal(isGuid('72f988bf-86f1-41af-91ab-2d7cd011db47'), true);
  assert.equal(isGuid('72F988BF-86F1-41AF-91AB-2D7CD011DB47'), true);
  for (const bad of ['', '72f988bf86f141af91ab2d7cd011db47', '{72f988bf-86f1-41af-91ab-2d7cd011db47}', '72f988bf-86f1-41af-91ab-2d7cd011db4', '72f988bf-86f1-41af-91ab-2d7cd011db47 ', 'g2f988bf-86f1-41af-91ab-2d7cd011db47', 'contoso.onmicrosoft.com']) {
    assert.equal(isGuid(bad), false, bad);
    assert.equal(isObjectId(bad), false, `people mapping agrees on ${bad}`);
  }
  assert.equal(tenantIdSchema.safeParse('common').success, false);
  assert.equal(tenantIdSchema.safeParse('72f988bf-86f1-41af-91ab-2d7cd011db47').success, true);
  assert.equal(tenantIdSchema.safeParse('x').error?.issues[0]?.message, 'must be an Entra tenant id (GUID)');
  assert.equal(guidPattern.flags.includes('g'), false, 'a global regex would make .test() stateful between calls');
});

test('site ids: the registry rule is the only rule, consent links included', () => {
  for (const good of ['acme', 'acme-prod', 'a1b', 'x'.repeat(40)]) assert.equal(isSiteId(good), true, good);
  // The consent link used to accept these (dots, colons, upper case): no registered site can have such an id.
  for (const bad of ['ab', 'Acme', 'acme.atlassian.net', 'acme:prod', '-acme', 'acme-', 'x'.repeat(41), 'acme/../x']) {
    assert.equal(isSiteId(bad), false, bad);
    assert.equal(siteIdPattern.test(bad), false, `consent agrees on ${bad}`);
    assert.equal(siteIdFromSites.safeParse(bad).success, false, `registry agrees on ${bad}`);
  }
  assert.equal(siteIdSchema, siteIdFromSites);
});

test('project and issue keys', () => {
  for (const good of ['INC', 'A', 'HELP_2', 'A'.repeat(255)]) assert.equal(isProjectKey(good), true, good);
  for (const bad of ['', 'inc', '2INC', 'IN-C', 'A'.repeat(256), 'INC ']) assert.equal(isProjectKey(bad), false, bad);
  for (const good of ['INC-1', 'HELP_2-42', 'A-999999999999999999']) {
    assert.equal(isIssueKey(good), true, good);
    assert.equal(issueKeyFromJira(good), true, good);
  }
  for (const bad of ['INC', 'INC-0', 'INC-01', 'inc-1', 'INC-1-2', 'INC-1 ', 'A-1000000000000000000']) assert.equal(isIssueKey(bad), false, bad);
  assert.equal(projectKeySchema('HELP').safeParse('help').error?.issues[0]?.message, 'must be a Jira project key such as HELP');
});

test('the places that used a loose 36-character pattern now use the GUID rule', () => {
  const dashes = '-'.repeat(36);
  assert.deepEqual(parseMappingCsv(`accountId,user\nabc,${dashes}\n`).errors, ['line 2: user must be an Entra object id or a user principal name']);
  assert.deepEqual(parseMappingCsv('accountId,user\nabc,0b9c1a5e-3f2d-4c1b-9a8e-7d6c5b4a3f21\n').errors, []);
  assert.throws(() => loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_ID: dashes }), (e: unknown) => e instanceof ConfigError && e.setting === 'ENTRA_CLIENT_ID');
  assert.equal(loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_ID: '0F1E2D3C-4B5A-4697-8877-665544332211' }).entra.clientId, '0F1E2D3C-4B5A-4697-8877-665544332211');
});
