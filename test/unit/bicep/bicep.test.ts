// Offline proof for bicep/ (issue 6): no Bicep compiler runs here, so every template is parsed with
// tree-sitter-bicep and checked against ../shared/contracts/azure/resource-types.json and the app's own code
// (queue names, settings). Each rule also gets a deliberately bad snippet that it must report, so a check that
// silently stopped working would fail here.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { settingNames } from '../../../shared/config.js';
import { allQueueNames, poisonQueueName } from '../../../shared/storage/queues.js';
import { allTableNames } from '../../../shared/storage/tables.js';
import { repoRoot } from '../../support/repoRoot.js';
import {
  checkApiVersions,
  checkDeclaredNames,
  checkDeployTimeNames,
  checkFlexInstanceCount,
  checkNoCloudSpecificHosts,
  checkSubnetEgress,
  checkGraphExtension,
  checkGraphPermissionIds,
  checkKeyVaultSecurity,
  checkModuleParams,
  checkNestedPropertyNames,
  checkNoKeysOrConnectionStrings,
  checkOutputs,
  checkParams,
  checkPropertyNames,
  checkRequiredProperties,
  checkRoleAssignments,
  checkStorageSecurity,
  checkSyntax,
  declaredAppSettings,
  declaredFeaturePermissions,
} from './checks.js';
import {
  declaredName,
  dig,
  literal,
  loadBicepFiles,
  named,
  stringArray,
  variableValue,
  formatProblem,
  parseBicep,
  prop,
  resources,
  topLevel,
  type BicepFile,
  type Problem,
} from './parse.js';
import { expectedFeaturePermissions, expectedTables, hostAppSettings, settingsForbiddenOnFlex } from './reference.js';

let files: BicepFile[] = [];
const root = () => repoRoot();
const read = (rel: string) => readFileSync(path.join(root(), rel), 'utf8');
const file = (rel: string) => {
  const found = files.find((f) => f.path === rel);
  assert.ok(found, `${rel} exists`);
  return found;
};

before(async () => {
  files = await loadBicepFiles();
});

/** Runs a check over every real file and fails with every problem, one per line, naming file and line. */
function assertClean(check: (f: BicepFile) => Problem[]) {
  const problems = files.flatMap((f) => check(f));
  assert.deepEqual(problems.map(formatProblem), [], `\n${problems.map(formatProblem).join('\n')}`);
}

/** Parses a snippet, runs the check, and asserts it reports a problem whose message matches. */
async function assertReported(check: (f: BicepFile) => Problem[], snippet: string, message: RegExp, line?: number) {
  const bad = await parseBicep('snippet.bicep', snippet);
  const problems = check(bad);
  const hit = problems.find((p) => message.test(p.message));
  assert.ok(hit, `expected a problem matching ${message}, got:\n${problems.map(formatProblem).join('\n') || '(none)'}`);
  if (line !== undefined) assert.equal(hit.line, line, formatProblem(hit));
  assert.equal(hit.file, 'snippet.bicep');
}

test('bicep/ holds main.bicep and the modules it orchestrates', () => {
  const paths = files.map((f) => f.path);
  for (const expected of [
    'bicep/main.bicep',
    'bicep/modules/alerts.bicep',
    'bicep/modules/appSettings.bicep',
    'bicep/modules/entraApp.bicep',
    'bicep/modules/functionApp.bicep',
    'bicep/modules/identity.bicep',
    'bicep/modules/keyVault.bicep',
    'bicep/modules/monitoring.bicep',
    'bicep/modules/network.bicep',
    'bicep/modules/storage.bicep',
  ]) {
    assert.ok(paths.includes(expected), `${expected} is missing`);
  }
  const main = file('bicep/main.bicep');
  assert.match(main.source, /^targetScope = 'subscription'$/m);
  assert.ok(resources(main).some((r) => r.type === 'Microsoft.Resources/resourceGroups'), 'main.bicep creates the resource group');
});

describe('syntax', () => {
  test('every .bicep file parses with no ERROR or MISSING node', () => assertClean(checkSyntax));

  test('a syntax error is reported with its file and line', async () => {
    await assertReported(checkSyntax, "param a string\nresource x 'A/b@1' = {\n  name: \n}\n", /missing|cannot parse/, 3);
    await assertReported(checkSyntax, "var a = {\n  b: 'c'\n", /missing/);
  });

  test('a malformed extension line is still a syntax error', async () => {
    await assertReported(checkSyntax, "extension 'unterminated\nparam a string\n", /cannot parse/, 1);
  });
});

describe('API versions', () => {
  test('every resource Type@apiVersion exists in resource-types.json, stable, Microsoft.Web pinned at 2025-03-01', () =>
    assertClean(checkApiVersions));

  test('an unknown version, a preview version, an unknown type and an unpinned Microsoft.Web are reported', async () => {
    await assertReported(checkApiVersions, "resource kv 'Microsoft.KeyVault/vaults@2023-02-30' = {\n  name: 'x'\n}\n", /not a known API version/, 1);
    await assertReported(checkApiVersions, "resource kv 'Microsoft.KeyVault/vaults@2026-03-01-preview' = {\n  name: 'x'\n}\n", /preview/);
    await assertReported(checkApiVersions, "resource x 'Microsoft.Nope/things@2024-01-01' = {\n  name: 'x'\n}\n", /not in resource-types\.json/);
    await assertReported(checkApiVersions, "resource s 'Microsoft.Web/sites@2024-11-01' = {\n  name: 'x'\n}\n", /pin Microsoft\.Web/);
    await assertReported(checkApiVersions, "resource q 'queues' = {\n  name: 'x'\n}\n", /full 'Provider\/type@version'/);
  });
});

describe('property names', () => {
  test('resource bodies and properties use names the types declare writable', () => assertClean(checkPropertyNames));

  test('a read-only or unknown property is reported', async () => {
    await assertReported(
      checkPropertyNames,
      "resource st 'Microsoft.Storage/storageAccounts@2026-04-01' = {\n  name: 'x'\n  properties: {\n    primaryEndpoints: {}\n  }\n}\n",
      /read-only/,
      4,
    );
    await assertReported(
      checkPropertyNames,
      "resource p 'Microsoft.Web/serverfarms@2025-03-01' = {\n  name: 'x'\n  properties: {\n    computeMode: 'Dynamic'\n  }\n}\n",
      /computeMode is unknown/,
    );
  });
});

describe('nested property names', () => {
  test('nested objects (functionAppConfig, siteConfig, networkAcls, alert criteria, identity, …) use declared names', () =>
    assertClean(checkNestedPropertyNames));

  test('a misspelt key deep inside functionAppConfig, inside a [for] and inside a ternary is reported', async () => {
    const site = (inner: string) =>
      `resource s 'Microsoft.Web/sites@2025-03-01' = {\n  name: 'x'\n  properties: {\n    functionAppConfig: {\n${inner}\n    }\n  }\n}\n`;
    await assertReported(
      checkNestedPropertyNames,
      site("      deployment: {\n        storage: {\n          authentication: {\n            kind: 'UserAssignedIdentity'\n          }\n        }\n      }"),
      /deployment\.storage\.authentication\.kind is unknown/,
      8,
    );
    await assertReported(
      checkNestedPropertyNames,
      site("      scaleAndConcurrency: {\n        alwaysReady: n > 0 ? [\n          {\n            name: 'http'\n            count: n\n          }\n        ] : []\n      }"),
      /alwaysReady\.count is unknown/,
    );
    await assertReported(
      checkNestedPropertyNames,
      "extension microsoftGraphV1\nresource app 'Microsoft.Graph/applications@v1.0' = {\n  web: {\n    redirectUrls: []\n  }\n}\n",
      /web\.redirectUrls is unknown/,
      4,
    );
    await assertReported(
      checkNestedPropertyNames,
      "resource ag 'Microsoft.Insights/actionGroups@2023-01-01' = {\n  name: 'x'\n  properties: {\n    emailReceivers: [for a in list: {\n      name: a\n      email: a\n    }]\n  }\n}\n",
      /emailReceivers\.email is unknown/,
    );
  });
});

describe('required properties', () => {
  test('every resource sets the properties its type requires', () => assertClean(checkRequiredProperties));

  test('a vault without tenantId, an identity without location and a Graph app without uniqueName are reported', async () => {
    await assertReported(
      checkRequiredProperties,
      "resource kv 'Microsoft.KeyVault/vaults@2026-02-01' = {\n  name: 'x'\n  location: 'y'\n  properties: {\n    sku: {\n      family: 'A'\n      name: 'standard'\n    }\n  }\n}\n",
      /properties\.tenantId is required/,
    );
    await assertReported(checkRequiredProperties, "resource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {\n  name: 'x'\n}\n", /location is required/, 1);
    await assertReported(
      checkRequiredProperties,
      "extension microsoftGraphV1\nresource app 'Microsoft.Graph/applications@v1.0' = {\n  displayName: 'x'\n}\n",
      /uniqueName is required/,
    );
  });
});

describe('storage security', () => {
  test('storage accounts: shared keys off, TLS 1.2, no public blob access', () => assertClean(checkStorageSecurity));

  test('shared keys on, a missing TLS floor and public blobs are each reported', async () => {
    const bad = (props: string) =>
      `resource st 'Microsoft.Storage/storageAccounts@2026-04-01' = {\n  name: 'x'\n  properties: {\n${props}\n  }\n}\n`;
    await assertReported(checkStorageSecurity, bad("    allowSharedKeyAccess: true\n    minimumTlsVersion: 'TLS1_2'\n    allowBlobPublicAccess: false"), /allowSharedKeyAccess must be false/, 4);
    await assertReported(checkStorageSecurity, bad('    allowSharedKeyAccess: false\n    allowBlobPublicAccess: false'), /minimumTlsVersion must be "TLS1_2", found nothing/);
    await assertReported(checkStorageSecurity, bad("    allowSharedKeyAccess: false\n    minimumTlsVersion: 'TLS1_2'\n    allowBlobPublicAccess: true"), /allowBlobPublicAccess must be false/);
  });
});

describe('Key Vault security', () => {
  test('vaults: RBAC mode, purge protection, soft delete with retention', () => assertClean(checkKeyVaultSecurity));

  test('access-policy mode, no purge protection and no soft delete are each reported', async () => {
    const bad = (props: string) => `resource kv 'Microsoft.KeyVault/vaults@2026-02-01' = {\n  name: 'x'\n  properties: {\n${props}\n  }\n}\n`;
    const good = '    enableRbacAuthorization: true\n    enablePurgeProtection: true\n    enableSoftDelete: true\n    softDeleteRetentionInDays: 90';
    await assertReported(checkKeyVaultSecurity, bad(good.replace('enableRbacAuthorization: true', 'enableRbacAuthorization: false')), /enableRbacAuthorization must be true/);
    await assertReported(checkKeyVaultSecurity, bad(good.replace('    enablePurgeProtection: true\n', '')), /enablePurgeProtection must be true/);
    await assertReported(checkKeyVaultSecurity, bad(good.replace('enableSoftDelete: true', 'enableSoftDelete: false')), /enableSoftDelete must be true/);
    await assertReported(checkKeyVaultSecurity, bad(good.replace('softDeleteRetentionInDays: 90', 'softDeleteRetentionInDays: 365')), /softDeleteRetentionInDays/);
    await assertReported(checkKeyVaultSecurity, bad(good + '\n    accessPolicies: []'), /accessPolicies/);
  });
});

describe('no keys or connection strings', () => {
  test('no listKeys(), no key-bearing connection string, no AzureWebJobsStorage connection string', () =>
    assertClean(checkNoKeysOrConnectionStrings));

  test('listKeys(), an AccountKey connection string and a connection-string setting are each reported', async () => {
    await assertReported(
      checkNoKeysOrConnectionStrings,
      "var settings = {\n  AzureWebJobsStorage__accountName: st.name\n  QUEUE_KEY: st.listKeys().keys[0].value\n}\n",
      /listKeys\(\)/,
      3,
    );
    await assertReported(
      checkNoKeysOrConnectionStrings,
      "var settings = {\n  AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${k}'\n}\n",
      /connection string with a key/,
    );
    await assertReported(checkNoKeysOrConnectionStrings, "var settings = {\n  AzureWebJobsStorage: st.id\n}\n", /AzureWebJobsStorage as a connection string/);
    await assertReported(
      checkNoKeysOrConnectionStrings,
      "var appSettings = [\n  {\n    name: 'AzureWebJobsStorage'\n    value: x\n  }\n]\n",
      /AzureWebJobsStorage as a connection string/,
    );
    await assertReported(checkNoKeysOrConnectionStrings, "var s = {\n  SERVICEBUS_CONNECTION_STRING: x\n}\n", /connection-string setting/);
  });
});

describe('outputs', () => {
  test('no output carries a secure param, a secret value or a list*() result', () => assertClean(checkOutputs));

  test('a secure param output, directly or through a var, a secret value and a secret-named output are each reported', async () => {
    const secureParam = "@description('Optional. x')\n@secure()\nparam clientSecret string = ''\n";
    await assertReported(checkOutputs, `${secureParam}output app string = clientSecret\n`, /carries a secret value/, 4);
    await assertReported(checkOutputs, `${secureParam}var wrapped = 'x\${clientSecret}'\nvar again = [wrapped]\noutput app array = again\n`, /carries a secret value/);
    await assertReported(
      checkOutputs,
      "resource s 'Microsoft.KeyVault/vaults/secrets@2026-02-01' = {\n  name: 'x'\n}\noutput v string = s.properties.value\n",
      /carries a secret value/,
    );
    await assertReported(checkOutputs, "output entraClientSecret string = 'x'\n", /named like a secret/);
    await assertReported(checkOutputs, "output keys object = st.listKeys()\n", /list\*\(\)/);
    await assertReported(checkOutputs, "@secure()\noutput x string = 'y'\n", /@secure\(\)/);
  });
});

describe('params', () => {
  test('every param is typed and has a Required./Optional. description matching its default', () => assertClean(checkParams));

  test('a missing description, a missing prefix and a prefix that contradicts the default are each reported', async () => {
    await assertReported(checkParams, "param location string\n", /no @description/, 1);
    await assertReported(checkParams, "@description('Where it goes.')\nparam location string\n", /must start with/);
    await assertReported(checkParams, "@description('Required. Where it goes.')\nparam location string = 'x'\n", /says Required but it has default/);
    await assertReported(checkParams, "@description('Optional. Where it goes.')\nparam location string\n", /says Optional but it has no default/);
  });
});

describe('role assignments', () => {
  test('names are guid(), roles are built-in ids from the reference, principalType is set', () => assertClean(checkRoleAssignments));

  test('a literal name, an unknown role id, a runtime value in guid() and a missing principalType are each reported', async () => {
    const ra = (name: string, role: string, extra = "    principalType: 'ServicePrincipal'\n") =>
      `var roleId = '${role}'\nresource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n  name: ${name}\n  properties: {\n    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)\n    principalId: p\n${extra}  }\n}\n`;
    const blobOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b';
    await assertReported(checkRoleAssignments, ra("'my-assignment'", blobOwner), /name must be guid/, 3);
    await assertReported(checkRoleAssignments, ra('guid(st.id, roleId)', '00000000-1111-2222-3333-444444444444'), /not a built-in role/);
    await assertReported(checkRoleAssignments, ra('guid(st.id, site.properties.principalId)', blobOwner), /BCP120/);
    await assertReported(checkRoleAssignments, ra('guid(st.id, roleId)', blobOwner, ''), /principalType/);
  });
});

describe('deploy-time names', () => {
  test('no resource or module name reads a runtime value', () => assertClean(checkDeployTimeNames));

  test('a name built from a runtime property or a module output is reported', async () => {
    await assertReported(
      checkDeployTimeNames,
      "resource kv 'Microsoft.KeyVault/vaults@2026-02-01' = {\n  name: 'kv-${site.properties.defaultHostName}'\n}\n",
      /BCP120/,
      2,
    );
    await assertReported(checkDeployTimeNames, "module m 'x.bicep' = {\n  name: other.outputs.name\n}\n", /BCP120/);
  });
});

describe('queues and tables', () => {
  const expectedQueues = () => allQueueNames.flatMap((q) => [q, poisonQueueName(q)]);

  test('storage.bicep declares every queue in shared/storage/queues.ts and its -poison twin, and nothing else', () => {
    const problems = checkDeclaredNames(file('bicep/modules/storage.bicep'), 'appQueues', expectedQueues(), 'queues');
    assert.deepEqual(problems.map(formatProblem), []);
  });

  test('storage.bicep declares every table the app uses: the issue\'s list and shared/storage/tables.ts agree', () => {
    const storage = file('bicep/modules/storage.bicep');
    assert.deepEqual(checkDeclaredNames(storage, 'appTables', expectedTables, 'tables').map(formatProblem), []);
    assert.deepEqual(checkDeclaredNames(storage, 'appTables', allTableNames, 'tables').map(formatProblem), []);
  });

  test('a missing poison queue and an extra queue are reported', async () => {
    const [first, ...rest] = expectedQueues();
    const snippet = `var appQueues = [\n${[...rest, 'stray-jobs'].map((q) => `  '${q}'`).join('\n')}\n]\n`;
    const bad = await parseBicep('snippet.bicep', snippet);
    const messages = checkDeclaredNames(bad, 'appQueues', expectedQueues(), 'queues').map((p) => p.message);
    assert.ok(messages.includes(`queues: ${first} is not declared`), messages.join('\n'));
    assert.ok(messages.includes('queues: stray-jobs is declared but the app does not use it'), messages.join('\n'));
  });
});

describe('Microsoft Graph app registration', () => {
  test('files with Graph resources declare the extension that bicepconfig.json maps to the GA package', () =>
    assertClean((f) => checkGraphExtension(f, read('bicep/bicepconfig.json'))));

  test('a Graph resource without the extension line, or with an unmapped alias, is reported', async () => {
    const app = "resource app 'Microsoft.Graph/applications@v1.0' = {\n  displayName: 'x'\n  uniqueName: 'x'\n}\n";
    await assertReported((f) => checkGraphExtension(f, read('bicep/bicepconfig.json')), app, /need "extension microsoftGraphV1"/);
    await assertReported((f) => checkGraphExtension(f, read('bicep/bicepconfig.json')), `extension graphBeta\n${app}`, /must map extension graphBeta/);
  });

  test('every Graph permission id is the verified id of the permission its comment names', () => assertClean(checkGraphPermissionIds));

  test('a wrong id, an unverified permission and an unnamed id are each reported', async () => {
    await assertReported(checkGraphPermissionIds, "var p = [\n  {\n    id: 'e383f46e-2787-4529-855e-0681a7b0be68' // Mail.Send\n  }\n]\n", /Mail\.Send is e383f46e-2787-4529-855e-0e479a3ffac0/, 3);
    await assertReported(checkGraphPermissionIds, "var p = [\n  {\n    id: '204e0828-b5ca-4ad8-b9f3-f32a958e7cc4' // User.ReadWrite.All\n  }\n]\n", /not a verified/);
    await assertReported(checkGraphPermissionIds, "var p = [\n  {\n    id: '38826093-1258-4dea-98f0-00003be2b8d0'\n  }\n]\n", /no \/\/ <Permission name>/);
  });

  test('each feature lists exactly the delegated permissions issue 6 names; the app is multi-tenant with both redirect URIs', () => {
    const entra = file('bicep/modules/entraApp.bicep');
    const declared = declaredFeaturePermissions(entra);
    for (const [feature, permissions] of Object.entries(expectedFeaturePermissions)) {
      assert.deepEqual([...(declared[feature] ?? [])].sort(), [...permissions].sort(), `feature ${feature}`);
    }
    assert.deepEqual(Object.keys(declared).sort(), Object.keys(expectedFeaturePermissions).sort());
    const app = resources(entra).find((r) => r.type === 'Microsoft.Graph/applications');
    assert.ok(app?.body);
    assert.equal(literal(prop(app.body, 'signInAudience')), 'AzureADMultipleOrgs');
    const redirects = dig(app.body, 'web', 'redirectUris')?.text ?? '';
    assert.match(redirects, /\/api\/auth\/callback'/);
    assert.match(redirects, /\/api\/consent\/callback'/);
    assert.match(redirects, /\/api\/console\/auth\/callback'/);
    // The console admits users holding this app role (shared/console/session.ts adminRole).
    assert.match(entra.source, /value: 'Bridge\.Admin'/);
    assert.ok(dig(app.body, 'appRoles'), 'the app registration defines the console admin app role');
    assert.equal(dig(app.body, 'passwordCredentials'), undefined, 'no client secret is generated into the deployment history');
  });
});

describe('module wiring', () => {
  test('main.bicep passes every required module param and no unknown one', () => {
    const main = file('bicep/main.bicep');
    const problems = checkModuleParams(main, (rel) => files.find((f) => f.path === path.posix.join('bicep', rel)));
    assert.deepEqual(problems.map(formatProblem), []);
  });

  test('an unknown or a missing module param is reported', async () => {
    const mod = await parseBicep('mod.bicep', "@description('Required. x')\nparam name string\n@description('Optional. y')\nparam tags object = {}\n");
    const resolve = (rel: string) => (rel === 'mod.bicep' ? mod : undefined);
    await assertReported((f) => checkModuleParams(f, resolve), "module m 'mod.bicep' = {\n  name: 'm'\n  params: {\n    nmae: 'x'\n  }\n}\n", /has no param nmae/);
    await assertReported((f) => checkModuleParams(f, resolve), "module m 'mod.bicep' = {\n  name: 'm'\n  params: {\n    tags: {}\n  }\n}\n", /required param name/);
    await assertReported((f) => checkModuleParams(f, resolve), "module m 'nope.bicep' = {\n  name: 'm'\n}\n", /not found/);
  });
});

describe('Function App', () => {
  const appSettings = () => declaredAppSettings(file('bicep/modules/appSettings.bicep'));

  test('app settings are identity-based and every one is read by shared/config.ts or the Functions host', () => {
    const settings = appSettings();
    for (const required of [
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'AzureWebJobsStorage__tableServiceUri',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
      'AZURE_CLIENT_ID',
      'KEY_VAULT_URI',
      'PUBLIC_BASE_URL',
      'ENTRA_CLIENT_ID',
      'ENTRA_CLIENT_SECRET',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    ]) {
      assert.ok(settings.has(required), `${required} is set`);
    }
    // A trigger that names a setting as %NAME% (the keep-alive timer's schedule) fails to start on the real host
    // without it, whatever default shared/config.ts has.
    const functionsDir = path.join(repoRoot(), 'functions');
    for (const fileName of readdirSync(functionsDir).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(path.join(functionsDir, fileName), 'utf8').matchAll(/'%([A-Za-z0-9_]+)%'/g)) {
        assert.ok(settings.has(m[1]!), `${m[1]} (used as %${m[1]}% in functions/${fileName}) is set`);
      }
    }
    const known = new Set<string>([...settingNames, ...hostAppSettings]);
    for (const name of settings.keys()) assert.ok(known.has(name), `${name} is neither in shared/config.ts nor a host setting`);
    for (const name of settingsForbiddenOnFlex) assert.ok(!settings.has(name), `${name} must not be set on Flex Consumption`);
    assert.equal(literal(settings.get('AzureWebJobsStorage__credential')), 'managedidentity');
    // Per-service URIs from the cloud's suffix (sovereign clouds); __accountName alone is public-cloud only.
    assert.ok(!settings.has('AzureWebJobsStorage__accountName'), 'no __accountName beside the URIs');
    const appSettingsFile = file('bicep/modules/appSettings.bicep');
    assert.equal(variableValue(appSettingsFile, 'storageSuffix')?.text, 'environment().suffixes.storage');
    for (const service of ['blob', 'queue', 'table']) {
      assert.equal(
        settings.get(`AzureWebJobsStorage__${service}ServiceUri`)?.text,
        `'https://\${storageAccountName}.${service}.\${storageSuffix}'`,
        `__${service}ServiceUri is built from environment().suffixes.storage`,
      );
    }
    assert.match(settings.get('ENTRA_CLIENT_SECRET')?.text ?? '', /^'@Microsoft\.KeyVault\(SecretUri=\$\{[^}]+\}\)'$/);
    assert.match(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')?.text ?? '', /Authorization=AAD/);
  });

  test('the client secret reaches Key Vault only through a @secure() param, and main wires it as a reference', () => {
    const main = file('bicep/main.bicep');
    const secretParam = topLevel(main, 'parameter_declaration').find((p) => declaredName(p) === 'entraClientSecret');
    assert.ok(secretParam);
    assert.match(main.source, /@secure\(\)\nparam entraClientSecret string/);
    const kv = file('bicep/modules/keyVault.bicep');
    const secret = resources(kv).find((r) => r.type === 'Microsoft.KeyVault/vaults/secrets');
    assert.equal(dig(secret?.body, 'properties', 'value')?.text, 'entraClientSecret');
    assert.match(kv.source, /@secure\(\)\nparam entraClientSecret string/);
  });

  test('Flex Consumption FC1 on Linux, Node 22, identity-authenticated deployment container, always-ready HTTP from a param', () => {
    const fa = file('bicep/modules/functionApp.bicep');
    const plan = resources(fa).find((r) => r.type === 'Microsoft.Web/serverfarms');
    assert.equal(literal(dig(plan?.body, 'sku', 'name')), 'FC1');
    assert.equal(literal(dig(plan?.body, 'sku', 'tier')), 'FlexConsumption');
    assert.equal(literal(dig(plan?.body, 'properties', 'reserved')), true);
    const site = resources(fa).find((r) => r.type === 'Microsoft.Web/sites');
    assert.equal(literal(prop(site?.body, 'kind')), 'functionapp,linux');
    assert.equal(literal(dig(site?.body, 'identity', 'type')), 'UserAssigned');
    const config = dig(site?.body, 'properties', 'functionAppConfig');
    assert.equal(literal(dig(config, 'runtime', 'name')), 'node');
    assert.equal(literal(dig(config, 'runtime', 'version')), '22');
    assert.equal(literal(dig(config, 'deployment', 'storage', 'type')), 'blobContainer');
    assert.equal(literal(dig(config, 'deployment', 'storage', 'authentication', 'type')), 'UserAssignedIdentity');
    const alwaysReady = dig(config, 'scaleAndConcurrency', 'alwaysReady')?.text ?? '';
    assert.match(alwaysReady, /name: 'http'/);
    assert.match(alwaysReady, /instanceCount: alwaysReadyHttpInstances/);
    assert.ok(dig(site?.body, 'properties', 'keyVaultReferenceIdentity'), 'Key Vault references resolve with the user-assigned identity');
    const mainParams = topLevel(file('bicep/main.bicep'), 'parameter_declaration').map(declaredName);
    assert.ok(mainParams.includes('alwaysReadyHttpInstances'));
  });

  test('App Insights has local auth off; the alert rules and the action group exist', () => {
    const monitoring = file('bicep/modules/monitoring.bicep');
    const ai = resources(monitoring).find((r) => r.type === 'Microsoft.Insights/components');
    assert.equal(literal(dig(ai?.body, 'properties', 'DisableLocalAuth')), true);
    const alerts = file('bicep/modules/alerts.bicep');
    assert.ok(resources(alerts).some((r) => r.type === 'Microsoft.Insights/scheduledQueryRules'));
    assert.ok(resources(alerts).some((r) => r.type === 'Microsoft.Insights/actionGroups'));
    assert.ok(topLevel(file('bicep/main.bicep'), 'parameter_declaration').map(declaredName).includes('alertActionGroupId'));
  });
});

describe('Flex Consumption rules Bicep cannot check', () => {
  test('maximumInstanceCount admits only what Flex accepts (40-1000), in main.bicep and the module', () => {
    assertClean(checkFlexInstanceCount);
    const params = ['bicep/main.bicep', 'bicep/modules/functionApp.bicep'].map((p) =>
      topLevel(file(p), 'parameter_declaration').find((d) => declaredName(d) === 'maximumInstanceCount'),
    );
    assert.ok(params.every(Boolean), 'both declare maximumInstanceCount');
  });

  test('a lower minimum, a missing bound, or an out-of-range literal is reported', async () => {
    await assertReported(checkFlexInstanceCount, "@minValue(1)\n@maxValue(1000)\nparam maximumInstanceCount int = 100\n", /@minValue\(40\)/, 3);
    await assertReported(checkFlexInstanceCount, "@minValue(40)\nparam maximumInstanceCount int = 100\n", /@maxValue\(1000\)/);
    await assertReported(checkFlexInstanceCount, "var s = {\n  maximumInstanceCount: 20\n}\n", /outside Flex Consumption's 40-1000/, 2);
  });

  test('always-ready instances for the queue functions: a parameter, off by default, naming real queue functions as function:<name>', () => {
    const main = file('bicep/main.bicep');
    const instances = topLevel(main, 'parameter_declaration').find((d) => declaredName(d) === 'alwaysReadyQueueInstances');
    assert.ok(instances, 'main.bicep has alwaysReadyQueueInstances');
    assert.equal(literal(named(instances).at(-1)), 0, 'off by default (see bicep/README.md for why and the cost)');
    const fnParam = topLevel(main, 'parameter_declaration').find((d) => declaredName(d) === 'alwaysReadyQueueFunctions');
    const defaults = stringArray(named(fnParam!).at(-1));
    assert.deepEqual(defaults, ['eventJobs', 'chatJobs']);
    // Flex scales each queue function on its own: the names must be the functions the app registers.
    const functionsDir = path.join(repoRoot(), 'functions');
    const queueFunctions = readdirSync(functionsDir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(path.join(functionsDir, f), 'utf8').matchAll(/app\.storageQueue\('(\w+)'/g)].map((m) => m[1]!));
    for (const name of defaults) assert.ok(queueFunctions.includes(name), `${name} is a queue function (${queueFunctions.join(', ')})`);
    const alwaysReady = dig(resources(file('bicep/modules/functionApp.bicep')).find((r) => r.type === 'Microsoft.Web/sites')?.body, 'properties', 'functionAppConfig', 'scaleAndConcurrency', 'alwaysReady');
    assert.match(alwaysReady?.text ?? '', /name: 'function:\$\{fn\}'/);
    assert.match(alwaysReady?.text ?? '', /instanceCount: alwaysReadyQueueInstances/);
    assert.match(alwaysReady?.text ?? '', /name: 'http'/);
    assert.match(main.source, /alwaysReadyQueueInstances: alwaysReadyQueueInstances/);
    assert.match(main.source, /alwaysReadyQueueFunctions: alwaysReadyQueueFunctions/);
  });

  test('the VNet-integrated subnet keeps an explicit egress to Graph, Jira and Entra', () => {
    assertClean(checkSubnetEgress);
    const vnet = resources(file('bicep/modules/network.bicep')).find((r) => r.type === 'Microsoft.Network/virtualNetworks');
    assert.ok(vnet && vnet.apiVersion >= '2025-07-01', 'the API version where subnets are private by default');
    assert.match(vnet.body?.text ?? '', /defaultOutboundAccess: appSubnetDefaultOutboundAccess/);
    assert.match(file('bicep/main.bicep').source, /appSubnetDefaultOutboundAccess: appSubnetDefaultOutboundAccess/);
  });

  test('a delegated subnet without egress (or with it switched off) is reported; a NAT gateway is accepted', async () => {
    const vnet = (subnetProps: string) =>
      `resource v 'Microsoft.Network/virtualNetworks@2025-09-01' = {\n  name: 'v'\n  properties: {\n    subnets: [\n      {\n        name: 'app'\n        properties: {\n${subnetProps}          delegations: [\n            {\n              name: 'd'\n              properties: {\n                serviceName: 'Microsoft.App/environments'\n              }\n            }\n          ]\n        }\n      }\n    ]\n  }\n}\n`;
    await assertReported(checkSubnetEgress, vnet(''), /no explicit egress/, 5);
    await assertReported(checkSubnetEgress, vnet('          defaultOutboundAccess: false\n'), /no explicit egress/);
    const withNat = await parseBicep('nat.bicep', vnet('          natGateway: {\n            id: nat.id\n          }\n'));
    assert.deepEqual(checkSubnetEgress(withNat), []);
  });

  test('no public-cloud host names in the templates (sovereign clouds)', async () => {
    assertClean(checkNoCloudSpecificHosts);
    await assertReported(checkNoCloudSpecificHosts, "var u = 'https://${name}.queue.core.windows.net'\n", /environment\(\)\.suffixes/, 1);
    await assertReported(checkNoCloudSpecificHosts, "var k = 'https://kv.vault.azure.net/'\n", /vault\.azure\.net/);
  });
});

describe('deployment entry points', () => {
  test('main.bicep outputs what the admin pastes into Jira and Entra, and the resource names', () => {
    const outputs = topLevel(file('bicep/main.bicep'), 'output_declaration').map(declaredName);
    for (const name of [
      'JIRA_WEBHOOK_URL',
      'JIRA_AUTOMATION_URL_PATTERN',
      'CONSENT_START_URL',
      'FUNCTION_APP_NAME',
      'KEY_VAULT_NAME',
      'AZURE_RESOURCE_GROUP',
    ]) {
      assert.ok(outputs.includes(name), `output ${name}`);
    }
    const source = file('bicep/main.bicep').source;
    assert.match(source, /output JIRA_WEBHOOK_URL string = '\$\{appBaseUrl\}\/api\/jira\/events\?site=\{siteId\}'/);
    assert.match(source, /\/api\/jira\/automation\/\{action\}\?site=\{siteId\}/);
    assert.match(source, /\/api\/consent\/start\?tenant=\{tenantId\}&feature=\{feature\}&site=\{siteId\}/);
  });

  test('main.parameters.json sets only params main.bicep has, and every required one', () => {
    const parameters = JSON.parse(read('bicep/main.parameters.json')) as { parameters: Record<string, unknown> };
    const main = file('bicep/main.bicep');
    const declared = new Map(topLevel(main, 'parameter_declaration').map((p) => [declaredName(p), p.namedChildren.length > 2]));
    for (const name of Object.keys(parameters.parameters)) assert.ok(declared.has(name), `main.bicep has no param ${name}`);
    for (const [name, hasDefault] of declared) {
      if (!hasDefault) assert.ok(name in parameters.parameters, `required param ${name} is not in main.parameters.json`);
    }
    // Values are azd placeholders filled from the environment: no literal (least of all a secret) is committed.
    for (const [name, entry] of Object.entries(parameters.parameters)) {
      assert.match(String((entry as { value?: unknown }).value), /^\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}$/, `${name} is an azd \${VAR} placeholder`);
    }
  });

  test('bicep/README.md documents every main.bicep param, every alert and the log lines the alerts watch', () => {
    const readme = read('bicep/README.md');
    for (const p of topLevel(file('bicep/main.bicep'), 'parameter_declaration')) {
      assert.ok(readme.includes('`' + declaredName(p) + '`'), `README documents ${declaredName(p)}`);
    }
    // The lines the alerts read, and every alert rule, are documented.
    for (const event of ['ops.queue', 'ops.serviceUser', 'graph.throttled']) assert.ok(readme.includes(`"event":"${event}"`), `README names ${event}`);
    for (const name of readdirSync(path.join(root(), 'bicep', 'queries')).filter((f) => f.startsWith('alert-'))) {
      assert.ok(readme.includes('`' + name + '`'), `README documents ${name}`);
    }
    assert.match(readme, /azd up/);
    assert.match(readme, /az deployment sub (create|what-if)[^\n]*--what-if|az deployment sub what-if/);
  });

  test('azure.yaml provisions bicep/ and ships the bundle folder built by the prepackage hook', () => {
    const yaml = read('azure.yaml');
    assert.match(yaml, /^infra:\n(?: {2}.*\n)*? {2}path: bicep$/m);
    assert.match(yaml, /^ {4}host: function$/m);
    assert.match(yaml, /^ {4}dist: \.deploy$/m);
    assert.match(yaml, /prepackage:[\s\S]*node scripts\/bundle\.mjs/);
    // azd deploys to the resource tagged with the service's name.
    const service = /^services:\n {2}([\w-]+):$/m.exec(yaml)?.[1];
    assert.ok(service, 'azure.yaml names a service');
    assert.match(file('bicep/main.bicep').source, new RegExp(`azdServiceName: '${service}'`));
    // azd deploy refuses to choose between two resources with the tag: only the site may carry it.
    const tagged = files.flatMap((f) =>
      resources(f).filter((r) => /'azd-service-name'/.test(prop(r.body, 'tags')?.text ?? '')).map((r) => `${f.path}:${r.symbol}`),
    );
    assert.deepEqual(tagged, ['bicep/modules/functionApp.bicep:site']);
  });
});

describe('alerts and workbook (issue 11)', () => {
  const queriesDir = () => path.join(root(), 'bicep', 'queries');
  const queryNames = () => readdirSync(queriesDir()).filter((f) => f.endsWith('.kql')).map((f) => f.replace(/\.kql$/, ''));
  /** `loadTextContent('…')` paths of a file, resolved from that file's folder. */
  const loadedTexts = (f: BicepFile) =>
    [...f.source.matchAll(/loadTextContent\('([^']+)'\)/g)].map((m) => path.relative(root(), path.resolve(root(), path.dirname(f.path), m[1]!)));

  test('every loadTextContent() names a checked-in file', () => {
    for (const f of files) for (const rel of loadedTexts(f)) assert.ok(existsSync(path.join(root(), rel)), `${f.path}: ${rel} does not exist`);
  });

  test('each alert rule loads its query from bicep/queries/alert-*.kql, each such file is one rule, no inline query', () => {
    const alerts = file('bicep/modules/alerts.bicep');
    const loaded = loadedTexts(alerts).map((rel) => path.basename(rel, '.kql')).sort();
    const files = queryNames().filter((n) => n.startsWith('alert-')).sort();
    assert.deepEqual(loaded, files);
    assert.equal(new Set(loaded).size, loaded.length, 'no query file is used twice');
    assert.doesNotMatch(alerts.source, /query: '/, 'no query text inline in the Bicep');
    assert.match(alerts.source, /query: rule\.query/);
  });

  test('HTTP alerts read resultCode, never success (a handler returning 500 is success=true)', () => {
    for (const name of queryNames().filter((n) => n.startsWith('alert-'))) {
      const text = readFileSync(path.join(queriesDir(), `${name}.kql`), 'utf8').replace(/\/\/.*$/gm, '');
      assert.doesNotMatch(text, /\bsuccess\b/, `${name} must not use the success column`);
      if (/^\s*requests\b/m.test(text)) assert.match(text, /resultCode/, `${name} reads requests by resultCode`);
    }
  });

  test('the workbook is a shared Microsoft.Insights/workbooks on the App Insights component, content from the checked-in JSON', () => {
    const monitoring = file('bicep/modules/monitoring.bicep');
    const wb = resources(monitoring).find((r) => r.type === 'Microsoft.Insights/workbooks');
    assert.ok(wb, 'monitoring.bicep deploys a workbook');
    assert.equal(literal(dig(wb.body, 'kind')), 'shared');
    assert.equal(literal(dig(wb.body, 'properties', 'category')), 'workbook');
    assert.equal(literal(dig(wb.body, 'properties', 'version')), 'Notebook/1.0');
    assert.match(dig(wb.body, 'properties', 'sourceId')?.text ?? '', /^appInsights\.id$/);
    assert.match(dig(wb.body, 'name')?.text ?? '', /^guid\(/, 'a workbook name is a GUID');
    assert.match(dig(wb.body, 'properties', 'serializedData')?.text ?? '', /loadTextContent\('\.\.\/workbook\/operations\.workbook\.json'\)/);
  });

  test('the workbook JSON is what scripts/workbook.mjs builds from the tested queries (no copy drifts)', async () => {
    const script = (await import(pathToFileURL(path.join(root(), 'scripts', 'workbook.mjs')).href)) as { buildWorkbook(): string };
    const checkedIn = read('bicep/workbook/operations.workbook.json');
    assert.equal(checkedIn, script.buildWorkbook(), 'stale: run node scripts/workbook.mjs');
    const workbook = JSON.parse(checkedIn);
    assert.equal(workbook.version, 'Notebook/1.0');
    const queries = workbook.items.filter((i: any) => i.type === 3);
    const names = queryNames().filter((n) => n.startsWith('workbook-')).sort();
    assert.deepEqual(queries.map((i: any) => i.name).sort(), names, 'every workbook-*.kql is on the page, nothing else');
    for (const item of queries) assert.equal(item.content.query, read(`bicep/queries/${item.name}.kql`));
    const params = workbook.items.find((i: any) => i.type === 9).content.parameters.map((p: any) => p.name);
    assert.deepEqual(params, ['TimeRange', 'IssueKey']);
    assert.ok(queries.find((i: any) => i.name === 'workbook-issue-trail').content.query.includes('{IssueKey}'));
    assert.ok(queries.every((i: any) => i.content.timeContextFromParameter === 'TimeRange'));
  });
});
